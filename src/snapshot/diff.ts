import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InternalError } from '../errors/index.js';
import { lgetxattr, llistxattr } from '../sys/index.js';
import type { Logger } from '../util/index.js';
import type { TarHeader } from './tar-header.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-writer.js';
import { walk, type WalkItem } from './walk.js';
import { OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX, isOverlayWhiteout, isOverlayXattr } from './whiteout.js';

/**
 * A tar of the changes an overlay upper directory holds, as moby's overlay2 Diff with the
 * overlay whiteout converter: 0/0 character devices become `.wh.<name>`, opaque directories
 * get `<dir>/.wh..wh..opq` after their own entry. Owners, modes, mtimes (whole seconds, as
 * Docker), xattrs (PAX SCHILY.xattr.*, binary-safe), hard links (by inode), symlinks,
 * devices and fifos are kept; sockets are skipped, as Docker skips them.
 *
 * The upper directory must not change while it is read: pause or stop the container first
 * (docker commit pauses). Only the final component of each path is opened O_NOFOLLOW.
 */
/** Maps a file's host owner to the owner the tar records (userns-remap: host ids back to the container's). */
export type IdMapper = (uid: number, gid: number) => [number, number];

/** `clampMtimeSec`: no entry newer than this (BuildKit's SOURCE_DATE_EPOCH rewrite); entries are in byte order already. */
export interface DiffOptions { clampMtimeSec?: number }

export function diffTar(upperDir: string, logger: Logger, mapIds?: IdMapper, opts: DiffOptions = {}): Readable {
  return Readable.from(diffBlocks(upperDir, logger, mapIds, opts), { objectMode: false });
}

async function* diffBlocks(upperDir: string, logger: Logger, mapIds: IdMapper | undefined, opts: DiffOptions): AsyncGenerator<Buffer> {
  const firstNameOfInode = new Map<string, string>();
  for await (const item of walk(upperDir)) {
    for (const h of await headersFor(item, firstNameOfInode, logger)) {
      if (mapIds) [h.uid, h.gid] = mapIds(h.uid, h.gid);
      if (opts.clampMtimeSec !== undefined && h.mtimeSec > opts.clampMtimeSec) h.mtimeSec = opts.clampMtimeSec;
      yield encodeHeader(h);
      if (h.type !== 'file' || h.size === 0) continue;
      yield* fileContent(item, h.size);
      yield padding(h.size);
    }
  }
  yield END_OF_ARCHIVE;
}

async function headersFor(item: WalkItem, firstNameOfInode: Map<string, string>, logger: Logger): Promise<TarHeader[]> {
  const { st, rel, abs } = item;
  const h: TarHeader = {
    name: rel, type: 'file', linkname: '', mode: Number(st.mode) & 0o7777, uid: Number(st.uid), gid: Number(st.gid),
    size: 0, mtimeSec: Math.floor(Number(st.mtimeMs) / 1000), devmajor: 0, devminor: 0, xattrs: new Map(),
  };
  if (isOverlayWhiteout(st)) {
    return [{ ...h, name: path.posix.join(path.posix.dirname(rel), WHITEOUT_PREFIX + path.posix.basename(rel)), mode: 0o600 }];
  }
  h.xattrs = readXattrs(abs);
  if (st.isDirectory()) {
    const dir: TarHeader = { ...h, type: 'dir', name: `${rel}/` };
    if (lgetxattr(abs, OPAQUE_XATTR)?.toString() !== 'y') return [dir];
    return [dir, { ...h, name: `${rel}/${OPAQUE_MARKER}`, mode: h.mode & 0o777, xattrs: new Map() }];
  }
  if (st.isSymbolicLink()) return [{ ...h, type: 'symlink', linkname: await fsp.readlink(abs) }];
  if (st.isFile()) return [regularOrLink(h, item, firstNameOfInode)];
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = splitDev(st.rdev);
    return [{ ...h, type: st.isCharacterDevice() ? 'char' : 'block', devmajor: major, devminor: minor }];
  }
  if (st.isFIFO()) return [{ ...h, type: 'fifo' }];
  logger.debug({ path: rel }, 'diffTar skips a socket');
  return [];
}

/** The second and later names of one inode become hard links to the first, as moby's SeenFiles. */
function regularOrLink(h: TarHeader, { st, rel }: WalkItem, firstNameOfInode: Map<string, string>): TarHeader {
  if (st.nlink > 1n) {
    const key = `${st.dev}:${st.ino}`;
    const first = firstNameOfInode.get(key);
    if (first !== undefined) return { ...h, type: 'link', linkname: first };
    firstNameOfInode.set(key, rel);
  }
  return { ...h, size: Number(st.size) };
}

/**
 * The xattrs worth carrying, overlay's own excepted. security.capability v3 (namespaced root
 * uid) is rewritten as v2, as moby does: that uid means nothing outside the namespace.
 */
function readXattrs(abs: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of llistxattr(abs).sort()) {
    if (isOverlayXattr(name)) continue;
    const value = lgetxattr(abs, name);
    if (value === undefined) continue; // removed between list and get
    out.set(name, name === 'security.capability' ? capabilityV2(value) : value);
  }
  return out;
}

const VFS_CAP_V2_BYTES = 20;

function capabilityV2(value: Buffer): Buffer {
  if (value.length < VFS_CAP_V2_BYTES || value[3] !== 3) return value;
  const v2 = Buffer.from(value.subarray(0, VFS_CAP_V2_BYTES));
  v2[3] = 2;
  return v2;
}

/** glibc's major()/minor() of a dev_t. */
function splitDev(rdev: bigint): { major: number; minor: number } {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return { major: Number(major), minor: Number(minor) };
}

/**
 * Exactly `size` bytes of the file, streamed: zero-padded if it shrank, cut if it grew, so
 * the archive stays well-formed. Refuses a file swapped for another since the walk saw it.
 */
async function* fileContent({ abs, rel, st }: WalkItem, size: number): AsyncGenerator<Buffer> {
  const fh = await fsp.open(abs, fsc.O_RDONLY | fsc.O_NOFOLLOW);
  let sent = 0;
  try {
    const now = await fh.stat({ bigint: true });
    if (now.ino !== st.ino || now.dev !== st.dev) throw new InternalError(`diff: ${rel} was replaced while being read`);
    for await (const chunk of fh.createReadStream({ start: 0, end: size - 1, autoClose: false })) {
      const buf = chunk as Buffer;
      const part = buf.length > size - sent ? buf.subarray(0, size - sent) : buf;
      sent += part.length;
      yield part;
      if (sent >= size) break;
    }
  } finally {
    await fh.close();
  }
  for (let left = size - sent; left > 0; left -= ZEROS.length) yield left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
}

const ZEROS = Buffer.alloc(64 * 1024);
