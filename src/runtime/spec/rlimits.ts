import type { OciRlimit, Ulimit, Uint64 } from '../../types/container.js';

export { parseUlimit } from '../../util/index.js';

/** Go's uint64(int64): negative values wrap, so -1 is 2^64-1 (RLIM_INFINITY). */
function toUint64(v: number): Uint64 {
  if (v >= 0 && Number.isSafeInteger(v)) return v;
  return BigInt.asUintN(64, BigInt(v));
}

/**
 * process.rlimits: the container's ulimits first, then the daemon's defaults for names it does
 * not set (moby `mergeUlimits`, `withRlimits`). Without any, runc leaves the limits it
 * inherited (conmon's, hence berthd's), as Docker's containers inherit dockerd's.
 */
export function buildRlimits(ulimits: readonly Ulimit[], defaults: readonly Ulimit[]): OciRlimit[] {
  const names = new Set(ulimits.map((u) => u.Name));
  const merged = [...ulimits, ...defaults.filter((u) => !names.has(u.Name))];
  return merged.map((u) => ({
    type: `RLIMIT_${(u.Name ?? '').toUpperCase()}`,
    soft: toUint64(u.Soft ?? 0),
    hard: toUint64(u.Hard ?? 0),
  }));
}
