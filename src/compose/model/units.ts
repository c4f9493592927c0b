import { ComposeConfigError } from './errors.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * A size in bytes as Compose reads `shm_size`, `mem_limit`, tmpfs `size`: a number, or a string
 * in docker/go-units' RAMInBytes form ("64m", "1.5g", "512kb", binary multiples).
 */
export function parseBytes(value: unknown, where: string): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(String(value).trim());
  if (!m) throw new ComposeConfigError(`${where}: invalid size: '${String(value)}'`);
  return Math.trunc(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]!);
}

/** An integer that may have been written as a string (interpolation makes strings). */
export function toInt(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || String(value).trim() === '') throw new ComposeConfigError(`${where} must be an integer`);
  return n;
}

export function toNumber(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || String(value).trim() === '') throw new ComposeConfigError(`${where} must be a number`);
  return n;
}

/** A boolean as compose-go casts an interpolated one: y/yes/true/on, n/no/false/off. */
export function toBool(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (['y', 'yes', 'true', 'on'].includes(s)) return true;
  if (['n', 'no', 'false', 'off'].includes(s)) return false;
  throw new ComposeConfigError(`${where} must be a boolean`);
}
