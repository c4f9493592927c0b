import { isIPv4, isIPv6 } from 'node:net';

/** An IP address as Go's net/netip parses and prints it. */
export interface IpAddr {
  is6: boolean;
  /** netip's String(): dotted IPv4, RFC 5952 IPv6 (IPv4-mapped as ::ffff:a.b.c.d), zone kept. */
  text: string;
  isLoopback: boolean;
}

/** RFC 5952 form of an IPv6 address without zone (the WHATWG URL serialiser implements it). */
function canonicalIpv6(addr: string): string {
  const text = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(text);
  if (!mapped) return text;
  const hi = parseInt(mapped[1]!, 16);
  const lo = parseInt(mapped[2]!, 16);
  return `::ffff:${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** netip.ParseAddr: null when `s` is not an address. */
export function parseIp(s: string): IpAddr | null {
  if (isIPv4(s)) return { is6: false, text: s, isLoopback: s.startsWith('127.') };
  const [addr = '', zone] = s.split('%', 2);
  if (!isIPv6(addr) || zone === '') return null;
  const text = canonicalIpv6(addr);
  const isLoopback = text === '::1' || text.startsWith('::ffff:127.');
  return { is6: true, text: zone === undefined ? text : `${text}%${zone}`, isLoopback };
}
