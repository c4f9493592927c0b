import { isIPv6 } from 'node:net';

/**
 * IPv6 addresses and prefixes as 128-bit BigInts (ADR 20), printed in RFC 5952's form (lower
 * case, the longest run of two or more zero groups as `::`), as Go's netip prints them.
 */
export interface Prefix6 { addr: bigint; bits: number }

const ALL = (1n << 128n) - 1n;

export function parseIpv6(s: string): bigint | undefined {
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatIpv6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function parsePrefix6(s: string): Prefix6 | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv6(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9]\d{0,2})$/.test(bitsText) || Number(bitsText) > 128) return undefined;
  return { addr, bits: Number(bitsText) };
}

function mask6(bits: number): bigint {
  return bits === 0 ? 0n : (ALL << BigInt(128 - bits)) & ALL;
}

export function masked6(p: Prefix6): Prefix6 {
  return { addr: p.addr & mask6(p.bits), bits: p.bits };
}

export function formatPrefix6(p: Prefix6): string {
  return `${formatIpv6(p.addr)}/${p.bits}`;
}

export function first6(p: Prefix6): bigint {
  return p.addr & mask6(p.bits);
}

export function last6(p: Prefix6): bigint {
  return first6(p) | (~mask6(p.bits) & ALL);
}

export function contains6(p: Prefix6, ip: bigint): boolean {
  return ip >= first6(p) && ip <= last6(p);
}

export function overlaps6(a: Prefix6, b: Prefix6): boolean {
  return first6(a) <= last6(b) && first6(b) <= last6(a);
}
