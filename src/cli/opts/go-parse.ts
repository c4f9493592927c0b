/**
 * Go's strconv and time parsers, with their error texts, because docker shows those texts
 * verbatim in flag errors (`invalid argument "x" for "--pids-limit" flag: strconv.ParseInt:
 * parsing "x": invalid syntax`).
 */

const quote = (s: string): string => JSON.stringify(s);

function numError(fn: string, s: string, why: 'invalid syntax' | 'value out of range'): Error {
  return new Error(`strconv.${fn}: parsing ${quote(s)}: ${why}`);
}

/** strconv.ParseInt(s, 10, bits). */
export function parseGoInt(s: string, bits = 64): number {
  if (!/^[+-]?\d+$/.test(s)) throw numError('ParseInt', s, 'invalid syntax');
  const n = BigInt(s);
  const max = (1n << BigInt(bits - 1)) - 1n;
  if (n > max || n < -max - 1n) throw numError('ParseInt', s, 'value out of range');
  return Number(n);
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

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_DURATION = (1n << 63n) - 1n;

/** time.ParseDuration, in nanoseconds ("1h30m", "1.5s", "-2ms"). */
export function parseGoDurationNs(orig: string): number {
  const invalid = (): never => {
    throw new Error(`time: invalid duration ${quote(orig)}`);
  };
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') invalid();
  let total = 0n;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) invalid();
    const intPart = /^\d*/.exec(s)![0];
    s = s.slice(intPart.length);
    let frac = '';
    if (s[0] === '.') {
      frac = /^\.(\d*)/.exec(s)![1]!;
      s = s.slice(1 + frac.length);
    }
    if (intPart === '' && frac === '') invalid();
    const unitLen = /^[^.\d]*/.exec(s)![0].length;
    if (unitLen === 0) throw new Error(`time: missing unit in duration ${quote(orig)}`);
    const unit = s.slice(0, unitLen);
    s = s.slice(unitLen);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${quote(unit)} in duration ${quote(orig)}`);
    let v = BigInt(intPart || '0') * scale;
    if (frac) v += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_DURATION) invalid();
  }
  return Number(neg ? -total : total);
}

/** Go's %v of a time.Duration ("1m30s", "500ms", "0s"). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = BigInt(Math.abs(ns));
  let out: string;
  if (n < 1_000_000_000n) {
    const [unit, div] = n < 1000n ? ['ns', 1n] : n < 1_000_000n ? ['µs', 1000n] : ['ms', 1_000_000n];
    out = `${fraction(n, div as bigint)}${unit as string}`;
  } else {
    const h = n / 3_600_000_000_000n;
    n -= h * 3_600_000_000_000n;
    const m = n / 60_000_000_000n;
    n -= m * 60_000_000_000n;
    out = `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${fraction(n, 1_000_000_000n)}s`;
  }
  return neg ? `-${out}` : out;
}

function fraction(n: bigint, div: bigint): string {
  const whole = n / div;
  const rest = n % div;
  if (rest === 0n) return String(whole);
  const digits = String(div).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
