/**
 * Go's strconv and time parsers, with their error texts, because docker shows those texts
 * verbatim in flag errors (`invalid argument "x" for "--pids-limit" flag: strconv.ParseInt:
 * parsing "x": invalid syntax`). The ones the daemon needs too live in util/.
 */
import { goQuote, parseGoInt } from '../../util/index.js';

export { parseGoInt, parseGoDuration as parseGoDurationNs, formatGoDuration } from '../../util/index.js';

function numError(fn: string, s: string, why: 'invalid syntax' | 'value out of range'): Error {
  return new Error(`strconv.${fn}: parsing ${goQuote(s)}: ${why}`);
}

/** strconv.ParseUint(s, base, bits) for base 8 or 10. */
export function parseGoUint(s: string, bits = 64, base: 8 | 10 = 10): number {
  const re = base === 8 ? /^[0-7]+$/ : /^\d+$/;
  if (!re.test(s)) throw numError('ParseUint', s, 'invalid syntax');
  const n = base === 8 ? BigInt(`0o${s}`) : BigInt(s);
  if (n > (1n << BigInt(bits)) - 1n) throw numError('ParseUint', s, 'value out of range');
  return Number(n);
}

/** strconv.Atoi, whose errors name ParseInt too (`strconv.Atoi: parsing "x": invalid syntax`). */
export function parseGoAtoi(s: string): number {
  try {
    return parseGoInt(s);
  } catch (e) {
    throw new Error((e as Error).message.replace('strconv.ParseInt', 'strconv.Atoi'));
  }
}

/** strconv.ParseFloat(s, 64) for decimal notation (what sizes and rates are written in). */
export function parseGoFloat(s: string): number {
  if (!/^[+-]?(\d+(_\d+)*\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^[+-]?(inf|infinity|nan)$/i.test(s)) {
    throw numError('ParseFloat', s, 'invalid syntax');
  }
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isFinite(n) && !/inf/i.test(s)) throw numError('ParseFloat', s, 'value out of range');
  return n;
}
