/** Go's time.Duration as text, for flags, daemon.json, health checks and messages. */
import { InvalidArgumentError } from '../errors/index.js';
import { goQuote } from './go-strconv.js';

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_DURATION = (1n << 63n) - 1n;

/** time.ParseDuration, in nanoseconds ("1h30m", "1.5s", "-2ms"), with its error texts. */
export function parseGoDuration(orig: string): number {
  const invalid = (): never => {
    throw new InvalidArgumentError(`time: invalid duration ${goQuote(orig)}`);
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
    if (unitLen === 0) throw new InvalidArgumentError(`time: missing unit in duration ${goQuote(orig)}`);
    const unit = s.slice(0, unitLen);
    s = s.slice(unitLen);
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw new InvalidArgumentError(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`);
    let v = BigInt(intPart || '0') * scale;
    if (frac) v += (BigInt(frac) * scale) / 10n ** BigInt(frac.length);
    total += v;
    if (total > MAX_DURATION) invalid();
  }
  return Number(neg ? -total : total);
}

/** Go's %v of a time.Duration ("1m30s", "500ms", "1.5µs", "0s"). */
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
