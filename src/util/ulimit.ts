import { InvalidArgumentError } from '../errors/index.js';
import type { Ulimit } from '../types/container.js';
import { parseGoInt } from './go-strconv.js';

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
  // go-units' Ulimit field order (Name, Hard, Soft), as the docker CLI's JSON has it.
  return { Name: name, Hard: effectiveHard, Soft: soft };
}
