import { InvalidArgumentError } from '../errors/index.js';
import { contains, isIpv6Text, parseIpv4, parsePrefix } from './cidr.js';
import { contains6, parseIpv6, parsePrefix6 } from './cidr6.js';
import type { NetworkRecord } from './types.js';

/** What a container asks of one network (create's EndpointsConfig entry, `network connect`). */
export interface EndpointCheck {
  aliases?: readonly string[];
  ipv4Address?: string;
  ipv6Address?: string;
  macAddress?: string;
  /** `--link-local-ip` (IPAMConfig.LinkLocalIPs). */
  linkLocalIps?: readonly string[];
}

/**
 * dockerd's checks of an endpoint's settings before anything is set up (moby
 * `validateEndpointSettings`), every failure listed under its one heading.
 */
export function checkEndpointSettings(rec: NetworkRecord, e: EndpointCheck): void {
  const errs: string[] = [];
  if (rec.isPredefined) {
    if (e.ipv4Address || e.ipv6Address) errs.push('user specified IP address is supported on user defined networks only');
    if (e.aliases && e.aliases.length > 0) errs.push('network-scoped aliases are only supported for user-defined networks');
  }
  if (e.ipv4Address) {
    const ip = parseIpv4(e.ipv4Address);
    if (ip === undefined || ip === 0) errs.push(`invalid IPv4 address: ${e.ipv4Address}`);
    else if (!rec.isPredefined && !rec.subnets.some((s) => contains(parsePrefix(s.ipRange ?? s.subnet)!, ip))) {
      errs.push(`no configured subnet or ip-range contain the IP address ${e.ipv4Address}`);
    }
  }
  if (e.ipv6Address) {
    const ip = isIpv6Text(e.ipv6Address) ? parseIpv6(e.ipv6Address) : undefined;
    if (ip === undefined) errs.push(`invalid IPv6 address: ${e.ipv6Address}`);
    else if (!rec.isPredefined && !(rec.enableIPv6 && (rec.subnets6 ?? []).some((s) => contains6(parsePrefix6(s.ipRange ?? s.subnet)!, ip)))) {
      errs.push(`no configured subnet or ip-range contain the IP address ${e.ipv6Address}`);
    }
  }
  for (const a of e.linkLocalIps ?? []) {
    const v4 = parseIpv4(a);
    const v6 = v4 === undefined ? parseIpv6(a) : undefined;
    if ((v4 === undefined && v6 === undefined) || v4 === 0 || v6 === 0n) errs.push(`invalid link-local IP address: ${a}`);
  }
  if (errs.length > 0) throw new InvalidArgumentError(`invalid endpoint settings:\n${errs.join('\n')}`);
  if (e.macAddress && !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(e.macAddress)) throw new InvalidArgumentError(`invalid MAC address: ${e.macAddress}`);
}
