/**
 * Template functions: Go's builtins (text/template/funcs.go) and docker's additions
 * (docker/cli templates/templates.go: json, split, join, title, lower, upper, pad,
 * truncate). `and`/`or` short-circuit, so the executor evaluates them itself.
 */
import { formatG } from '../format/go-float.js';
import { formatValue, goJson, goTypeName, isPlainObject, isTrue } from './value.js';

export interface TemplateFunc {
  /** Fixed parameter count, or [min, max] with max Infinity for variadic functions. */
  arity: number | [number, number];
  call(args: unknown[]): unknown;
}
export type FuncMap = Record<string, TemplateFunc>;

const fn = (arity: TemplateFunc['arity'], call: TemplateFunc['call']): TemplateFunc => ({ arity, call });

/** Go converts arguments to the parameter type; a mismatch is this error. */
function str(v: unknown, _fn?: string): string {
  if (typeof v === 'string') return v;
  throw new Error(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

function int(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new Error(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

function indexOne(item: unknown, key: unknown): unknown {
  if (Array.isArray(item) || typeof item === 'string') {
    const i = int(key);
    if (i < 0 || i >= item.length) throw new Error(`error calling index: index out of range: ${i}`);
    return typeof item === 'string' ? item.charCodeAt(i) : item[i];
  }
  if (isPlainObject(item)) {
    if (typeof key !== 'string') throw new Error(`error calling index: value has type ${goTypeName(key)}; should be string`);
    return Object.prototype.hasOwnProperty.call(item, key) ? item[key] : undefined;
  }
  if (item === undefined || item === null) throw new Error('error calling index: index of untyped nil');
  throw new Error(`error calling index: can't index item of type ${goTypeName(item)}`);
}

/** Go's comparison rules for eq/lt…: basic kinds only; nil compares with nil. */
function basicKind(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (typeof v === 'bigint') return 'number';
  if (Array.isArray(v)) return 'slice';
  return typeof v === 'object' ? 'map' : typeof v;
}

function equal(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === 'nil' || kb === 'nil') return ka === kb;
  if (ka !== kb) throw new Error('error calling eq: incompatible types for comparison');
  if (ka === 'slice' || ka === 'map') throw new Error(`error calling eq: non-comparable type ${formatValue(a)}: ${goTypeName(a)}`);
  return typeof a === 'bigint' || typeof b === 'bigint' ? BigInt(a as number) === BigInt(b as number) : a === b;
}

function less(name: string, a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  if (!(ka === 'number' || ka === 'string') ) throw new Error(`error calling ${name}: invalid type for comparison`);
  if (ka !== basicKind(b)) throw new Error(`error calling ${name}: incompatible types for comparison`);
  return (a as number) < (b as number);
}

/** fmt.Sprint: a space between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintf for the verbs people use in --format: %s %v %d %q %t %x %X %f %g %e %%. */
export function sprintf(format: string, args: unknown[]): string {
  let argi = 0;
  return format.replace(/%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width?: string, prec?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (argi >= args.length) return `%!${verb}(MISSING)`;
    const a = args[argi++];
    let s: string;
    switch (verb) {
      case 'v': case 's': s = formatValue(a); break;
      case 'q': s = typeof a === 'string' ? JSON.stringify(a) : `%!q(${goTypeName(a)}=${formatValue(a)})`; break;
      case 'd': s = typeof a === 'number' && Number.isInteger(a) ? String(a) : `%!d(${goTypeName(a)}=${formatValue(a)})`; break;
      case 't': s = typeof a === 'boolean' ? String(a) : `%!t(${goTypeName(a)}=${formatValue(a)})`; break;
      case 'x': case 'X':
        s = typeof a === 'number' ? Math.trunc(a).toString(16) : Buffer.from(String(a)).toString('hex');
        if (verb === 'X') s = s.toUpperCase();
        break;
      case 'f': case 'F': s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${goTypeName(a)}=${formatValue(a)})`; break;
      case 'g': s = typeof a === 'number' ? (prec ? formatG(a, Number(prec)) : formatValue(a)) : `%!g(${goTypeName(a)}=${formatValue(a)})`; break;
      case 'e': s = typeof a === 'number' ? a.toExponential(prec ? Number(prec) : 6).replace(/e([+-])(\d)$/, 'e$10$2') : `%!e(${goTypeName(a)}=${formatValue(a)})`; break;
      default: s = `%!${verb}(${goTypeName(a)}=${formatValue(a)})`;
    }
    if (prec && (verb === 's' || verb === 'v')) s = s.slice(0, Number(prec));
    const w = width ? Number(width) : 0;
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') && verb !== 's' ? '0' : ' ');
    return s;
  }) + (argi < args.length ? `%!(EXTRA ${args.slice(argi).map((a) => `${goTypeName(a)}=${formatValue(a)}`).join(', ')})` : '');
}

function titleCase(s: string): string {
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

function join(v: unknown, sep: unknown): string {
  if (v === null || v === undefined) return '';
  if (!Array.isArray(v)) throw new Error(`wrong type for value; expected []string; got ${goTypeName(v)}`);
  return v.map((e) => formatValue(e)).join(str(sep, 'join'));
}

export const builtinFuncs: FuncMap = {
  // and/or are evaluated lazily by the executor; these entries give them arity and existence.
  and: fn([1, Infinity], (a) => a.find((x) => !isTrue(x)) ?? a[a.length - 1]),
  or: fn([1, Infinity], (a) => a.find((x) => isTrue(x)) ?? a[a.length - 1]),
  not: fn(1, ([a]) => !isTrue(a)),
  len: fn(1, ([a]) => {
    if (typeof a === 'string') return Buffer.byteLength(a);
    if (Array.isArray(a)) return a.length;
    if (isPlainObject(a)) return Object.keys(a).length;
    throw new Error(`error calling len: len of type ${goTypeName(a)}`);
  }),
  index: fn([1, Infinity], ([item, ...keys]) => keys.reduce(indexOne, item)),
  slice: fn([1, 3], ([item, i = 0, j]) => {
    if (!(Array.isArray(item) || typeof item === 'string')) throw new Error(`error calling slice: can't slice item of type ${goTypeName(item)}`);
    const end = j === undefined ? item.length : int(j);
    if (int(i) < 0 || end > item.length || int(i) > end) throw new Error(`error calling slice: index out of range: ${end}`);
    return item.slice(int(i), end);
  }),
  eq: fn([1, Infinity], ([a, ...rest]) => {
    if (rest.length === 0) throw new Error('error calling eq: missing argument for comparison');
    return rest.some((b) => equal(a, b));
  }),
  ne: fn(2, ([a, b]) => !equal(a, b)),
  lt: fn(2, ([a, b]) => less('lt', a, b)),
  le: fn(2, ([a, b]) => less('le', a, b) || equal(a, b)),
  gt: fn(2, ([a, b]) => !less('gt', a, b) && !equal(a, b)),
  ge: fn(2, ([a, b]) => !less('ge', a, b)),
  print: fn([0, Infinity], (a) => sprint(a)),
  println: fn([0, Infinity], (a) => `${a.map((x) => formatValue(x)).join(' ')}\n`),
  printf: fn([1, Infinity], ([f, ...a]) => sprintf(str(f, 'printf'), a)),
  html: fn([0, Infinity], (a) => sprint(a).replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c]!)),
  urlquery: fn([0, Infinity], (a) => encodeURIComponent(sprint(a)).replace(/%20/g, '+')),
};

