/**
 * docker/go-units, as docker's CLI prints sizes and ages: HumanSize ("16.43MB",
 * decimal units, 4 significant digits), HumanSizeWithPrecision(x, 3) for image and
 * layer sizes ("4.26MB"), BytesSize for memory ("15.55GiB") and HumanDuration for
 * "2 weeks ago".
 */
import { formatG } from './go-float.js';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

export function humanSizeWithPrecision(size: number, precision: number): string {
  const [v, unit] = sizeAndUnit(size, 1000, DECIMAL);
  return formatG(v, precision) + unit;
}

export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

export function bytesSize(size: number): string {
  const [v, unit] = sizeAndUnit(size, 1024, BINARY);
  return formatG(v, 4) + unit;
}

export { humanDuration } from '../../util/units.js';
import { humanDuration } from '../../util/units.js';

/** docker's "… ago" for a Unix time in seconds, measured from `nowMs`. */
export function humanSince(unixSeconds: number, nowMs = Date.now()): string {
  return `${humanDuration(nowMs - unixSeconds * 1000)} ago`;
}

/** stringid.TruncateID: drop the algorithm prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const hex = i >= 0 ? id.slice(i + 1) : id;
  return hex.length > 12 ? hex.slice(0, 12) : hex;
}

/** formatter.Ellipsis: cut to a display width, ending in "…". */
export function ellipsis(s: string, maxWidth: number): string {
  if (maxWidth <= 0) return '';
  const chars = [...s];
  if (maxWidth === 1) return chars[0] ?? '';
  let width = 0;
  const ends: number[] = [];
  for (const c of chars) {
    width += charWidth(c);
    ends.push(width);
  }
  if (width <= maxWidth) return s;
  for (let i = 0; i < ends.length; i++) {
    if (ends[i]! <= maxWidth - 1 && (ends[i + 1] ?? Infinity) > maxWidth - 1) return chars.slice(0, i + 1).join('') + '…';
  }
  return s;
}

/** Terminal columns a character takes: 2 for East Asian wide and fullwidth, 0 for combining marks. */
export function charWidth(c: string): number {
  const cp = c.codePointAt(0) ?? 0;
  // Below U+0300 there is no mark and nothing wide: answered without the Unicode property
  // regular expression, whose first use compiles it (ADR 0014: `berth ps`'s table is ASCII).
  if (cp < 0x300) return cp === 0 ? 0 : 1;
  if (/\p{Mn}|\p{Me}/u.test(c)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) || (cp >= 0xac00 && cp <= 0xd7a3)
    || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60)
    || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) || (cp >= 0x1f900 && cp <= 0x1f9ff)
    || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

export function stringWidth(s: string): number {
  let w = 0;
  for (const c of s) w += charWidth(c);
  return w;
}
