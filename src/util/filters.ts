import { InvalidArgumentError } from '../errors/index.js';

/**
 * Docker's `filters` query parameter: a JSON object of name → values, where values come as
 * a list (`{"label":["a=b"]}`) or, from older clients, a set (`{"label":{"a=b":true}}`).
 */
export type Filters = Map<string, string[]>;

/** A malformed filter: a 400 with Docker's message. */
export class FilterError extends InvalidArgumentError {}

export function parseFilters(raw: string | undefined | null): Filters {
  const out: Filters = new Map();
  if (raw === undefined || raw === null || raw === '') return out;
  let json: unknown;
  try { json = JSON.parse(raw); } catch (err) {
    throw new FilterError(`invalid filter: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FilterError('invalid filter: filters must be a JSON object');
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) out.set(name, v as string[]);
    else if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.set(name, Object.keys(v).filter((k) => (v as Record<string, unknown>)[k]));
    else throw new FilterError(`invalid filter: the values of '${name}' must be a list of strings`);
  }
  return out;
}

/** Refuses filter names outside `allowed` with Docker's message. */
export function checkFilterNames(filters: Filters, allowed: readonly string[]): void {
  for (const name of filters.keys()) {
    if (!allowed.includes(name)) throw new FilterError(`invalid filter '${name}'`);
  }
}

/** `label` filters: each value `key` or `key=value` must match (all of them). */
export function matchLabels(values: readonly string[] | undefined, labels: Record<string, string> | undefined | null): boolean {
  if (!values || values.length === 0) return true;
  const have = labels ?? {};
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return Object.hasOwn(have, v);
    return have[v.slice(0, eq)] === v.slice(eq + 1);
  });
}

/** A boolean filter (`dangling=true|1|false|0`); throws on other values as Docker does. */
export function boolFilter(filters: Filters, name: string): boolean | undefined {
  const vals = filters.get(name);
  if (!vals || vals.length === 0) return undefined;
  const set = new Set(vals.map((v) => v.toLowerCase()));
  for (const v of set) if (!['true', '1', 'false', '0'].includes(v)) throw new FilterError(`invalid filter '${name}=${v}'`);
  if (set.size > 1 && (set.has('true') || set.has('1')) && (set.has('false') || set.has('0'))) return undefined;
  return set.has('true') || set.has('1');
}

/** Go's path.Match for `reference=` filters: `*`, `?`, `[...]`; `*` does not cross `/`. */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return false;
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = '^' + cls.slice(1).replace(/\\/g, '\\\\');
      re += `[${cls.replace(/\\(?!\\)/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else re += escape(c);
  }
  return new RegExp(re + '$').test(s);
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
