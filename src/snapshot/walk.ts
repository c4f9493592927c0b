import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';

export interface WalkItem {
  /** Path relative to the walked root, '/'-separated. */
  rel: string;
  abs: string;
  st: BigIntStats;
}

/**
 * Every entry below `root` (not root itself), directories before their contents, names in
 * byte order so a tar of the same tree is the same bytes, as filepath.WalkDir gives moby.
 * Stats are lstat (never follow) and bigint, so inode and device numbers are exact.
 */
export async function* walk(root: string, rel = ''): AsyncGenerator<WalkItem> {
  const dir = rel === '' ? root : path.join(root, rel);
  const names = (await fsp.readdir(dir)).sort(byteOrder);
  for (const name of names) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = path.join(dir, name);
    const st = await fsp.lstat(abs, { bigint: true });
    yield { rel: childRel, abs, st };
    if (st.isDirectory()) yield* walk(root, childRel);
  }
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
