import { closeSync, constants as fsc, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, read, readdirSync, readlinkSync, symlinkSync, write, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { InternalError, isErrno } from '../errors/index.js';
import { cleanEntryName, encodeHeader, END_OF_ARCHIVE, padding, type EntryType, type TarEntry, type TarHeader } from '../snapshot/index.js';
import { mknod, readlinkFd, S_IFBLK, S_IFCHR, S_IFIFO } from '../sys/index.js';
import { at, fdPath, O_CLOEXEC, O_PATH, fstatBig, lstatAt, openChild, removeTreeAt, type ScopedRoot } from './archive-fs.js';

const readAsync = promisify(read);
const writeAsync = promisify(write);
const CHUNK_BYTES = 64 * 1024;

/**
 * The tar side of `docker cp`: writing a resource of a container as a tar stream
 * (`GET /containers/{id}/archive`) and extracting one into it (`PUT`), every path resolved
 * through a ScopedRoot so nothing outside the container's root is ever read or written.
 */

/**
 * Streams the resource `top` (an fd of `ScopedRoot.openPath`, not followed past a final
 * symlink) as a tar whose names start with `rebase`, as go-archive's TarWithOptions with
 * IncludeSourceDir and RebaseNames does. Directories are walked through fds only; each
 * file is opened O_NOFOLLOW under its directory's fd and must still be the regular file
 * the walk saw. Closes `top`.
 */
/** Maps a file's host owner to the owner an archive records (userns-remap: back to the container's ids). */
export type OwnerMap = (uid: number, gid: number) => [number, number];

export async function* tarResource(top: number, rebase: string, signal?: AbortSignal, mapIds?: OwnerMap): AsyncGenerator<Buffer> {
  const seenInodes = new Map<string, string>();
  try {
    const st = fstatBig(top);
    if (st.isDirectory()) {
      if (rebase !== '') yield encodeHeader(headerFor(rebase, st, 'dir', '', mapIds));
      yield* walkDir(top, rebase, seenInodes, signal, mapIds);
    } else if (st.isSymbolicLink()) {
      yield encodeHeader(headerFor(rebase, st, 'symlink', readlinkFd(top), mapIds));
    } else if (st.isFile()) {
      yield* fileEntry(fdPath(top), rebase, st, true, mapIds);
    } else {
      const type = specialType(st);
      if (type) yield encodeHeader(headerFor(rebase, st, type, '', mapIds));
    }
    yield END_OF_ARCHIVE;
  } finally {
    closeSync(top);
  }
}

async function* walkDir(dirPathFd: number, prefix: string, seen: Map<string, string>, signal?: AbortSignal, mapIds?: OwnerMap): AsyncGenerator<Buffer> {
  // An O_PATH fd cannot be listed: open the directory it pins for reading.
  const dir = openChildSelf(dirPathFd);
  try {
    const names = readdirSync(fdPath(dir)).sort();
    for (const name of names) {
      signal?.throwIfAborted();
      const st = lstatAt(dir, name);
      if (!st) continue; // Removed since the listing: it is simply not copied.
      const entryName = prefix === '' ? name : `${prefix}/${name}`;
      if (st.isDirectory()) {
        let child: number;
        try {
          child = openChild(dir, name, O_PATH | fsc.O_DIRECTORY);
        } catch (err) {
          // Swapped for a symlink or removed after the lstat: not followed, not copied.
          if (isErrno(err, 'ELOOP') || isErrno(err, 'ENOTDIR') || isErrno(err, 'ENOENT') || isErrno(err, 'EXDEV')) continue;
          throw err;
        }
        try {
          yield encodeHeader(headerFor(entryName, st, 'dir', '', mapIds));
          yield* walkDir(child, entryName, seen, signal, mapIds);
        } finally {
          closeSync(child);
        }
      } else if (st.isSymbolicLink()) {
        let target: string;
        try { target = readlinkSync(at(dir, name)); } catch (err) {
          if (isErrno(err, 'EINVAL') || isErrno(err, 'ENOENT')) continue;
          throw err;
        }
        yield encodeHeader(headerFor(entryName, st, 'symlink', target, mapIds));
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1n ? seen.get(key) : undefined;
        if (first !== undefined) {
          yield encodeHeader(headerFor(entryName, st, 'link', first, mapIds));
          continue;
        }
        if (st.nlink > 1n) seen.set(key, entryName);
        yield* fileEntry(at(dir, name), entryName, st, false, mapIds);
      } else {
        const type = specialType(st);
        if (type) yield encodeHeader(headerFor(entryName, st, type, '', mapIds));
      }
    }
  } finally {
    closeSync(dir);
  }
}

/** Reopens an O_PATH directory fd for reading: the magic link reaches exactly the directory it pins. */
function openChildSelf(pathFd: number): number {
  return openSync(fdPath(pathFd), fsc.O_RDONLY | fsc.O_DIRECTORY | O_CLOEXEC);
}

/** A regular file's header and bytes. A file that changes size meanwhile still yields exactly the header's size. */
async function* fileEntry(hostPath: string, name: string, seenStat: BigIntStats, isPinned = false, mapIds?: OwnerMap): AsyncGenerator<Buffer> {
  let fd: number;
  try {
    // O_NONBLOCK: if the file was swapped for a FIFO since the lstat, open must not hang.
    // A pinned fd's magic link is reopened as such (O_NOFOLLOW would refuse the link itself).
    fd = openSync(hostPath, fsc.O_RDONLY | (isPinned ? 0 : fsc.O_NOFOLLOW) | fsc.O_NONBLOCK | O_CLOEXEC);
  } catch (err) {
    if (isErrno(err, 'ELOOP') || isErrno(err, 'ENOENT') || isErrno(err, 'ENXIO')) return;
    throw err;
  }
  try {
    const st = fstatBig(fd);
    if (!st.isFile() || st.ino !== seenStat.ino) return; // Swapped meanwhile: not copied.
    const size = Number(st.size);
    yield encodeHeader(headerFor(name, st, 'file', '', mapIds));
    let done = 0;
    while (done < size) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - done));
      const { bytesRead } = await readAsync(fd, buf, 0, buf.length, done);
      if (bytesRead === 0) {
        yield Buffer.alloc(size - done); // Truncated meanwhile: padded, so the archive stays whole.
        done = size;
        break;
      }
      done += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
    yield padding(size);
  } finally {
    closeSync(fd);
  }
}

