import { randomBytes } from 'node:crypto';
import { promises as fsp, constants as fsc } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';

/** fsync a directory so that a rename inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try { await fh.sync(); } finally { await fh.close(); }
}

/** A fresh name beside `target` for a temp file or directory; start-up sweeps `.tmp-*`. */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `target` with `data` atomically (STYLE.md §7): temp file in the same directory,
 * write, fsync, rename, fsync the directory. Readers see the old or the new bytes, never a mix.
 * With `sync: false` the two fsyncs are left out: still all-or-nothing for a process that
 * dies (the page cache outlives it), not for a power loss; for records whose loss costs nothing.
 * With `syncDir: false` only the directory's fsync is left out: the new bytes are durable before
 * the rename, so after a power loss `target` holds the old or the new bytes, both whole; for
 * replacing a record whose older version is still correct (not for a new name that must stay).
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644, o: { sync?: boolean; syncDir?: boolean } = {}): Promise<void> {
  const sync = o.sync ?? true;
  const tmp = tempNameFor(target);
  const fh = await fsp.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    if (sync) await fh.sync();
  } catch (err) {
    await fh.close();
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  if (sync && o.syncDir !== false) await fsyncDir(path.dirname(target));
}

export async function writeJsonAtomic(target: string, value: unknown, o: { sync?: boolean; syncDir?: boolean } = {}): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', 0o644, o);
}

/** Reads a JSON record, or undefined when the file does not exist. */
export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

/** Removes leftovers of interrupted atomic writes (`.tmp-*`) directly inside `dir`. */
export async function sweepTemps(dir: string): Promise<string[]> {
  let names: string[];
  try { names = await fsp.readdir(dir); } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    throw err;
  }
  const swept: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.tmp-')) continue;
    await fsp.rm(path.join(dir, name), { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}
