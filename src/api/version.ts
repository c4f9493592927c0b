import { MAX_API, MIN_API } from '../system/index.js';

/** API versions berth serves: every one from MIN to MAX, unversioned paths meaning MAX. */
export const MIN_API_VERSION = MIN_API;
export const MAX_API_VERSION = MAX_API;

/** Compares "1.41"-style versions numerically. */
export function compareVersions(a: string, b: string): number {
  const [a1 = 0, a2 = 0] = a.split('.').map(Number);
  const [b1 = 0, b2 = 0] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}

export function versionAtLeast(v: string, min: string): boolean {
  return compareVersions(v, min) >= 0;
}
