/**
 * `--network` (opts.NetworkOpt: a name, or "name=x,alias=y,ip=…") and `--gpus`
 * (opts.GpuOpts), and how docker turns networks into HostConfig.NetworkMode and
 * NetworkingConfig.EndpointsConfig (container/opts.go parseNetworkOpts).
 */
import type { DeviceRequest, EndpointSettings } from '../../types/container.js';
import { parseGoAtoi } from './go-parse.js';
import { readCsvRecord } from './mounts.js';
import { isValidMac } from './validators.js';

export interface NetworkAttachment {
  target: string;
  aliases?: string[];
  driverOpts?: Record<string, string>;
  links?: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  linkLocalIps?: string[];
  macAddress?: string;
  gwPriority?: number;
}

/** NetworkOpt.Set. */
export function parseNetworkOpt(value: string): NetworkAttachment {
  if (!/\w+=\w+(,\w+=\w+)*/.test(value)) return { target: value };
  const n: NetworkAttachment = { target: '', aliases: [] };
  for (const field of readCsvRecord(value)) {
    const lower = field.toLowerCase();
    const eq = lower.indexOf('=');
    if (eq <= 0) throw new Error(`invalid field ${field}`);
    const key = lower.slice(0, eq).trim();
    const val = lower.slice(eq + 1).trim();
    switch (key) {
      case 'name': n.target = val; break;
      case 'alias': n.aliases!.push(val); break;
      case 'ip': n.ipv4Address = val; break;
      case 'ip6': n.ipv6Address = val; break;
      case 'mac-address': n.macAddress = val; break;
      case 'link-local-ip': (n.linkLocalIps ??= []).push(val); break;
      case 'driver-opt': {
        const deq = val.indexOf('=');
        if (deq <= 0) throw new Error('invalid key value pair format in driver options');
        (n.driverOpts ??= {})[val.slice(0, deq).trim()] = val.slice(deq + 1).trim();
        break;
      }
      case 'gw-priority':
        try {
          n.gwPriority = parseGoAtoi(val);
        } catch (e) {
          throw new Error(`invalid gw-priority (${val}): ${(e as Error).message.replace(/^.*: /, '')}`);
        }
        break;
      default: throw new Error(`invalid field key ${key}`);
    }
  }
  if (n.target.length === 0) throw new Error('network name/id is not specified');
  return n;
}

const isContainerMode = (mode: string): boolean => mode.startsWith('container:');

/** NetworkMode.IsUserDefined on Linux. */
export function isUserDefinedNetwork(mode: string): boolean {
  return !['default', 'bridge', 'host', 'none'].includes(mode) && !isContainerMode(mode);
}

/** The options that apply to the first network (`--network-alias`, `--ip`, `--link`, …). */
export interface LegacyNetworkFlags {
  aliases: string[];
  links: string[];
  ipv4Address: string;
  ipv6Address: string;
  macAddress: string;
  linkLocalIps: string[];
}

function applyLegacyFlags(n: NetworkAttachment, f: LegacyNetworkFlags): NetworkAttachment {
  const conflict = (what: string): never => {
    throw new Error(`conflicting options: cannot specify both ${what}`);
  };
  if ((n.aliases?.length ?? 0) > 0 && f.aliases.length > 0) conflict('--network-alias and per-network alias');
  if ((n.links?.length ?? 0) > 0 && f.links.length > 0) conflict('--link and per-network links');
  if (n.ipv4Address && f.ipv4Address) conflict('--ip and per-network IPv4 address');
  if (n.ipv6Address && f.ipv6Address) conflict('--ip6 and per-network IPv6 address');
  if (n.macAddress && f.macAddress) conflict('--mac-address and per-network MAC address');
  if ((n.linkLocalIps?.length ?? 0) > 0 && f.linkLocalIps.length > 0) conflict('--link-local-ip and per-network link-local IP addresses');
  const out = { ...n };
  if (f.aliases.length) out.aliases = [...f.aliases];
  if (isUserDefinedNetwork(n.target) && f.links.length) out.links = [...f.links];
  if (f.ipv4Address) out.ipv4Address = f.ipv4Address;
  if (f.ipv6Address) out.ipv6Address = f.ipv6Address;
  if (f.macAddress) out.macAddress = f.macAddress;
  if (f.linkLocalIps.length) out.linkLocalIps = [...f.linkLocalIps];
  return out;
}

/** EndpointSettings as Go marshals network.EndpointSettings (no omitempty). */
export function endpointJson(ep: EndpointSettings & { GwPriority?: number }): Record<string, unknown> {
  return {
    IPAMConfig: ep.IPAMConfig ?? null,
    Links: ep.Links ?? null,
    Aliases: ep.Aliases ?? null,
    MacAddress: ep.MacAddress ?? '',
    DriverOpts: ep.DriverOpts ?? null,
    GwPriority: ep.GwPriority ?? 0,
    NetworkID: '',
    EndpointID: '',
    Gateway: '',
    IPAddress: '',
    IPPrefixLen: 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DNSNames: null,
  };
}

