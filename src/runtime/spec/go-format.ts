import { goQuote } from '../../util/index.js';

/**
 * Go's fmt verbs as Docker's messages use them, so that our errors read word for word like
 * dockerd's (clients match on some of them).
 */

export { goQuote } from '../../util/index.js';

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

/** strconv.Atoi, with null for "not an int64" (moby/sys/user then treats the text as a name). */
export function atoi(s: string): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : Number(v);
}
