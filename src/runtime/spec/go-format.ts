import { InvalidArgumentError } from '../../errors/index.js';

/**
 * Go's fmt verbs as Docker's messages use them, so that our errors read word for word like
 * dockerd's (clients match on some of them).
 */

/** `%q` of a string (strconv.Quote): JSON quoting, with Go's `\xNN` for control bytes. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** `%v` of a slice (nested slices too): `[a b]`, `[[gpu]]`. */
export function goList(items: readonly unknown[]): string {
  return `[${items.map((i) => (Array.isArray(i) ? goList(i) : String(i))).join(' ')}]`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * strconv.ParseInt(s, 10, 64), with its error text. Returns a number: the values berth deals in
 * (limits, ids) stay well inside 2^53.
 */
export function parseGoInt(s: string): number {
  const v = atoi(s);
  if (v !== null) return v;
  const reason = /^[+-]?\d+$/.test(s) ? 'value out of range' : 'invalid syntax';
  throw new InvalidArgumentError(`strconv.ParseInt: parsing ${goQuote(s)}: ${reason}`);
}

/** strconv.Atoi, with null for "not an int64" (moby/sys/user then treats the text as a name). */
export function atoi(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : Number(v);
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return null;
}
