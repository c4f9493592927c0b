/**
 * How template values behave like Go values. Data reaching a template is either decoded
 * JSON (objects act as Go maps: a missing key is "<no value>") or a formatter row that
 * stands for one of docker's Go structs (marked with STRUCT: a missing field is an error,
 * as `docker images --format '{{.Foo}}'` fails). GO_JSON lets a row say how `{{json .}}`
 * encodes it, because docker's rows marshal differently from their template fields.
 */
import { formatNumberV } from '../format/go-float.js';

/** Marks an object as a Go struct; the value is its Go type name for error messages. */
export const STRUCT = Symbol('go.struct');
/** A function returning the exact JSON `{{json .}}` prints for the object. */
export const GO_JSON = Symbol('go.json');

export interface StructLike {
  [STRUCT]?: string;
  [GO_JSON]?: () => string;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function structName(v: unknown): string | undefined {
  return isPlainObject(v) ? (v as StructLike)[STRUCT] : undefined;
}

/** Marks `obj` as a Go struct named `typeName`, optionally with its own JSON encoding. */
export function asStruct<T extends object>(obj: T, typeName: string, json?: () => string): T {
  Object.defineProperty(obj, STRUCT, { value: typeName, enumerable: false });
  if (json) Object.defineProperty(obj, GO_JSON, { value: json, enumerable: false });
  return obj;
}

/** Go's template truth: zero values, empty collections and nil are false. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'number': return v !== 0;
    case 'bigint': return v !== 0n;
    case 'string': return v.length > 0;
    case 'function': return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (structName(v)) return true;
  return Object.keys(v as object).length > 0;
}

/** The Go type a value stands for, as text/template names it in errors. */
export function goTypeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(v) ? 'int' : 'float64';
    case 'bigint': return 'int64';
    case 'function': return 'func';
  }
  return structName(v) ?? 'map[string]interface {}';
}

/** fmt.Sprint of one value ("%v"). */
export function formatValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'number': return formatNumberV(v);
    case 'bigint': case 'boolean': return String(v);
    case 'function': return '<func>';
  }
  if (Array.isArray(v)) return `[${v.map(formatNested).join(' ')}]`;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (structName(v)) return `{${keys.map((k) => formatNested(obj[k])).join(' ')}}`;
  return `map[${keys.sort().map((k) => `${k}:${formatNested(obj[k])}`).join(' ')}]`;
}

function formatNested(v: unknown): string {
  return v === undefined ? '<nil>' : formatValue(v);
}

/**
 * Go's encoding/json output for decoded-JSON values: compact, keys in the order given,
 * `<>&` escaped only when escapeHTML is set (json.Marshal does, docker's `json` template
 * function does not), U+2028/U+2029 always escaped.
 */
export function goJson(v: unknown, escapeHTML = false): string {
  const own = isPlainObject(v) ? (v as StructLike)[GO_JSON] : undefined;
  if (own) return own();
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'string': return jsonString(v, escapeHTML);
    case 'number': return Number.isFinite(v) ? formatJsonNumber(v) : 'null';
    case 'bigint': return v.toString();
    case 'boolean': return String(v);
    case 'function': return 'null';
  }
  if (Array.isArray(v)) return `[${v.map((e) => goJson(e, escapeHTML)).join(',')}]`;
  const obj = v as Record<string, unknown>;
  const parts = Object.keys(obj).filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .map((k) => `${jsonString(k, escapeHTML)}:${goJson(obj[k], escapeHTML)}`);
  return `{${parts.join(',')}}`;
}

export function jsonString(s: string, escapeHTML: boolean): string {
  let out = JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  if (escapeHTML) out = out.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
  return out;
}

function formatJsonNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    // Go writes e-07 as e-7 here (encoding/json trims the exponent's leading zero).
    return x.toExponential().replace(/e([+-])0*(\d)/, 'e$1$2');
  }
  return String(x);
}
