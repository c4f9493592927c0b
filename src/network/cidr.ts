/**
 * IPv4 addresses and prefixes as unsigned 32-bit numbers, with netip's parsing rules (no
 * leading zeros, no shorthand) and printing. berth's networks are IPv4 only (ADR 12).
 */
export interface Prefix {
  /** The address as written (host bits may be set: `Masked` tells). */
  addr: number;
  bits: number;
}

export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** netip.ParsePrefix for IPv4: `a.b.c.d/n`, 0 ≤ n ≤ 32. */
export function parsePrefix(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (addr === undefined || !/^(0|[1-9]\d?)$/.test(bitsText) || Number(bitsText) > 32) return undefined;
  return { addr, bits: Number(bitsText) };
}

/** True when `s` looks like an IPv6 address or prefix (berth refuses those with its own message). */
export function isIpv6Text(s: string): boolean {
  return s.includes(':');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function masked(p: Prefix): Prefix {
  return { addr: (p.addr & mask(p.bits)) >>> 0, bits: p.bits };
}

export function isMasked(p: Prefix): boolean {
  return masked(p).addr === p.addr;
}

export function formatPrefix(p: Prefix): string {
  return `${formatIpv4(p.addr)}/${p.bits}`;
}

/** The first and last address of the prefix (network and broadcast addresses included). */
export function firstAddr(p: Prefix): number {
  return masked(p).addr;
}

export function lastAddr(p: Prefix): number {
  return (masked(p).addr + sizeOf(p) - 1) >>> 0;
}

export function sizeOf(p: Prefix): number {
  return 2 ** (32 - p.bits);
}

export function contains(p: Prefix, ip: number): boolean {
  return ip >= firstAddr(p) && ip <= lastAddr(p);
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return firstAddr(a) <= lastAddr(b) && firstAddr(b) <= lastAddr(a);
}
