import { isOverride, isReset, overrideValue } from './markers.js';
import { portKey } from './short-syntax.js';
import type { ServicePort, ServiceVolume, ServiceFileRef } from './types.js';
import type { EnvFileRef } from './normalize-service.js';

type Indexer = (entry: unknown) => string;

/** Keys whose value an override replaces whole (compose-go override/merge.go). */
const REPLACED = new Set(['command', 'entrypoint', 'healthcheck.test']);

/** Sequences merged by appending, then one entry per key, the later in the earlier's place. */
const INDEXERS: Record<string, Indexer> = {
  ports: (p) => portKey(p as ServicePort),
  volumes: (v) => (v as ServiceVolume).target,
  secrets: (s) => (s as ServiceFileRef).target,
  configs: (s) => (s as ServiceFileRef).target,
  env_file: (e) => (e as EnvFileRef).path,
  devices: (d) => { const p = String(d).split(':'); return p[1] ?? p[0]!; },
};

/**
 * Merges a later file's (or an extending service's) draft over an earlier one as Compose does:
 * mappings merged key by key, scalars and command/entrypoint/healthcheck.test replaced,
 * sequences appended without duplicates (ports by ip:published:target/protocol, volumes,
 * secrets and configs by target), a logging driver change replacing the options; `!reset`
 * removes the earlier value, `!override` replaces it (markers.ts).
 */
export function mergeDraft<T>(base: T, over: T, path = ''): T {
  return mergeValue(path, base, over) as T;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function mergeValue(path: string, base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (isReset(over)) return undefined;
  if (isOverride(over)) return overrideValue(over);
  if (base === undefined) return over;
  if (REPLACED.has(path)) return over;
  if (Array.isArray(base) && Array.isArray(over)) return unique([...base, ...over], INDEXERS[path] ?? ((e) => JSON.stringify(e)));
  if (isMapping(base) && isMapping(over)) {
    if (path === 'logging' && base.driver !== undefined && over.driver !== undefined && base.driver !== over.driver) return over;
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const merged = mergeValue(path ? `${path}.${k}` : k, base[k], v);
      if (merged === undefined) delete out[k]; else out[k] = merged;
    }
    return out;
  }
  // `networks: {front: null}` over `{front: {aliases: [...]}}` keeps the attachment's settings.
  if (over === null && isMapping(base)) return base;
  return over;
}

function unique(entries: unknown[], key: Indexer): unknown[] {
  const out: unknown[] = [];
  const at = new Map<string, number>();
  for (const e of entries) {
    if (isReset(e)) continue;
    const k = key(e);
    const i = at.get(k);
    if (i === undefined) { at.set(k, out.length); out.push(e); } else out[i] = e;
  }
  return out;
}
