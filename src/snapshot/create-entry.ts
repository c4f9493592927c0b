import { chmodSync, constants as fsc, lchownSync, lstatSync, lutimesSync, promises as fsp, unlinkSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import { resolveWithin } from '../store/index.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, lsetxattr, mknod } from '../sys/index.js';
import { linkTargetPath } from './entry-path.js';
import type { TarHeader } from './tar-header.js';
import { OPAQUE_XATTR, isOverlayXattr } from './whiteout.js';

/** State shared by the entries of one layer. */
export interface ExtractState {
  /** The layer's diff directory. */
  root: string;
  /** Directory times, applied after all entries: creating a child changes its parent's mtime. */
  dirTimes: Map<string, { atimeSec: number; mtimeSec: number }>;
  /**
   * Bytes per extracted non-directory path (Docker's layer size: files and symlink targets;
   * a hard link counts 0, its inode is counted at its first name). Summed at the end.
   */
  sizes: Map<string, number>;
  /** Xattrs the filesystem would not take, logged once per layer. */
  skippedXattrs: string[];
  signal?: AbortSignal;
}

/*
 * Creating an inode (open O_CREAT, mkdir, symlink, link) costs 0.5-1 ms on this host's ext4,
 * so those go through the thread pool and leave the event loop free. Calls on an existing
 * inode (lstat, chown, chmod, utimes: ~10 us measured) cost less than a thread-pool round
 * trip and are made synchronously, as resolveWithin's lstat already is.
 */

/**
 * Creates one non-whiteout entry at `dst` (its parent already resolved within the layer)
 * and applies its metadata, as moby's createTarFile. Whatever is at `dst` is replaced,
 * never followed; a directory over a directory is merged.
 */
export async function createEntry(state: ExtractState, dst: string, h: TarHeader, body: AsyncIterable<Buffer>): Promise<void> {
  await clearPath(state, dst, h.type === 'dir');
  switch (h.type) {
    case 'dir': await mkdirIfMissing(dst); break;
    case 'file': await writeFile(dst, body, state.signal); break;
    case 'symlink': await fsp.symlink(h.linkname, dst); break;
    case 'link': await hardLink(state.root, dst, h); break;
    case 'char': mknod(dst, S_IFCHR, h.mode, h.devmajor, h.devminor); break;
    case 'block': mknod(dst, S_IFBLK, h.mode, h.devmajor, h.devminor); break;
    case 'fifo': mknod(dst, S_IFIFO, h.mode); break;
  }
  if (h.type !== 'dir') state.sizes.set(dst, h.type === 'symlink' ? Buffer.byteLength(h.linkname) : h.size);
  // A hard link shares its target's inode, so its target's metadata stands; chown on it would
  // also drop the shared inode's security.capability.
  if (h.type !== 'link') applyMetadata(state, dst, h);
}

/**
 * Removes what is at `dst` unless both it and the new entry are directories, and forgets
 * what was recorded for the paths removed with it: the path may become a symlink, and
 * setting directory times through it later would reach outside the layer.
 */
export async function clearPath(state: ExtractState, dst: string, isDir: boolean): Promise<void> {
  const st = lstatSync(dst, { throwIfNoEntry: false });
  if (st === undefined || (isDir && st.isDirectory())) return;
  if (!st.isDirectory()) {
    unlinkSync(dst);
    state.sizes.delete(dst);
    return;
  }
  await fsp.rm(dst, { recursive: true, force: true });
  const under = dst + path.sep;
  for (const map of [state.dirTimes, state.sizes]) {
    for (const p of map.keys()) if (p === dst || p.startsWith(under)) map.delete(p);
  }
}

async function mkdirIfMissing(dst: string): Promise<void> {
  try {
    await fsp.mkdir(dst, 0o700);
  } catch (err) {
    if (!isErrno(err, 'EEXIST')) throw err;
  }
}

/**
 * Streams the content chunk by chunk, never holding the file whole; the next chunk is pulled
 * only once the last is written. O_EXCL|O_NOFOLLOW: nothing may sit at dst now.
 */
async function writeFile(dst: string, body: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void> {
  const fh = await fsp.open(dst, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
  try {
    for await (const chunk of body) {
      signal?.throwIfAborted();
      for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
    }
  } finally {
    await fh.close();
  }
}

async function hardLink(root: string, dst: string, h: TarHeader): Promise<void> {
  const target = linkTargetPath(root, h.name, h.linkname);
  try {
    await fsp.link(target, dst);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    const message = `tar entry ${JSON.stringify(h.name)} hard-links ${JSON.stringify(h.linkname)}, which is not in the layer`;
    throw new InvalidArgumentError(message, { cause: err });
  }
}

/**
 * Owner, xattrs, mode, times, in that order (synchronously, see above): chown(2) clears
 * setuid/setgid and drops security.capability, so xattrs and mode come after it. Symlinks
 * have no mode of their own.
 */
function applyMetadata(state: ExtractState, dst: string, h: TarHeader): void {
  lchownSync(dst, h.uid, h.gid);
  setXattrs(state, dst, h);
  if (h.type !== 'symlink') chmodSync(dst, h.mode);
  const atimeSec = h.atimeSec ?? h.mtimeSec;
  if (h.type === 'dir') state.dirTimes.set(dst, { atimeSec, mtimeSec: h.mtimeSec });
  else lutimesSync(dst, atimeSec, h.mtimeSec);
}

function setXattrs(state: ExtractState, dst: string, h: TarHeader): void {
  for (const [name, value] of h.xattrs) {
    if (isOverlayXattr(name) && !(name === OPAQUE_XATTR && value.toString() === 'y')) {
      state.skippedXattrs.push(`${h.name}: ${name} (overlay-internal)`);
      continue;
    }
    try {
      lsetxattr(dst, name, value);
    } catch (err) {
      // As moby: EPERM (user.* on a symlink) and ENOTSUP lose the attribute, not the layer.
      if (!isErrno(err, 'EPERM') && !isErrno(err, 'ENOTSUP') && !isErrno(err, 'EOPNOTSUPP')) throw err;
      state.skippedXattrs.push(`${h.name}: ${name} (${(err as { code: string }).code})`);
    }
  }
}

/** Sets the recorded directory times, once every entry is written. */
export function applyDirTimes(state: ExtractState): void {
  for (const [dir, t] of state.dirTimes) {
    // Belt and braces over clearPath's bookkeeping: never set times through a symlink.
    if (resolveWithin(state.root, path.relative(state.root, dir), false) !== dir) continue;
    try {
      lutimesSync(dir, t.atimeSec, t.mtimeSec);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    }
  }
}
