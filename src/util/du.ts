import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';

/** Bytes used by the files under `dir` (apparent sizes; hard links counted once). */
export async function duBytes(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try { entries = await fsp.readdir(d, { withFileTypes: true }); } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      const st = await fsp.lstat(p).catch(() => undefined);
      if (!st) continue;
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1) { if (seen.has(key)) continue; seen.add(key); }
      if (st.isDirectory()) await walk(p);
      else if (st.isFile() || st.isSymbolicLink()) total += st.size;
    }
  };
  await walk(dir);
  return total;
}
