import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolveParts } from '../store/index.js';

/** One object of a build context: its metadata, and its bytes in memory or in a file. */
export interface ContextNode {
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (`& 0o7777`); 0o777 for a symlink, as Linux reports it. */
  mode: number;
  uid: number;
  gid: number;
  /** A file's byte count; a symlink's target length (lstat's); 0 for a directory. */
  size: number;
  mtime: Date;
  linkname?: string;
  /** A file's bytes, when kept in memory. */
  data?: Buffer;
  /** A file's bytes on disk: spilled from the context, or a file of a cloned repository. */
  file?: string;
  /** sha256 hex of a file's bytes: known once received, computed on first use otherwise. */
  digest?: string;
}


/**
 * A build context as a tree of paths (`a/b`, the root is ''), the Docker context's files
 * with their modes, owners, link targets and contents: what COPY/ADD plan, hash and pack
 * from, without the context being written out as files first. Small files stay in memory;
 * past `memoryBytes` in all, file contents go to files in a temp directory of the tree's own
 * (`dispose` removes it). Paths resolve inside the tree as `resolveWithin` does on disk.
 */
export class ContextTree {
  private readonly nodes = new Map<string, ContextNode>();
  private readonly kids = new Map<string, Set<string>>();
  private inMemoryBytes = 0;
  private spillDir: Promise<string> | undefined;
  private spilled = 0;
  /** Every node's mtime: the time the context arrived, as its extraction on disk gave. */
  readonly receivedAt = new Date();

  constructor(private readonly o: { tmpDir: string; memoryBytes: number }) {
    this.nodes.set('', this.dirNode(0o755));
    this.kids.set('', new Set());
  }

  /** Bytes of file contents held in memory now. */
  get memoryUsed(): number { return this.inMemoryBytes; }

  /** The node at a resolved path (no link followed), or undefined. */
  get(rel: string): ContextNode | undefined { return this.nodes.get(normal(rel)); }

  /** A directory's entry names, in byte order as readdir sorted. */
  list(rel: string): string[] {
    return [...(this.kids.get(normal(rel)) ?? [])].sort();
  }

  /**
   * `rel` resolved inside the tree as if its root were `/` (the disk's `resolveWithin`):
   * `..` stops at the root, a symlink met on the way is followed with its target read from
   * the root (an absolute one restarts there), and components that do not exist are kept.
   * With `followFinal` false the last component is not followed.
   */
  resolve(rel: string, followFinal = true): string {
    return resolveParts(rel, followFinal, (p) => {
      const node = this.nodes.get(p.join('/'));
      return node?.type === 'symlink' ? (node.linkname ?? '') : undefined;
    }).join('/');
  }

  /** Puts `node` at the resolved path `rel`, replacing what was there; missing parents are made 0755. */
  set(rel: string, node: ContextNode): void {
    const key = normal(rel);
    if (key === '') return;
    this.remove(key);
    const parent = this.ensureDir(path.posix.dirname(key) === '.' ? '' : path.posix.dirname(key));
    this.nodes.set(key, node);
    this.kids.get(parent)!.add(path.posix.basename(key));
    if (node.type === 'directory') this.kids.set(key, new Set());
    if (node.data) this.inMemoryBytes += node.data.length;
  }

  /** The directory at `rel`, made (0755, root) with its parents when missing; a non-directory there is replaced. */
  ensureDir(rel: string): string {
    const key = normal(rel);
    if (this.nodes.get(key)?.type === 'directory') return key;
    this.set(key, this.dirNode(0o755));
    return key;
  }

  /** Removes the node at `rel` and everything below it. */
  remove(rel: string): void {
    const key = normal(rel);
    const node = this.nodes.get(key);
    if (!node || key === '') return;
    for (const k of this.kids.get(key) ?? []) this.remove(`${key}/${k}`);
    this.kids.delete(key);
    if (node.data) this.inMemoryBytes -= node.data.length;
    this.nodes.delete(key);
    this.kids.get(path.posix.dirname(key) === '.' ? '' : path.posix.dirname(key))?.delete(path.posix.basename(key));
  }

