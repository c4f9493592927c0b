import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';

/**
 * Bytes under `root` as `du -sb` counts them: the apparent size of every directory, file,
 * symlink and device, root included, each inode once (hard links). `system df` reports these
 * so that its figures add up to what the data-root holds (ADR 0022). A path that vanishes
 * during the walk counts 0; a missing root counts 0.
 */
export async function diskUsage(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const visit = async (p: string): Promise<void> => {
    let st;
    try { st = await fsp.lstat(p, { bigint: true }); } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    if (st.nlink > 1n && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) return;
      seen.add(key);
    }
    total += Number(st.size);
    if (!st.isDirectory()) return;
    let names: string[];
    try { names = await fsp.readdir(p); } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const n of names) await visit(path.join(p, n));
  };
  await visit(root);
  return total;
}
