/** Build cache rows (docker's formatter/buildcache.go), for `system df -v`. */
import type { BuildCacheRecord } from '../../client/index.js';
import { makeRow } from './formatter.js';
import { goTimeStringOf, parseRfc3339 } from './time.js';
import { humanDuration, humanSizeWithPrecision, truncateId } from './units.js';

export const BUILD_CACHE_HEADER: Record<string, string> = {
  ID: 'CACHE ID',
  Parent: 'PARENT',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  InUse: 'IN USE',
  Shared: 'SHARED',
  Description: 'DESCRIPTION',
};

/** Least recently used first, never-used first of all; ties by ID (buildCacheSort). */
export function sortBuildCache(records: BuildCacheRecord[]): BuildCacheRecord[] {
  const used = (r: BuildCacheRecord): number | undefined => (r.LastUsedAt ? parseRfc3339(r.LastUsedAt)?.epochMs : undefined);
  return [...records].sort((a, b) => {
    const ua = used(a);
    const ub = used(b);
    if (ua === undefined && ub === undefined) return a.ID < b.ID ? -1 : 1;
    if (ua === undefined) return -1;
    if (ub === undefined) return 1;
    return ua === ub ? (a.ID < b.ID ? -1 : 1) : ua - ub;
  });
}

function since(rfc: string | null | undefined, nowMs: number): string {
  const t = rfc ? parseRfc3339(rfc) : undefined;
  return t ? `${humanDuration(nowMs - t.epochMs)} ago` : '';
}

export function buildCacheRow(r: BuildCacheRecord, opts: { trunc: boolean; nowMs?: number }) {
  const nowMs = opts.nowMs ?? Date.now();
  const id = opts.trunc ? truncateId(r.ID) : r.ID;
  const parent = r.Parents?.length ? r.Parents.join(', ') : (r.Parent ?? '');
  return makeRow('*formatter.buildCacheContext', {
    ID: r.InUse ? `${id}*` : id,
    Parent: opts.trunc ? truncateId(parent) : parent,
    CacheType: r.Type ?? '',
    Description: r.Description ?? '',
    Size: humanSizeWithPrecision(r.Size ?? 0, 3),
    CreatedAt: r.CreatedAt ? goTimeStringOf(r.CreatedAt) : '',
    CreatedSince: since(r.CreatedAt, nowMs),
    LastUsedAt: r.LastUsedAt ? goTimeStringOf(r.LastUsedAt) : '',
    LastUsedSince: since(r.LastUsedAt, nowMs),
    UsageCount: String(r.UsageCount ?? 0),
    InUse: String(r.InUse ?? false),
    Shared: String(r.Shared ?? false),
  });
}
