import { InvalidArgumentError, NotFoundError, NotImplementedError } from '../errors/index.js';
import type { AttachResult, NetworkService } from '../network/index.js';
import type { ContainerConfig, EndpointSettings, HostConfig, NetworkingConfig, PortMap } from '../types/container.js';
import { writeEtcFiles, type HostsExtras } from './etc-files.js';
import type { Preparer, StartContext } from './prepare/index.js';
import type { ContainerEndpointConfig, ContainerRecord } from './record.js';
import { linkedChildren, linkEnv, linkHostsEntry, parseLink, type LinkedChild } from './links.js';
import type { ContainerStore } from './store.js';

/** What the container side uses of the network service (a fake in tests). */
export type ContainerNetworks = Pick<NetworkService, 'attach' | 'attachEarly' | 'detach' | 'release' | 'endpointsOf' | 'portsOf' | 'find' | 'checkEndpoint'>;

/** Whether `mode` (HostConfig.NetworkMode) joins a bridge network berth manages. */
export function bridgeNetworkOf(mode: string): string | undefined {
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return undefined;
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/** The networks a container joins at start, by name, in interface order. */
export function networksOf(rec: ContainerRecord): Record<string, ContainerEndpointConfig> {
  if (rec.networks) return rec.networks;
  const primary = bridgeNetworkOf(rec.hostConfig.NetworkMode || 'default');
  return primary ? { [primary]: { networkId: '' } } : {};
}

/**
 * The network settings dockerd refuses together (runconfig validateNetContainerMode, with its
 * words), and its warning for ports given to a host-network container. Returns the warnings.
 */
export function checkNetworkConflicts(config: ContainerConfig, host: HostConfig): string[] {
  const mode = host.NetworkMode || 'default';
  const isContainer = mode.startsWith('container:');
  if (isContainer) {
    if (Object.keys(host.PortBindings ?? {}).length > 0 || host.PublishAllPorts) throw new InvalidArgumentError('conflicting options: port publishing and the container type network mode');
    if (Object.keys(config.ExposedPorts ?? {}).length > 0) throw new InvalidArgumentError('conflicting options: port exposing and the container type network mode');
    if (host.Dns?.length || host.DnsSearch?.length || host.DnsOptions?.length) throw new InvalidArgumentError('conflicting options: dns and the network mode');
    if (host.ExtraHosts?.length) throw new InvalidArgumentError('conflicting options: custom host-to-IP mapping and the network mode');
    if (config.MacAddress) throw new InvalidArgumentError('conflicting options: mac-address and the network mode');
  }
  const warnings: string[] = [];
  if (mode === 'host' && Object.keys(host.PortBindings ?? {}).length > 0) warnings.push('Published ports are discarded when using host network mode');
  return warnings;
}

/** An API EndpointSettings as berth keeps it, checked against the network as dockerd does. */
export function endpointConfigOf(networks: ContainerNetworks, term: string, e: EndpointSettings | null | undefined): { name: string; config: ContainerEndpointConfig } {
  const aliases = (e?.Aliases ?? []).filter((a) => a !== '');
  const ipv4Address = e?.IPAMConfig?.IPv4Address || undefined;
  const ipv6Address = e?.IPAMConfig?.IPv6Address || undefined;
  const macAddress = e?.MacAddress || undefined;
  const linkLocalIps = (e?.IPAMConfig?.LinkLocalIPs ?? []).filter((a) => a !== '');
  if (e?.DriverOpts && Object.keys(e.DriverOpts).length > 0) throw new NotImplementedError('berth does not support endpoint driver options');
  if (e?.GwPriority) throw new NotImplementedError('berth does not support gateway priorities of endpoints');
  const net = networks.checkEndpoint(term, { aliases, linkLocalIps, ...(ipv4Address ? { ipv4Address } : {}), ...(ipv6Address ? { ipv6Address } : {}), ...(macAddress ? { macAddress } : {}) });
  const config: ContainerEndpointConfig = { networkId: net.id };
  if (aliases.length) config.aliases = aliases;
  if (ipv4Address) config.ipv4Address = ipv4Address;
  if (ipv6Address) config.ipv6Address = ipv6Address;
  if (macAddress) config.macAddress = macAddress;
  if (linkLocalIps.length) config.linkLocalIps = linkLocalIps;
  if (e?.Links?.length) {
    for (const l of e.Links) parseLink(l);
    config.links = [...e.Links];
  }
  return { name: net.name, config };
}

/**
 * The networks of a new container (moby `updateContainerNetworkSettings`): the NetworkMode's
 * first, then the other EndpointsConfig entries (API 1.44+ takes several). `--mac-address`
 * of older clients (Config.MacAddress) goes to the NetworkMode's endpoint.
 */
export function planNetworks(networks: ContainerNetworks | undefined, config: ContainerConfig, host: HostConfig, nc: NetworkingConfig | undefined): Record<string, ContainerEndpointConfig> | undefined {
  const legacyMac = config.MacAddress || undefined;
  const mode = host.NetworkMode || 'default';
  // Config.NetworkDisabled: loopback only, as dockerd skips the container's networking.
  if (config.NetworkDisabled) return {};
  const primary = bridgeNetworkOf(mode);
  const entries = Object.entries(nc?.EndpointsConfig ?? {});
  if (!primary || !networks) {
    const others = entries.filter(([name]) => name !== mode);
    if (others.length > 0) throw new InvalidArgumentError('Container cannot be connected to network endpoints: ' + [mode, ...others.map(([n]) => n)].join(', '));
    if (legacyMac && mode !== 'default') throw new InvalidArgumentError('conflicting options: mac-address and the network mode');
    return undefined;
  }
  const out: Record<string, ContainerEndpointConfig> = {};
  const primaryEntry = entries.find(([name]) => name === primary || (primary === 'bridge' && name === 'default'));
  const first = endpointConfigOf(networks, primary, { ...(primaryEntry?.[1] ?? {}), ...(legacyMac && !primaryEntry?.[1]?.MacAddress ? { MacAddress: legacyMac } : {}) });
  out[first.name] = first.config;
  for (const [name, e] of entries) {
    if (e === primaryEntry?.[1] && name === primaryEntry[0]) continue;
    if (e === null) throw new InvalidArgumentError(`no EndpointSettings for ${name}`);
    const next = endpointConfigOf(networks, name, e);
    if (next.name in out) continue;
    out[next.name] = next.config;
  }
  return out;
}

/** HostConfig.PortBindings, plus a free host port for each EXPOSEd port with `-P` (moby `getPortMapInfo`). */
export function portBindingsOf(rec: ContainerRecord): PortMap {
  const out: PortMap = { ...(rec.hostConfig.PortBindings ?? {}) };
  if (rec.hostConfig.PublishAllPorts) {
    for (const key of Object.keys(rec.config.ExposedPorts ?? {})) {
      const k = key.includes('/') ? key : `${key}/tcp`;
      if (!out[k] || out[k]!.length === 0) out[k] = [{ HostIp: '', HostPort: '' }];
    }
  }
  return out;
}

/**
 * The start path's network step: after the namespaces step made the container's network
 * namespace, attach it to its network (the default `bridge`, or the one NetworkMode names),
 * publish its ports, and rewrite /etc/hosts and /etc/resolv.conf for its address and DNS
 * server (aardvark-dns on user-defined networks, the host's servers on the default bridge).
 * Released by detaching, which also frees its addresses and host ports.
 */
export function networkPreparer(d: { networks: ContainerNetworks; store: ContainerStore }): Preparer {
  return {
    name: 'network',
    async prepare(ctx: StartContext) {
      const { rec } = ctx;
      const joined = Object.entries(networksOf(rec));
      if (joined.length === 0 || ctx.networkMode !== 'default') return;
      if (!ctx.netnsPath) {
        // A remapped container's namespace is made by runc inside its user namespace, after this step.
        if (Object.keys(portBindingsOf(rec)).length > 0) throw new NotImplementedError('berth cannot publish ports of containers in user namespaces yet');
        return;
      }
      // A start only happens for a container that is not running: networks still recorded for it
      // are a previous run's that nobody released (a host restart, a crash between exit and release).
      await d.networks.detach(rec.id);
      const links = linksAtStart(d, rec, joined.map(([name]) => name));
      if (links.length > 0) ctx.linkedEnv = links.flatMap((l) => linkEnv(l.linkName, l.childIp, l.child.config.Env ?? [], Object.keys(l.child.config.ExposedPorts ?? {})));
      const { planned, done } = await d.networks.attachEarly({
        containerId: rec.id, containerName: rec.name.replace(/^\//, ''), netnsPath: ctx.netnsPath,
        endpoints: joined.map(([name, c]) => ({
          network: c.networkId || name,
          ...(c.aliases ? { aliases: c.aliases } : {}), ...(c.ipv4Address ? { ipv4Address: c.ipv4Address } : {}), ...(c.ipv6Address ? { ipv6Address: c.ipv6Address } : {}), ...(c.macAddress ? { macAddress: c.macAddress } : {}),
          ...(c.linkLocalIps ? { linkLocalIps: c.linkLocalIps } : {}),
        })),
        portBindings: portBindingsOf(rec), dnsServers: rec.hostConfig.Dns ?? [],
      });
      // netavark makes the interfaces while the bundle is written and the runtime creates the
      // container; its process runs only once they are up (ADR 20, 2026-12-08).
      // `--sysctl net.*` may name an interface, which runc sets at create: then they come first.
      if (Object.keys(rec.hostConfig.Sysctls ?? {}).some((k) => k.startsWith('net.'))) await done;
      else ctx.beforeProcess.push(done);
      await writeNetworkEtcFiles(rec, ctx, planned, { hostGatewayIps: hostGatewayIps(d.networks), links: [...links.map(linkHostsEntry), ...endpointLinkHosts(d, joined)] });
    },
    async release(rec) {
      // The namespaces step, released next, drops the namespace, and the veths with it, unless
      // a `container:` peer still runs in it: then its interfaces are deleted now, as dockerd's.
      if (sharedNetnsUsers(d.store, rec).length > 0) await d.networks.detach(rec.id);
      else await d.networks.release(rec.id);
    },
  };
}

/** Other live containers in `rec`'s network namespace (NetworkMode `container:<rec>`). */
function sharedNetnsUsers(store: ContainerStore, rec: ContainerRecord): ContainerRecord[] {
  return store.list().filter((c) => {
    const mode = c.hostConfig.NetworkMode ?? '';
    if (c.id === rec.id || !mode.startsWith('container:') || !['running', 'paused', 'restarting'].includes(c.state.status)) return false;
    try {
      return store.resolve(mode.slice('container:'.length)).id === rec.id;
    } catch {
      return false;
    }
  });
}

/** The running children of a container's legacy links, with their default-bridge addresses. */
function linksAtStart(d: { networks: ContainerNetworks; store: ContainerStore }, rec: ContainerRecord, joined: string[]): LinkedChild[] {
  if (!rec.links?.length || !joined.includes('bridge')) return [];
  return linkedChildren(d.store, rec, (id) => d.networks.endpointsOf(id).bridge?.IPAddress || undefined);
}

/**
 * The links of endpoints on user-defined networks (EndpointSettings.Links: `docker run --network
 * n --link c:alias`, docker-compose v1's `links:`). dockerd makes `alias` resolve to the named
 * container's address on that network, for this container only (libnetwork CreateOptionAlias in
 * its embedded DNS). aardvark-dns answers per network, not per container, so berth writes these
 * names into this container's /etc/hosts at start, from the address the named container has then
 * on that network; one that is missing or not attached gets no entry, as its name would not
 * resolve under dockerd either.
 */
function endpointLinkHosts(d: { networks: ContainerNetworks; store: ContainerStore }, joined: ReadonlyArray<[string, ContainerEndpointConfig]>): Array<{ ip: string; names: string }> {
  const out: Array<{ ip: string; names: string }> = [];
  for (const [network, c] of joined) {
    if (!c.links?.length || network === 'bridge') continue;
    for (const l of c.links) {
      const { name, alias } = parseLink(l);
      let childId: string;
      try {
        childId = d.store.resolve(name).id;
      } catch (err) {
        if (err instanceof NotFoundError) continue;
        throw err;
      }
      const ip = d.networks.endpointsOf(childId)[network]?.IPAddress;
      if (ip) out.push({ ip, names: alias });
    }
  }
  return out;
}

/** The address `--add-host name:host-gateway` stands for: the default bridge's gateway, as dockerd's default. */
export function hostGatewayIps(networks: ContainerNetworks | undefined): string[] {
  if (!networks) return [];
  try {
    const gw = networks.find('bridge').subnets[0]?.gateway;
    return gw ? [gw] : [];
  } catch (err) {
    if (err instanceof NotFoundError) return [];
    throw err;
  }
}

async function writeNetworkEtcFiles(rec: ContainerRecord, ctx: StartContext, result: AttachResult, extras: HostsExtras): Promise<void> {
  // On a network with DNS, resolv.conf names aardvark-dns instead of the host's servers.
  await writeEtcFiles(rec, ctx.paths, result.addresses, extras, { isDurable: false, ...(result.dnsServer ? { resolvConf: resolvConfFor(rec, result.dnsServer, result.dnsSearchDomains) } : {}) });
}

/**
 * /etc/resolv.conf on a network with DNS: only aardvark-dns, which forwards other names to the
 * container's --dns servers or the host's (Docker's embedded resolver does the same at 127.0.0.11).
 */
export function resolvConfFor(rec: ContainerRecord, server: string, searchDomains: string[]): string {
  const search = rec.hostConfig.DnsSearch?.length ? rec.hostConfig.DnsSearch : searchDomains;
  let text = `nameserver ${server}\n`;
  if (search.length) text += `search ${search.join(' ')}\n`;
  if (rec.hostConfig.DnsOptions?.length) text += `options ${rec.hostConfig.DnsOptions.join(' ')}\n`;
  return text;
}

/**
 * NetworkSettings' parts that come from the network service (for view.ts): each network the
 * container is configured on, with its live endpoint while attached and only what was asked
 * for while not (as dockerd shows a stopped container's networks).
 */
export function networkSettingsOf(networks: ContainerNetworks | undefined, rec: ContainerRecord): { networks: Record<string, unknown>; ports: PortMap } | undefined {
  if (!networks) return undefined;
  const eps = networks.endpointsOf(rec.id);
  if (Object.keys(eps).length === 0 && !rec.networks) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(networksOf(rec))) out[name] = eps[name] ? { ...eps[name], ...(c.links ? { Links: c.links } : {}) } : unattachedEndpoint(c);
  for (const [name, ep] of Object.entries(eps)) out[name] ??= ep;
  return { networks: out, ports: Object.keys(eps).length > 0 ? portsWhileAttached(rec, networks.portsOf(rec.id)) : {} };
}

/** moby getPortMapInfo: each exposed port, null where it is not published, beside the published ones. */
function portsWhileAttached(rec: ContainerRecord, published: PortMap): PortMap {
  const out: PortMap = {};
  for (const key of Object.keys(rec.config.ExposedPorts ?? {})) out[key.includes('/') ? key : `${key}/tcp`] = null;
  for (const key of Object.keys(rec.hostConfig.PortBindings ?? {})) out[key.includes('/') ? key : `${key}/tcp`] ??= null;
  return { ...out, ...published };
}

function unattachedEndpoint(c: ContainerEndpointConfig): Record<string, unknown> {
  return {
    IPAMConfig: c.ipv4Address || c.ipv6Address || c.linkLocalIps ? ipamConfigOut(c) : null, Links: c.links ?? null, Aliases: c.aliases ?? null, MacAddress: c.macAddress ?? '',
    DriverOpts: null, GwPriority: 0, NetworkID: c.networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0,
    IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

/** validateCreate's lookup: a network name berth has. */
export function networkExists(networks: ContainerNetworks | undefined): (name: string) => boolean {
  return (name) => {
    if (!networks) return false;
    try {
      networks.find(name);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  };
}

/** EndpointSettings.IPAMConfig as the container asked for it. */
function ipamConfigOut(c: ContainerEndpointConfig): Record<string, unknown> {
  return { ...(c.ipv4Address ? { IPv4Address: c.ipv4Address } : {}), ...(c.ipv6Address ? { IPv6Address: c.ipv6Address } : {}), ...(c.linkLocalIps ? { LinkLocalIPs: c.linkLocalIps } : {}) };
}
