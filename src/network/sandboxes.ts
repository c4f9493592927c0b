import { randomBytes } from 'node:crypto';
import { ForbiddenError, InvalidArgumentError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { PortMap } from '../types/container.js';
import { exec, type Logger } from '../util/index.js';
import { applyBridgeOptions } from './bridge-options.js';
import type { HostPortAllocator } from './host-ports.js';
import { contains6, parseIpv6, parsePrefix6 } from './cidr6.js';
import { allocateAddress, allocateAddress6, prefixLength } from './ipam.js';
import type { Netavark, NetavarkNetwork, NetavarkOptions, NetavarkStatus } from './netavark.js';
import { parsePortBindings, portMapOf, type PortMapping } from './ports.js';
import type { NetworkStore } from './store.js';
import type { AttachRequest, AttachResult, EndpointRecord, EndpointSettingsOut, NetworkRecord, SandboxRecord } from './types.js';

export interface SandboxesDeps {
  store: NetworkStore;
  ports: HostPortAllocator;
  netavark: Netavark;
  events: EventBus;
  logger: Logger;
  find: (term: string) => NetworkRecord;
  lockNetwork: <T>(id: string, fn: () => Promise<T>) => Promise<T>;
  /** Called after a container's last network went. */
  whenIdle: () => Promise<void>;
}

type Undo = () => Promise<void> | void;

/**
 * The per-container part of NetworkService: endpoints, addresses, ports and netavark, with an
 * undo step for each. Callers hold the container's lock.
 */
export class Sandboxes {
  constructor(private readonly d: SandboxesDeps) {}

  /**
   * `onPlanned` hears what the container gets (addresses, DNS server, ports) once they are
   * allocated, before they are written down and netavark runs: the start path writes the /etc files and
   * goes on with the runtime while the interfaces are made (ADR 20, 2026-12-08).
   */
  async attach(req: AttachRequest, signal?: AbortSignal, onPlanned?: (planned: AttachResult) => void): Promise<AttachResult> {
    const existing = this.d.store.sandboxes.get(req.containerId);
    const targets = req.endpoints.map((e) => ({ e, rec: this.d.find(e.network) }));
    checkTargets(req, targets, existing);
    const undo: Undo[] = [];
    try {
      const endpoints: Array<{ rec: NetworkRecord; ep: EndpointRecord; gateway: string; ifname: string }> = [];
      const firstIf = existing ? Object.keys(existing.options.networks).length : 0;
      for (const [i, { e, rec }] of targets.entries()) {
        const { ep, gateway } = await this.d.lockNetwork(rec.id, async () => {
          const current = this.d.store.networks.get(rec.id) ?? rec;
          const taken = new Set(Object.values(current.endpoints).map((x) => x.ipAddress));
          const { address, plan } = allocateAddress(current.subnets, taken, e.ipv4Address);
          const v6 = current.enableIPv6 && current.subnets6?.length
            ? allocateAddress6(current.subnets6, new Set(Object.values(current.endpoints).flatMap((x) => (x.ipv6Address ? [x.ipv6Address] : []))), e.ipv6Address)
            : undefined;
          if (e.ipv6Address && !v6) throw new InvalidArgumentError(`invalid endpoint settings:\nno configured subnet or ip-range contain the IP address ${e.ipv6Address}`);
          const shortId = req.containerId.slice(0, 12);
          const aliases = [...(e.aliases ?? [])];
          const made: EndpointRecord = {
            containerId: req.containerId, containerName: req.containerName, endpointId: randomBytes(32).toString('hex'),
            ipAddress: address, macAddress: e.macAddress ?? macFromIpv4(address), aliases,
            dnsNames: current.dnsEnabled ? uniq([req.containerName, ...aliases, shortId]) : [],
            ...(e.ipv4Address ? { requestedIp: e.ipv4Address } : {}),
            ...(v6 ? { ipv6Address: v6.address } : {}), ...(e.ipv6Address ? { requestedIp6: e.ipv6Address } : {}),
            ...(e.linkLocalIps?.length ? { linkLocalIps: [...e.linkLocalIps] } : {}),
          };
          // Saved below, after the caller heard the plan (the in-memory record is what the next allocation reads).
          current.endpoints[req.containerId] = made;
          return { ep: made, gateway: plan.gateway };
        });
        undo.push(() => this.dropEndpoint(rec.id, req.containerId));
        endpoints.push({ rec, ep, gateway, ifname: `eth${firstIf + i}` });
      }

      // Ports are published once, with the first networks (dockerd: not on internal networks).
      const publishing = !existing && endpoints.some((x) => !x.rec.internal);
      const requests = publishing ? parsePortBindings(req.portBindings) : [];
      const first = endpoints.find((x) => !x.rec.internal) ?? endpoints[0];
      const ports = requests.length > 0 && first
        ? await this.d.ports.reserve({ containerId: req.containerId, endpointName: req.containerName, endpointId: first.ep.endpointId, containerIp: first.ep.ipAddress }, requests)
        : [];
      if (ports.length > 0) undo.push(() => this.d.ports.release(req.containerId));

      const added: NetavarkOptions = {
        container_id: req.containerId,
        container_name: req.containerName,
        port_mappings: ports.map((p) => ({ host_ip: p.hostIp === '0.0.0.0' ? '' : p.hostIp, container_port: p.containerPort, host_port: p.hostPort, range: 1, protocol: p.protocol })),
        networks: {},
        network_info: {},
        ...(req.dnsServers && req.dnsServers.length > 0 ? { dns_servers: req.dnsServers } : {}),
      };
      for (const x of endpoints) {
        added.networks[x.rec.id] = {
          static_ips: [x.ep.ipAddress, ...(x.ep.ipv6Address ? [x.ep.ipv6Address] : [])], aliases: [...x.ep.aliases, req.containerId.slice(0, 12)], interface_name: x.ifname,
          ...(x.ep.macAddress ? { static_mac: x.ep.macAddress } : {}),
        };
        added.network_info[x.rec.id] = netavarkNetwork(x.rec);
      }
      onPlanned?.(resultOf(endpoints, ports, {}));
      // Outside the network's lock, so that the saves of containers joining together share
      // writes (NetworkStore.saveNetwork); the network cannot go while this endpoint is on it.
      for (const x of endpoints) {
        const current = this.d.store.networks.get(x.rec.id);
        if (current) await this.d.store.saveNetwork(current);
      }
      // On disk before netavark runs: a crash in between leaves what detach needs to undo it.
      const sandbox: SandboxRecord = existing
        ? { ...existing, options: { ...existing.options, networks: { ...existing.options.networks, ...added.networks }, network_info: { ...existing.options.network_info, ...added.network_info } } }
        : { containerId: req.containerId, netnsPath: req.netnsPath, options: added, ports };
      await this.d.store.saveSandbox(sandbox);
      undo.push(() => (existing ? this.d.store.saveSandbox(existing) : this.d.store.deleteSandbox(req.containerId)));

      const status = await this.d.netavark.setup(req.netnsPath, added, signal);
      undo.push(() => this.d.netavark.teardown(req.netnsPath, added));
      for (const x of endpoints) await applyBridgeOptions(x.rec);
      // netavark 1.4 has no key for them; they go with the interface (disconnect, the namespace's end).
      for (const x of endpoints) if (x.ep.linkLocalIps) await addLinkLocalAddresses(req.netnsPath, x.ifname, x.ep.linkLocalIps);

      for (const x of endpoints) {
        const mac = status[x.rec.id]?.interfaces[x.ifname]?.mac_address ?? x.ep.macAddress;
        if (mac !== x.ep.macAddress) {
          await this.d.lockNetwork(x.rec.id, async () => {
            const current = this.d.store.networks.get(x.rec.id);
            const ep = current?.endpoints[req.containerId];
            if (!current || !ep) return;
            ep.macAddress = mac;
            await this.d.store.saveNetwork(current);
          });
          x.ep.macAddress = mac;
        }
      }
      const result = resultOf(endpoints, ports, status);
      for (const x of endpoints) this.d.events.publish('network', 'connect', x.rec.id, { container: req.containerId, name: x.rec.name, type: 'bridge' });
      return result;
    } catch (err) {
      for (const step of undo.reverse()) {
        try {
          await step();
        } catch (e) {
          // The original error is what the caller must see; a failed undo step is logged for a human.
          this.d.logger.error({ component: 'network', containerId: req.containerId, err: e }, 'undoing a failed network attach failed');
        }
      }
      throw err;
    }
  }

  /**
   * With `namespaceGoes` the caller drops the namespace right after (a stopped container):
   * its veths go with it, and the bridges stay for the next container (ADR 20).
   */
  async detach(containerId: string, netnsPath?: string, networks?: string[], o: { namespaceGoes?: boolean } = {}): Promise<void> {
    const sb = this.d.store.sandboxes.get(containerId);
    if (!sb) return;
    const ids = networks ? networks.map((n) => this.d.find(n).id).filter((id) => id in sb.options.networks) : Object.keys(sb.options.networks);
    if (ids.length === 0) return;
    const isAll = ids.length === Object.keys(sb.options.networks).length;
    const part: NetavarkOptions = {
      ...sb.options,
      port_mappings: isAll ? sb.options.port_mappings ?? [] : [],
      networks: Object.fromEntries(ids.map((id) => [id, sb.options.networks[id]!])),
      network_info: Object.fromEntries(ids.map((id) => [id, sb.options.network_info[id]!])),
    };
    // With the interfaces going with the namespace, a teardown would only remove port rules and
    // aardvark-dns entries: a container with neither (the default bridge, no -p) needs no netavark.
    const hasNothingElse = (part.port_mappings ?? []).length === 0 && Object.values(part.network_info).every((n) => !n.dns_enabled);
    if (!(o.namespaceGoes && hasNothingElse)) await this.d.netavark.teardown(netnsPath ?? sb.netnsPath, part, { interfacesGo: o.namespaceGoes === true });
    // A stopped container's endpoints: the records are current at once, written in the
    // background (ADR 20, 2026-12-08 "second pass"); the sandbox record goes last.
    for (const id of ids) await this.dropEndpoint(id, containerId, { isDurable: !o.namespaceGoes });
    if (isAll) {
      this.d.ports.release(containerId);
      await this.d.store.deleteSandbox(containerId);
    } else {
      const rest = Object.keys(sb.options.networks).filter((id) => !ids.includes(id));
      await this.d.store.saveSandbox({
        ...sb,
        options: { ...sb.options, networks: Object.fromEntries(rest.map((id) => [id, sb.options.networks[id]!])), network_info: Object.fromEntries(rest.map((id) => [id, sb.options.network_info[id]!])) },
      });
    }
    for (const id of ids) {
      const rec = this.d.store.networks.get(id);
      this.d.events.publish('network', 'disconnect', id, { container: containerId, name: rec?.name ?? sb.options.network_info[id]?.name ?? id, type: 'bridge' });
    }
    // netavark removed a bridge (and its chains) only if it deleted the last veth on it itself.
    if (isAll && !o.namespaceGoes) await this.d.whenIdle();
  }

  settingsOf(containerId: string): Record<string, EndpointSettingsOut> {
    const out: Record<string, EndpointSettingsOut> = {};
    for (const rec of this.d.store.networks.values()) {
      const ep = rec.endpoints[containerId];
      if (ep) out[rec.name] = settingsFor(rec, ep, rec.subnets[0]?.gateway ?? '');
    }
    return out;
  }

  portsOf(containerId: string): PortMap {
    return portMapOf(this.d.store.sandboxes.get(containerId)?.ports ?? []);
  }

  /**
   * Without `isDurable` the caller does not wait for the network's record to be written: a
   * daemon killed before leaves the endpoint in it with no sandbox record behind once the
   * caller deleted that, and `NetworkService.init` drops such endpoints.
   */
  private async dropEndpoint(networkId: string, containerId: string, o: { isDurable?: boolean } = {}): Promise<void> {
    await this.d.lockNetwork(networkId, async () => {
      const rec = this.d.store.networks.get(networkId);
      if (!rec || !(containerId in rec.endpoints)) return;
      delete rec.endpoints[containerId];
      const saved = this.d.store.saveNetwork(rec);
      if (o.isDurable !== false) await saved;
      else saved.catch((err: unknown) => this.d.logger.warn({ component: 'network', network: rec.name, containerId, err }, 'writing the network record failed'));
    });
  }
}

/**
 * What a container's attach gives it. Without netavark's status (before it ran) the DNS server is
 * the network's gateway, where netavark 1.4 puts aardvark-dns, and the MAC the one asked for.
 */
function resultOf(endpoints: ReadonlyArray<{ rec: NetworkRecord; ep: EndpointRecord; gateway: string }>, ports: readonly PortMapping[], status: NetavarkStatus): AttachResult {
  const result: AttachResult = { networks: {}, ports: portMapOf(ports), dnsSearchDomains: [], addresses: [] };
  for (const x of endpoints) {
    const st = status[x.rec.id];
    result.networks[x.rec.name] = settingsFor(x.rec, x.ep, x.gateway);
    result.addresses.push(x.ep.ipAddress, ...(x.ep.ipv6Address ? [x.ep.ipv6Address] : []));
    if (x.rec.dnsEnabled && result.dnsServer === undefined) {
      result.dnsServer = st?.dns_server_ips?.[0] ?? x.gateway;
      result.dnsSearchDomains = (st?.dns_search_domains ?? []).filter((d) => d !== 'dns.podman');
    }
  }
  return result;
}

/** dockerd's refusals before anything is set up. */
function checkTargets(req: AttachRequest, targets: Array<{ e: AttachRequest['endpoints'][number]; rec: NetworkRecord }>, existing: SandboxRecord | undefined): void {
  const seen = new Set<string>();
  for (const { e, rec } of targets) {
    if (rec.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be disconnected from ${rec.name} network or connected to ${rec.name} network`);
    if (seen.has(rec.id) || (existing && rec.id in existing.options.networks)) throw new ForbiddenError(`endpoint with name ${req.containerName} already exists in network ${rec.name}`);
    seen.add(rec.id);
    if (rec.isPredefined) {
      if (e.ipv4Address || e.ipv6Address) throw new InvalidArgumentError('user specified IP address is supported on user defined networks only');
      if (e.aliases && e.aliases.length > 0) throw new InvalidArgumentError('network-scoped aliases are only supported for user-defined networks');
    }
  }
}

export function netavarkNetwork(rec: NetworkRecord): NetavarkNetwork {
  const mtu = rec.options['com.docker.network.driver.mtu'];
  return {
    name: rec.id, id: rec.id, driver: 'bridge', network_interface: rec.bridge!,
    subnets: [...rec.subnets, ...(rec.enableIPv6 ? rec.subnets6 ?? [] : [])].map((s) => ({ subnet: s.subnet, gateway: s.gateway })),
    ipv6_enabled: rec.enableIPv6 && (rec.subnets6?.length ?? 0) > 0, internal: rec.internal, dns_enabled: rec.dnsEnabled,
    ...(mtu && mtu !== '1500' ? { options: { mtu } } : {}),
    ipam_options: { driver: 'host-local' },
  };
}

function settingsFor(rec: NetworkRecord, ep: EndpointRecord, gateway: string): EndpointSettingsOut {
  const plan = rec.subnets.find((s) => s.gateway === gateway) ?? rec.subnets[0];
  const plan6 = ep.ipv6Address ? rec.subnets6?.find((s) => contains6(parsePrefix6(s.subnet)!, parseIpv6(ep.ipv6Address!)!)) : undefined;
  const ipam = {
    ...(ep.requestedIp ? { IPv4Address: ep.requestedIp } : {}), ...(ep.requestedIp6 ? { IPv6Address: ep.requestedIp6 } : {}),
    ...(ep.linkLocalIps ? { LinkLocalIPs: ep.linkLocalIps } : {}),
  };
  return {
    IPAMConfig: Object.keys(ipam).length > 0 ? ipam : null,
    Links: null,
    Aliases: ep.aliases.length > 0 ? ep.aliases : null,
    MacAddress: ep.macAddress,
    DriverOpts: null,
    GwPriority: 0,
    NetworkID: rec.id,
    EndpointID: ep.endpointId,
    Gateway: gateway,
    IPAddress: ep.ipAddress,
    IPPrefixLen: prefixLength(plan?.subnet ?? ''),
    IPv6Gateway: plan6?.gateway ?? '',
    GlobalIPv6Address: ep.ipv6Address ?? '',
    GlobalIPv6PrefixLen: plan6 ? prefixLength(plan6.subnet) : 0,
    DNSNames: ep.dnsNames.length > 0 ? ep.dnsNames : null,
  };
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/**
 * An endpoint's MAC address when none was asked for: 02:42 and the four bytes of its IPv4
 * address, as libnetwork's GenerateMACFromIP. A container that restarts keeps its address and
 * so its MAC, and the host's neighbour entry for it stays right: with a random MAC per start,
 * a restart-policy restart left the host sending to the old MAC until the entry went stale,
 * and the published port timed out for seconds (seen with docker-compose, ADR 0019).
 */
export function macFromIpv4(address: string): string {
  return ['02', '42', ...address.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/**
 * `--link-local-ip`: each address on the container's interface with libnetwork's masks (IPv4
 * /16, IPv6 /64, whatever the address: moby `CreateOptionIpam`). IPv6 ones skip duplicate
 * address detection, so they answer at once rather than after DAD's second.
 */
export async function addLinkLocalAddresses(netnsPath: string, ifname: string, addresses: readonly string[]): Promise<void> {
  for (const a of addresses) {
    const isV6 = a.includes(':');
    await exec('nsenter', [`--net=${netnsPath}`, 'ip', 'addr', 'add', `${a}/${isV6 ? 64 : 16}`, 'dev', ifname, ...(isV6 ? ['nodad'] : [])], { timeoutMs: 10_000 });
  }
}
