/**
 * Go's strconv as Docker's messages use it, shared by the daemon and the CLI so their texts
 * agree word for word (`strconv.ParseInt: parsing "x": invalid syntax`): clients and scripts
 * match on them.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** `%q` of a string (strconv.Quote): JSON quoting, with Go's `\xNN` for control bytes. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/\\u00([0-9a-f]{2})/g, '\\x$1');
}

/** strconv.ParseBool; undefined for anything else. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * strconv.ParseInt(s, 10, bits), with its error text. Returns a number: the values berth deals
 * in (limits, ids, counts) stay well inside 2^53.
 */
export function parseGoInt(s: string, bits = 64): number {
  if (!/^[+-]?\d+$/.test(s)) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const n = BigInt(s);
  const max = (1n << BigInt(bits - 1)) - 1n;
  if (n > max || n < -max - 1n) throw new InvalidArgumentError(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return Number(n);
}
