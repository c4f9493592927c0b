import type { Stats } from 'node:fs';

/** An overlay whiteout: a 0/0 character device in the upper directory. */
export function isOverlayWhiteoutStat(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}
