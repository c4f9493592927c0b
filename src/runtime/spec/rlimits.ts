import { InvalidArgumentError } from '../../errors/index.js';
import type { OciRlimit, Ulimit, Uint64 } from '../../types/container.js';
import { parseGoInt } from './go-format.js';

/** Names `--ulimit` accepts (docker/go-units; `as` is left out there too). */
const ULIMIT_NAMES = new Set([
  'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc',
  'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]);

/** `name=soft[:hard]`, hard defaulting to soft, -1 meaning unlimited (go-units `ParseUlimit`). */
export function parseUlimit(value: string): Required<Ulimit> {
  const eq = value.indexOf('=');
  if (eq < 0) throw new InvalidArgumentError(`invalid ulimit argument: ${value}`);
  const name = value.slice(0, eq);
  const limits = value.slice(eq + 1);
  if (!ULIMIT_NAMES.has(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const parts = limits.split(':');
  if (parts.length > 2) {
    throw new InvalidArgumentError(`too many limit value arguments - ${limits}, can only have up to two, \`soft[:hard]\``);
  }
  const hard = parts.length === 2 ? parseGoInt(parts[1]!) : undefined;
  const soft = parseGoInt(parts[0]!);
  const effectiveHard = hard ?? soft;
  if (effectiveHard !== -1) {
    if (soft === -1) {
      throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: ${effectiveHard}`);
    }
    if (soft > effectiveHard) {
      throw new InvalidArgumentError(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${effectiveHard}`);
    }
  }
  return { Name: name, Soft: soft, Hard: effectiveHard };
}

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