export const dockerFuncs: FuncMap = {
  json: fn(1, ([v]) => goJson(v, false)),
  split: fn(2, ([s, sep]) => splitGo(str(s, 'split'), str(sep, 'split'))),
  join: fn(2, ([v, sep]) => join(v, sep)),
  title: fn(1, ([s]) => titleCase(str(s, 'title'))),
  lower: fn(1, ([s]) => str(s, 'lower').toLowerCase()),
  upper: fn(1, ([s]) => str(s, 'upper').toUpperCase()),
  pad: fn(3, ([s, pre, post]) => (str(s, 'pad') === '' ? '' : ' '.repeat(int(pre)) + (s as string) + ' '.repeat(int(post)))),
  truncate: fn(2, ([s, n]) => {
    const b = Buffer.from(str(s, 'truncate'));
    return b.length < int(n) ? s : b.subarray(0, int(n)).toString();
  }),
};

/**
 * docker renders a table's header by running the row template on a map of column titles
 * with these replacements, so `{{upper .Repository}}` heads its column "REPOSITORY".
 */
export const headerFuncs: FuncMap = {
  json: fn(1, ([v]) => str(v, 'json')),
  split: fn(2, ([v]) => str(v, 'split')),
  join: fn(2, ([v]) => str(v, 'join')),
  title: fn(1, ([v]) => str(v, 'title')),
  lower: fn(1, ([v]) => str(v, 'lower')),
  upper: fn(1, ([v]) => str(v, 'upper')),
  truncate: fn(2, ([v]) => str(v, 'truncate')),
};

/** strings.Split: an empty separator splits into UTF-8 sequences. */
function splitGo(s: string, sep: string): string[] {
  return sep === '' ? [...s] : s.split(sep);
}
