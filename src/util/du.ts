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

/**
 * Bytes under `root` as `du -sb` counts them: the apparent size of every directory, file,
 * symlink and device, root included, each inode once (hard links). `system df` reports these
 * so that its figures add up to what the data-root holds (ADR 0022). A path that vanishes
 * during the walk counts 0; a missing root counts 0. `skipContentsOf` names directories counted
 * without their contents (a mount point such as a running container's rootfs).
 */
export async function diskUsage(root: string, opts: { skipContentsOf?: readonly string[] } = {}): Promise<number> {
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
    if (!st.isDirectory() || opts.skipContentsOf?.includes(p)) return;
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