/** parseNetworkAttachmentOpt; undefined stands for docker's all-zero EndpointSettings. */
function endpointOf(n: NetworkAttachment): EndpointSettings & { GwPriority?: number } {
  if (n.target.trim() === '') throw new Error('no name set for network');
  if (!isUserDefinedNetwork(n.target)) {
    if ((n.aliases?.length ?? 0) > 0) throw new Error('network-scoped aliases are only supported for user-defined networks');
    if ((n.links?.length ?? 0) > 0) throw new Error('links are only supported for user-defined networks');
  }
  const ep: EndpointSettings & { GwPriority?: number } = {};
  if (n.gwPriority) ep.GwPriority = n.gwPriority;
  if (n.aliases?.length) ep.Aliases = [...n.aliases];
  if (n.driverOpts && Object.keys(n.driverOpts).length) ep.DriverOpts = n.driverOpts;
  if (n.links?.length) ep.Links = n.links;
  if (n.ipv4Address || n.ipv6Address || n.linkLocalIps?.length) {
    ep.IPAMConfig = { IPv4Address: n.ipv4Address ?? '', IPv6Address: n.ipv6Address ?? '', LinkLocalIPs: n.linkLocalIps ?? null };
  }
  if (n.macAddress) {
    if (!isValidMac(n.macAddress)) throw new Error(`${n.macAddress} is not a valid mac address`);
    ep.MacAddress = n.macAddress;
  }
  return ep;
}

const isEmptyEndpoint = (ep: object): boolean => Object.keys(ep).length === 0;

/** parseNetworkOpts: the endpoints to send, keyed by network. */
export function parseNetworks(networks: NetworkAttachment[], legacy: LegacyNetworkFlags): Record<string, EndpointSettings & { GwPriority?: number }> {
  const endpoints: Record<string, EndpointSettings & { GwPriority?: number }> = {};
  if (networks.length === 0) endpoints.default = endpointOf(applyLegacyFlags({ target: 'default' }, legacy));
  let userDefined = false;
  let nonUserDefined = false;
  networks.forEach((n0, i) => {
    if (isUserDefinedNetwork(n0.target)) userDefined = true;
    else nonUserDefined = true;
    const n = i === 0 ? applyLegacyFlags(n0, legacy) : n0;
    const ep = endpointOf(n);
    if (endpoints[n.target]) throw new Error(`network ${JSON.stringify(n.target)} is specified multiple times`);
    // One network without options: docker leaves the endpoint to the daemon.
    if (i === 0 && networks.length === 1 && isEmptyEndpoint(ep)) return;
    endpoints[n.target] = ep;
  });
  if (userDefined && nonUserDefined) throw new Error('conflicting options: cannot attach both user-defined and non-user-defined network-modes');
  return endpoints;
}

/** GpuOpts.Set: "all", "2", or "driver=x,count=n,device=…,capabilities=…,options=…". */
export function parseGpuRequest(value: string): DeviceRequest {
  const parseCount = (s: string): number => {
    if (s === 'all') return -1;
    if (!/^[+-]?\d+$/.test(s)) throw new Error(`invalid count (${s}): value must be either "all" or an integer: invalid syntax`);
    return Number(s);
  };
  const req: DeviceRequest = { Driver: '', Count: 0, DeviceIDs: null, Capabilities: null, Options: null };
  const seen = new Set<string>();
  for (const field of readCsvRecord(value)) {
    const eq = field.indexOf('=');
    const key = eq >= 0 ? field.slice(0, eq) : field;
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (seen.has(key)) throw new Error(`gpu request key '${key}' can be specified only once`);
    seen.add(key);
    if (eq < 0) {
      seen.add('count');
      req.Count = parseCount(key);
      continue;
    }
    switch (key) {
      case 'driver': req.Driver = val; break;
      case 'count': req.Count = parseCount(val); break;
      case 'device': req.DeviceIDs = val.split(','); break;
      case 'capabilities': req.Capabilities = [[...val.split(','), 'gpu']]; break;
      case 'options': {
        const opts: Record<string, string> = {};
        for (const kv of readCsvRecord(val)) {
          const k = kv.indexOf('=');
          opts[k >= 0 ? kv.slice(0, k) : kv] = k >= 0 ? kv.slice(k + 1) : '';
        }
        req.Options = opts;
        break;
      }
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!seen.has('count') && req.DeviceIDs === null) req.Count = 1;
  req.Options ??= {};
  req.Capabilities ??= [['gpu']];
  return req;
}