function specialType(st: BigIntStats): EntryType | undefined {
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  return undefined; // Sockets are not archived, as in go-archive.
}

function headerFor(name: string, st: BigIntStats, type: EntryType, linkname: string, mapIds?: OwnerMap): TarHeader {
  const rdev = Number(st.rdev);
  const [uid, gid] = mapIds ? mapIds(Number(st.uid), Number(st.gid)) : [Number(st.uid), Number(st.gid)];
  return {
    name, type, linkname,
    mode: Number(st.mode) & 0o7777, uid, gid,
    size: type === 'file' ? Number(st.size) : 0,
    mtimeSec: Number(st.mtimeNs / 1_000_000_000n),
    devmajor: type === 'char' || type === 'block' ? ((rdev >> 8) & 0xfff) | ((rdev >>> 32) & ~0xfff) : 0,
    devminor: type === 'char' || type === 'block' ? (rdev & 0xff) | ((rdev >> 12) & ~0xff) : 0,
    xattrs: new Map(),
  };
}

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (the CLI always asks). */
  noOverwriteDirNonDir: boolean;
  /** copyUIDGID: every entry owned by the container's user instead of the archive's ids. */
  chown?: { uid: number; gid: number };
  /** userns-remap: the container's ids to the host's, applied to every owner written. */
  mapOwner?: OwnerMap;
  signal?: AbortSignal;
}

/**
 * Extracts `entries` into directory `dest` (a resolved path inside the container), as
 * go-archive's Untar does in moby's chroot: names are relative to dest and may not climb
 * out of it; parents are resolved within the container's root (a symlink among them is
 * followed, but only inside the root) and created when missing; the entry itself is made
 * under its parent's fd without following anything, so a component swapped for a symlink
 * meanwhile can never redirect a write out of the root.
 */
