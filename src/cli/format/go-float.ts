/**
 * Go's float formatting, digit for digit: docker prints sizes with
 * fmt.Sprintf("%.*g", 3, x) (go-units HumanSizeWithPrecision), which differs from
 * JavaScript's toPrecision in two ways that show: exact ties round half to even
 * (4.125 → "4.12", not "4.13") and trailing zeros are dropped (4.0 → "4",
 * 999.9 → "1e+03").
 */

interface Decimal { digits: string; dp: number; neg: boolean }

/** The exact decimal expansion of a finite double (every double is a finite decimal). */
function exactDecimal(x: number): Decimal {
  const neg = x < 0 || Object.is(x, -0);
  const abs = Math.abs(x);
  // toFixed is exact for |x| < 1e21 given enough places; doubles ≥ 2^-60 need ≤ 100 of them.
  const fixed = abs < 1e21 ? abs.toFixed(100) : BigInt(abs).toString();
  const [intPart, frac = ''] = fixed.split('.');
  let digits = (intPart === '0' ? '' : intPart!) + frac;
  let dp = intPart === '0' ? 0 : intPart!.length;
  if (intPart === '0') {
    const lead = frac.match(/^0*/)![0].length;
    digits = frac.slice(lead);
    dp = -lead;
  }
  return { digits: digits.replace(/0+$/, ''), dp, neg };
}

/** Round to `n` significant digits, ties to even, trailing zeros trimmed (Go's decimal.Round). */
function round(d: Decimal, n: number): Decimal {
  if (d.digits.length <= n) return d;
  const rest = d.digits.slice(n);
  let keep = d.digits.slice(0, n);
  const tie = rest[0] === '5' && /^50*$/.test(rest);
  const up = rest[0]! > '5' || (rest[0] === '5' && !tie) || (tie && n > 0 && Number(keep[n - 1]) % 2 === 1);
  let dp = d.dp;
  if (up) {
    const bumped = (BigInt(keep || '0') + 1n).toString();
    if (bumped.length > keep.length) dp++;
    keep = bumped.slice(0, Math.max(n, 1));
  }
  return { digits: keep.replace(/0+$/, ''), dp, neg: d.neg };
}

function fmtE(d: Decimal, decimals: number): string {
  const first = d.digits[0] ?? '0';
  const rest = (d.digits.slice(1) + '0'.repeat(decimals)).slice(0, decimals);
  const exp = d.digits ? d.dp - 1 : 0;
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${d.neg ? '-' : ''}${first}${decimals > 0 ? `.${rest}` : ''}e${e}`;
}

function fmtF(d: Decimal, decimals: number): string {
  const intPart = d.dp > 0 ? (d.digits.slice(0, d.dp) + '0'.repeat(Math.max(0, d.dp - d.digits.length))) : '0';
  let frac = '';
  for (let i = 0; i < decimals; i++) {
    const idx = d.dp + i;
    frac += idx >= 0 && idx < d.digits.length ? d.digits[idx] : '0';
  }
  return `${d.neg ? '-' : ''}${intPart}${decimals > 0 ? `.${frac}` : ''}`;
}

/** Go's strconv.FormatFloat(x, 'g', prec, 64) for prec ≥ 0: "%.{prec}g". */
export function formatG(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const p = prec === 0 ? 1 : prec;
  const d = round(exactDecimal(x), p);
  if (!d.digits) return d.neg ? '-0' : '0';
  const nd = d.digits.length;
  let eprec = p;
  if (eprec > nd && nd >= d.dp) eprec = nd;
  const exp = d.dp - 1;
  if (exp < -4 || exp >= eprec) return fmtE(d, Math.min(p, nd) - 1);
  const digitsShown = p > d.dp ? nd : p;
  return fmtF(d, Math.max(digitsShown - d.dp, 0));
}

/** Go's fmt "%v" of a float64: shortest digits, exponent form from 1e+06 or below 1e-04. */
export function formatFloatV(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mant, expStr] = x.toExponential().split('e');
  const exp = Number(expStr);
  if (exp < -4 || exp >= 21 || exp >= 6) {
    return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** Go's "%v" of a JSON number: integers as integers (the typed structs docker prints use int64). */
export function formatNumberV(x: number): string {
  if (Number.isInteger(x)) return Math.abs(x) < 1e21 ? String(x) : BigInt(x).toString();
  return formatFloatV(x);
}

/** Go's strconv.FormatFloat(x, 'f', prec, 64): exact value, ties to even (stats' "0.12%"). */
export function formatFixed(x: number, prec: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  const exact = exactDecimal(x);
  const n = exact.dp + prec;
  let d: Decimal;
  if (n < 0 || !exact.digits) {
    d = { digits: '', dp: 0, neg: exact.neg };
  } else if (n === 0) {
    const first = exact.digits[0]!;
    const up = first > '5' || (first === '5' && !/^50*$/.test(exact.digits));
    d = up ? { digits: '1', dp: exact.dp + 1, neg: exact.neg } : { digits: '', dp: 0, neg: exact.neg };
  } else {
    d = round(exact, n);
  }
  return fmtF(d, prec);
}
