/**
 * Helpers for this folder's tests: layers built with tar-stream (an independent tar writer),
 * temp directories cleaned up by the test that made them, and a store on a temp root.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { TestContext } from 'node:test';
import tar from 'tar-stream';
import { silentLogger } from '../util/index.js';
import { SnapshotStore } from './store.js';
import type { TarHeader } from './tar-header.js';
import { END_OF_ARCHIVE, encodeHeader, padding } from './tar-writer.js';

export interface FixtureEntry {
  name: string;
  type?: tar.Header['type'];
  linkname?: string;
  body?: string | Buffer;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  devmajor?: number;
  devminor?: number;
  /** PAX records, e.g. `SCHILY.xattr.user.x` (tar-stream writes them as UTF-8 text). */
  pax?: Record<string, string>;
}

export const FIXED_MTIME = new Date('2021-02-03T04:05:06Z');

/** A tar made by tar-stream's pack(). */
export async function packTar(entries: readonly FixtureEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: tar.Header = {
      name: e.name, type, linkname: e.linkname ?? '', size: 0,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0,
      uname: '', gname: '', mtime: e.mtime ?? FIXED_MTIME, devmajor: e.devmajor ?? 0, devminor: e.devminor ?? 0,
      pax: e.pax ?? null,
    };
    if (type === 'file') pack.entry(header, e.body ?? '');
    else pack.entry(header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A tar made by berth's own writer, for what tar-stream cannot write (binary PAX values). */
export function rawTar(entries: ReadonlyArray<Partial<TarHeader> & { name: string; body?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const h: TarHeader = {
      type: 'file', linkname: '', mode: 0o644, uid: 0, gid: 0, mtimeSec: FIXED_MTIME.getTime() / 1000,
      devmajor: 0, devminor: 0, xattrs: new Map(), ...e, size: e.type === undefined || e.type === 'file' ? body.length : 0,
    };
    parts.push(encodeHeader(h), body, padding(body.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** The bytes as a stream of odd-sized chunks, so block boundaries fall mid-chunk. */
export function chunked(buf: Buffer, sizes: readonly number[] = [1, 511, 700, 4096, 3]): Readable {
  const parts: Buffer[] = [];
  for (let off = 0, i = 0; off < buf.length; i++) {
    const n = sizes[i % sizes.length]!;
    parts.push(buf.subarray(off, off + n));
    off += n;
  }
  return Readable.from(parts, { objectMode: false });
}

export function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

/** A fresh directory under the OS temp dir, removed when the test ends however it ends. */
export async function tempDir(t: TestContext, prefix = 'berth-snapshot-'): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function openStore(t: TestContext): Promise<{ store: SnapshotStore; root: string }> {
  const root = path.join(await tempDir(t), 'snapshots');
  const store = new SnapshotStore({ root, logger: silentLogger() });
  await store.init();
  return { store, root };
}

/** The diff directory of a committed chain. */
export async function diffDirOf(store: SnapshotStore, chainId: string): Promise<string> {
  return (await store.lowerDirs(chainId))[0]!;
}

/** Mount points at or below `dir`, from /proc/self/mountinfo. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await fsp.readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m === dir || m.startsWith(dir + '/'));
}
