import { InvalidArgumentError } from '../../errors/index.js';
import { goQuote } from './go-format.js';
import { parseIp } from './ip.js';

/**
 * The container's /etc/hostname and /etc/hosts, byte for byte as Docker writes them (moby
 * container `BuildHostnameFile`, libnetwork etchosts and sandbox_dns_unix.go).
 */

/** /etc/hostname: the hostname alone (the domain goes to the kernel.domainname sysctl). */
export function buildHostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/** The `host-gateway` magic value of `--add-host name:host-gateway`. */
export const HOST_GATEWAY_NAME = 'host-gateway';

export interface ExtraHost { name: string; ip: string }

/**
 * HostConfig.ExtraHosts entries, `name:ip` split at the first ':' so IPv6 addresses survive
 * (moby opts `ValidateExtraHost`); `host-gateway` becomes each of the daemon's gateway IPs.
 */
export function parseExtraHosts(entries: readonly string[], hostGatewayIps: readonly string[] = []): ExtraHost[] {
  return entries.flatMap((entry) => {
    const at = entry.indexOf(':');
    const name = at < 0 ? '' : entry.slice(0, at);
    if (name === '') throw new InvalidArgumentError(`bad format for add-host: ${goQuote(entry)}`);
    let ip = entry.slice(at + 1);
    if (ip === HOST_GATEWAY_NAME) {
      if (hostGatewayIps.length === 0) throw new InvalidArgumentError('unable to derive the IP value for host-gateway');
      return hostGatewayIps.map((g) => ({ name, ip: g }));
    }
    // The docker CLI strips brackets before sending; other clients may not.
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (!parseIp(ip.trim())) throw new InvalidArgumentError(`invalid IP address in add-host: ${goQuote(ip)}`);
    return [{ name, ip: ip.trim() }];
  });
}

export interface HostsFileInput {
  /** HostConfig.ExtraHosts. */
  extraHosts?: readonly string[];
  /** The daemon's host-gateway addresses. */
  hostGatewayIps?: readonly string[];
  hostname: string;
  domainname?: string;
  /** Legacy links (`--link`): `ip<TAB>names`, after the extra hosts (moby addLegacyLinks). */
  links?: ReadonlyArray<{ ip: string; names: string }>;
  /** The container's own addresses on its networks, listed with its names. */
  containerIps?: readonly string[];
  /** false only when IPv6 is known to be off in the container; Docker assumes it is on. */
  isIpv6Enabled?: boolean;
  /** Host networking: the host's /etc/hosts, copied as-is when there are no extra hosts. */
  hostNetworkHosts?: string;
}

interface HostsRecord { ip: string; is6: boolean; hosts: string }

function record(ip: string, hosts: string): HostsRecord {
  const addr = parseIp(ip);
  if (!addr) throw new InvalidArgumentError(`could not parse extra host IP ${ip}: ParseAddr(${goQuote(ip)}): unable to parse IP`);
  return { ip: addr.text, is6: addr.is6, hosts };
}

/** The container's names: FQDN, then the bare hostname when the FQDN has a dot (`makeHostsRecs`). */
function ownNames(hostname: string, domainname: string): string {
  let hosts = domainname === '' ? hostname : `${hostname}.${domainname}`;
  const dot = hosts.indexOf('.');
  if (dot >= 0) hosts += ` ${hosts.slice(0, dot)}`;
  return hosts;
}

const IPV4_DEFAULTS: HostsRecord[] = [{ ip: '127.0.0.1', is6: false, hosts: 'localhost' }];
const IPV6_DEFAULTS: HostsRecord[] = [
  { ip: '::1', is6: true, hosts: 'localhost ip6-localhost ip6-loopback' },
  { ip: 'fe00::', is6: true, hosts: 'ip6-localnet' },
  { ip: 'ff00::', is6: true, hosts: 'ip6-mcastprefix' },
  { ip: 'ff02::1', is6: true, hosts: 'ip6-allnodes' },
  { ip: 'ff02::2', is6: true, hosts: 'ip6-allrouters' },
];

/**
 * /etc/hosts: localhost, the IPv6 names, then --add-host entries, then the container's own
 * addresses with its names; `ip<TAB>names` per line. With IPv6 off, every IPv6 line goes.
 */
export function buildHostsFile(input: HostsFileInput): string {
  const extra = parseExtraHosts(input.extraHosts ?? [], input.hostGatewayIps);
  if (input.hostNetworkHosts !== undefined && extra.length === 0) return input.hostNetworkHosts;
  const names = ownNames(input.hostname, input.domainname ?? '');
  const records = [
    ...extra.map((h) => record(h.ip, h.name)),
    ...(input.links ?? []).map((l) => record(l.ip, l.names)),
    ...(input.containerIps ?? []).map((ip) => record(ip, names)),
  ];
  const hasIpv6 = input.isIpv6Enabled ?? true;
  const lines = hasIpv6 ? [...IPV4_DEFAULTS, ...IPV6_DEFAULTS, ...records] : [...IPV4_DEFAULTS, ...records.filter((r) => !r.is6)];
  return lines.map((r) => `${r.ip}\t${r.hosts}\n`).join('');
}