  /** Adds a regular file with the given bytes (a heredoc, a test's file). */
  addFile(rel: string, data: Buffer, mode: number): void {
    this.set(rel, { type: 'file', mode, uid: 0, gid: 0, size: data.length, mtime: this.receivedAt, data, digest: sha256(data) });
  }

  /** Whether `bytes` more may be kept in memory. */
  hasRoomFor(bytes: number): boolean { return this.inMemoryBytes + bytes <= this.o.memoryBytes; }

  /** A fresh file name in the tree's own temp directory, for contents past the memory bound. */
  async spillPath(): Promise<string> {
    this.spillDir ??= fsp.mkdtemp(path.join(this.o.tmpDir, 'build-context-'));
    return path.join(await this.spillDir, String(this.spilled++));
  }

  /** Removes the spilled contents, if any. */
  async dispose(): Promise<void> {
    if (!this.spillDir) return;
    const dir = await this.spillDir.catch(() => undefined);
    this.spillDir = undefined;
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  }

  /**
   * The tree of a directory on disk (a cloned git context): nodes refer to its files, whose
   * digests are computed when a COPY needs them. Symlinks are kept as links, not followed.
   */
  static async fromDirectory(dir: string, o: { tmpDir: string; memoryBytes: number }): Promise<ContextTree> {
    const tree = new ContextTree(o);
    const walk = async (abs: string, rel: string): Promise<void> => {
      for (const name of (await fsp.readdir(abs)).sort()) {
        const a = path.join(abs, name);
        const r = rel ? `${rel}/${name}` : name;
        const node = await nodeOfFile(a);
        if (!node) continue;
        tree.set(r, node);
        if (node.type === 'directory') await walk(a, r);
      }
    };
    await walk(dir, '');
    return tree;
  }

  private dirNode(mode: number): ContextNode {
    return { type: 'directory', mode, uid: 0, gid: 0, size: 0, mtime: this.receivedAt };
  }
}

/** A node for a file, directory or symlink on disk (lstat's metadata); other types give undefined. */
export async function nodeOfFile(file: string): Promise<ContextNode | undefined> {
  const st: Stats = await fsp.lstat(file);
  const base = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) return { ...base, type: 'directory', size: 0 };
  if (st.isSymbolicLink()) {
    const linkname = await fsp.readlink(file);
    return { ...base, type: 'symlink', mode: 0o777, size: Buffer.byteLength(linkname), linkname };
  }
  if (st.isFile()) return { ...base, type: 'file', size: st.size, file };
  return undefined;
}

/** A file node's bytes as a stream. */
export function openNode(n: ContextNode): Readable {
  if (n.data) return Readable.from([n.data], { objectMode: false });
  if (n.file) return createReadStream(n.file);
  return Readable.from([], { objectMode: false });
}

/** sha256 hex of a file node's bytes (computed once). */
export async function nodeDigest(n: ContextNode): Promise<string> {
  if (n.digest) return n.digest;
  if (n.data) return (n.digest = sha256(n.data));
  const h = createHash('sha256');
  await pipeline(openNode(n), h);
  return (n.digest = h.digest('hex'));
}

/** Up to `bytes` of a file node's first bytes. */
export async function nodeHead(n: ContextNode, bytes: number): Promise<Buffer> {
  if (n.data) return n.data.subarray(0, bytes);
  if (!n.file) return Buffer.alloc(0);
  const fh = await fsp.open(n.file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally { await fh.close(); }
}

/** A file node's bytes as UTF-8 text. */
export async function readNodeText(n: ContextNode): Promise<string> {
  if (n.data) return n.data.toString('utf8');
  if (n.file) return fsp.readFile(n.file, 'utf8');
  return '';
}

function sha256(b: Buffer): string { return createHash('sha256').update(b).digest('hex'); }


/** `a/b` for `./a//b/`, '' for the root. */
function normal(rel: string): string {
  const n = path.posix.normalize(`/${rel}`).slice(1);
  return n.endsWith('/') ? n.slice(0, -1) : n;
}
