import { InvalidArgumentError } from '../errors/index.js';
import { boolFilter, checkFilterNames, FilterError, matchLabels, type Filters } from '../util/index.js';
import type { NetworkRecord } from './types.js';

/** `GET /networks` filters (moby daemon/network/filter.go): substring matches on name and id. */
export function matchListFilters(rec: NetworkRecord, filters: Filters): boolean {
  checkFilterNames(filters, ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type']);
  for (const t of filters.get('type') ?? []) {
    if (t !== 'custom' && t !== 'builtin') throw new FilterError(`invalid filter: 'type'='${t}'`);
  }
  const names = filters.get('name');
  if (names && !names.some((n) => rec.name.includes(n))) return false;
  const ids = filters.get('id');
  if (ids && !ids.some((i) => rec.id.includes(i))) return false;
  const drivers = filters.get('driver');
  if (drivers && !drivers.includes(rec.driver)) return false;
  const scopes = filters.get('scope');
  if (scopes && !scopes.includes('local')) return false;
  const types = filters.get('type');
  if (types && !types.includes(rec.isPredefined ? 'builtin' : 'custom')) return false;
  if (!matchLabels(filters.get('label'), rec.labels)) return false;
  const dangling = boolFilter(filters, 'dangling');
  if (dangling !== undefined && dangling !== (!rec.isPredefined && Object.keys(rec.endpoints).length === 0)) return false;
  return true;
}

/** `POST /networks/prune` filters: `until`, `label`, `label!`. */
export function matchPruneFilters(rec: NetworkRecord, filters: Filters, nowMs = Date.now()): boolean {
  checkFilterNames(filters, ['until', 'label', 'label!']);
  const until = filters.get('until');
  if (until && until.length > 0) {
    const limit = Math.min(...until.map((u) => parseUntil(u, nowMs)));
    if (Date.parse(rec.created) >= limit) return false;
  }
  if (!matchLabels(filters.get('label'), rec.labels)) return false;
  if (filters.get('label!')?.some((l) => matchLabels([l], rec.labels))) return false;
  return true;
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `until`: a Unix timestamp, an RFC 3339 date, or a Go duration before now (moby timetypes.GetTimestamp). */
export function parseUntil(v: string, nowMs: number): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(v) ? [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)].reduce((ms, m) => ms + Number(m[1]) * DURATION_UNITS[m[2]!]!, 0) : undefined;
  if (dur !== undefined) return nowMs - dur;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`failed to parse value as time or duration: "${v}"`);
  return t;
}
