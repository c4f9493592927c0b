import { InvalidArgumentError } from '../errors/index.js';
import type { LogConfig } from '../types/container.js';
import { parseGoBool } from '../util/index.js';

/** The log drivers berth has: json-file and local keep a log `docker logs` reads; none keeps nothing. */
export const LOG_DRIVERS = ['json-file', 'local', 'none'] as const;

const JSON_FILE_OPTS = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);
const LOCAL_OPTS = new Set(['max-file', 'max-size', 'compress']);
/** Options every driver takes (moby logger `builtInLogOpts`). */
const BUILT_IN_OPTS = new Set(['mode', 'max-buffer-size']);

/** How a container's log is kept: rotated files of at most maxSizeBytes, the older ones gzipped when compress. */
export interface LogPolicy {
  driver: 'json-file' | 'local' | 'none';
  /** undefined: one file, never rotated (json-file without max-size). */
  maxSizeBytes?: number;
  maxFiles: number;
  compress: boolean;
}

/** The local driver's defaults (moby daemon/logger/local): 20 MiB × 5 files, compressed. */
const LOCAL_DEFAULTS = { maxSizeBytes: 20 * 1024 * 1024, maxFiles: 5, compress: true };

/**
 * moby `mergeAndVerifyLogConfig`: the daemon's driver when none is asked for, the daemon's
 * options under the container's when the drivers are the same, then the driver's checks.
 */
export function mergeLogConfig(requested: LogConfig | undefined, daemonDefault: { type: string; opts: Record<string, string> }): LogConfig {
  const type = requested?.Type || daemonDefault.type;
  const config: Record<string, string> = { ...(requested?.Config ?? {}) };
  if (type === daemonDefault.type) {
    for (const [k, v] of Object.entries(daemonDefault.opts)) if (!(k in config)) config[k] = v;
  }
  validateLogConfig(type, config);
  return { Type: type, Config: config };
}

/** moby `logger.ValidateLogOpts` and the drivers' option checks, with their messages. */
export function validateLogConfig(type: string, cfg: Record<string, string>): void {
  if (type === 'none') return;
  const mode = cfg.mode ?? '';
  if (!['', 'blocking', 'non-blocking'].includes(mode)) throw new InvalidArgumentError(`logger: logging mode not supported: ${mode}`);
  if ('max-buffer-size' in cfg && mode !== 'non-blocking') throw new InvalidArgumentError("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  if (!(LOG_DRIVERS as readonly string[]).includes(type)) throw new InvalidArgumentError(`logger: no log driver named '${type}' is registered`);
  const known = type === 'local' ? LOCAL_OPTS : JSON_FILE_OPTS;
  for (const k of Object.keys(cfg)) {
    if (BUILT_IN_OPTS.has(k) || known.has(k)) continue;
    throw new InvalidArgumentError(type === 'local' ? `unknown log opt '${k}' for log driver local` : `unknown log opt '${k}' for json-file log driver`);
  }
  logPolicy({ Type: type, Config: cfg });
}

/** The policy a container's LogConfig asks for; throws Docker's messages for bad values. */
export function logPolicy(lc: LogConfig | undefined): LogPolicy {
  const driver = (lc?.Type || 'json-file') as LogPolicy['driver'];
  const cfg = lc?.Config ?? {};
  if (driver === 'none') return { driver, maxFiles: 1, compress: false };
  const base = driver === 'local' ? { ...LOCAL_DEFAULTS } : { maxSizeBytes: undefined as number | undefined, maxFiles: 1, compress: false };
  if (cfg['max-size'] !== undefined) {
    const size = parseLogSize(cfg['max-size']);
    if (size === undefined) throw new InvalidArgumentError(`invalid value for max-size: ${cfg['max-size']}`);
    if (size < 0) throw new InvalidArgumentError('max-size must not be negative');
    base.maxSizeBytes = size === 0 ? (driver === 'local' ? 0 : undefined) : size;
  }
  if (cfg['max-file'] !== undefined) {
    const n = /^-?\d+$/.test(cfg['max-file']) ? Number(cfg['max-file']) : NaN;
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid value for max-file: ${cfg['max-file']}`);
    if (driver === 'json-file' && n < 1) throw new InvalidArgumentError('max-file cannot be less than 1');
    if (n < 0) throw new InvalidArgumentError('max-file must not be negative');
    base.maxFiles = n;
  }
  if (cfg.compress !== undefined) {
    const b = parseGoBool(cfg.compress);
    if (b === undefined) throw new InvalidArgumentError(`invalid boolean value for compress: strconv.ParseBool: parsing ${JSON.stringify(cfg.compress)}: invalid syntax`);
    base.compress = b;
  }
  if (driver === 'json-file' && base.maxFiles > 1 && base.maxSizeBytes === undefined) {
    // json-file keeps one file when it is never rotated; max-file alone changes nothing.
    base.maxFiles = 1;
  }
  if (base.compress && base.maxFiles <= 1) {
    if (driver === 'local' || cfg.compress !== undefined) throw new InvalidArgumentError('compression cannot be enabled when max file count is 1');
    base.compress = false;
  }
  return { driver, ...(base.maxSizeBytes ? { maxSizeBytes: base.maxSizeBytes } : {}), maxFiles: Math.max(1, base.maxFiles), compress: base.compress };
}

/** Docker's size strings for log-opts (go-units RAMInBytes): "10m", "1g", "500k", "1.5MB", bytes. */
export function parseLogSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

