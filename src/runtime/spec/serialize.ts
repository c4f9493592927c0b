import type { OciSpec } from '../../types/container.js';

const MARK = '\u0000uint64:';

/**
 * config.json text for a spec. JSON.stringify cannot print bigints, and a number cannot hold
 * 2^64-1 (an unlimited rlimit): bigints are printed as exact integer literals. A string cannot
 * carry the marker by accident: it starts with NUL, which no env value or path can hold.
 */
export function specToJson(spec: OciSpec, indent?: number): string {
  const text = JSON.stringify(spec, (_key, value: unknown) => (typeof value === 'bigint' ? `${MARK}${value}` : value), indent);
  return text.replace(/"\\u0000uint64:(\d+)"/g, '$1');
}