export async function extractInto(root: ScopedRoot, dest: string, entries: AsyncIterable<TarEntry>, o: ExtractOptions): Promise<void> {
  const dirTimes: Array<[string, number]> = [];
  for await (const entry of entries) {
    o.signal?.throwIfAborted();
    const rel = cleanEntryName(entry.header.name);
    if (rel === '') continue; // The destination itself is not replaced.
    const abs = path.posix.join(dest, rel);
    const parent = root.ensureDir(path.posix.dirname(abs));
    try {
      await extractEntry(root, dest, parent, path.posix.basename(abs), abs, entry, o);
    } finally {
      closeSync(parent);
    }
    if (entry.header.type === 'dir') dirTimes.push([abs, entry.header.mtimeSec]);
  }
  // Directory times last: entries written into them would change them again.
  for (const [abs, mtime] of dirTimes.reverse()) {
    let fd: number;
    try { fd = root.open(abs, fsc.O_RDONLY | fsc.O_DIRECTORY, false); } catch { continue; }
    try { futimesSync(fd, mtime, mtime); } finally { closeSync(fd); }
  }
}

async function extractEntry(root: ScopedRoot, dest: string, parent: number, base: string, abs: string, { header: h, body }: TarEntry, o: ExtractOptions): Promise<void> {
  const existing = lstatAt(parent, base);
  if (existing) {
    if (o.noOverwriteDirNonDir && existing.isDirectory() && h.type !== 'dir') {
      // go-archive's untyped error, which moby answers with 500.
      throw new InternalError(`cannot overwrite directory ${JSON.stringify(abs)} with non-directory ${JSON.stringify(dest)}`);
    }
    if (o.noOverwriteDirNonDir && !existing.isDirectory() && h.type === 'dir') {
      throw new InternalError(`cannot overwrite non-directory ${JSON.stringify(abs)} with directory ${JSON.stringify(dest)}`);
    }
    if (!(existing.isDirectory() && h.type === 'dir')) removeTreeAt(parent, base);
  }
  const requested = o.chown ?? { uid: h.uid, gid: h.gid };
  const [ownerUid, ownerGid] = o.mapOwner ? o.mapOwner(requested.uid, requested.gid) : [requested.uid, requested.gid];
  const owner = { uid: ownerUid, gid: ownerGid };
  const target = at(parent, base);
  switch (h.type) {
    case 'dir': {
      if (!existing?.isDirectory()) mkdirSync(target, 0o700);
      const fd = openChild(parent, base, fsc.O_RDONLY | fsc.O_DIRECTORY);
      try {
        fchownSync(fd, owner.uid, owner.gid);
        fchmodSync(fd, h.mode & 0o7777);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'file': {
      // O_EXCL never follows a symlink, not even a final one created meanwhile.
      const fd = openSync(target, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW | O_CLOEXEC, 0o600);
      try {
        for await (const chunk of body) {
          let off = 0;
          while (off < chunk.length) off += (await writeAsync(fd, chunk, off, chunk.length - off)).bytesWritten;
        }
        fchownSync(fd, owner.uid, owner.gid);
        fchmodSync(fd, h.mode & 0o7777);
        futimesSync(fd, h.mtimeSec, h.mtimeSec);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'symlink':
      symlinkSync(h.linkname, target);
      lchownSync(target, owner.uid, owner.gid);
      lutimesSync(target, h.mtimeSec, h.mtimeSec);
      return;
    case 'link': {
      const linkRel = cleanEntryName(h.linkname, 'link target');
      const linkAbs = path.posix.join(dest, linkRel);
      const linkParent = root.openDir(path.posix.dirname(linkAbs));
      try {
        // link(2) does not follow a symlink at the old path: the link is to that very entry.
        linkSync(at(linkParent, path.posix.basename(linkAbs)), target);
      } finally {
        closeSync(linkParent);
      }
      return;
    }
    case 'char': case 'block': case 'fifo': {
      const kind = h.type === 'char' ? S_IFCHR : h.type === 'block' ? S_IFBLK : S_IFIFO;
      mknod(target, kind, h.mode & 0o7777, h.devmajor, h.devminor);
      lchownSync(target, owner.uid, owner.gid);
      return;
    }
  }
}
