import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError, isErrno } from '../errors/index.js';
import { fsyncDir, mkdirAll } from '../store/index.js';

export interface BlobInfo { digest: string; sizeBytes: number }

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/** Hashes what passes through it; `digest()` is valid once the stream has ended. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  sizeBytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.hash.update(chunk);
    this.sizeBytes += chunk.length;
    this.push(chunk);
    cb();
  }
  digest(): string { return `sha256:${this.hash.digest('hex')}`; }
}

/**
 * The content store (containerd's content.Store, reduced): blobs by digest under
 * `blobs/sha256/<hex>`. An ingest streams into `blobs/ingest/`, is hashed on the way, fsynced,
 * and only renamed to its digest when the digest is the expected one, so a blob under its
 * final name is always complete and correct; a failed ingest leaves nothing behind.
 */
export class ContentStore {
  constructor(private readonly blobDir: string, private readonly ingestDir: string) {}

  async init(): Promise<void> {
    await mkdirAll(this.blobDir);
    await fsp.rm(this.ingestDir, { recursive: true, force: true });
    await mkdirAll(this.ingestDir);
  }

  pathOf(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new InvalidArgumentError(`invalid digest: ${digest}`);
    return path.join(this.blobDir, digest.slice('sha256:'.length));
  }

  async has(digest: string): Promise<boolean> {
    try { await fsp.access(this.pathOf(digest)); return true; } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async size(digest: string): Promise<number> {
    try { return (await fsp.stat(this.pathOf(digest))).size; } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`blob ${digest} not found`, { cause: err });
      throw err;
    }
  }

  /** Streams `source` in; throws InvalidArgumentError when `expected` is given and differs. */
  async ingest(source: Readable, opts: { expected?: string; signal?: AbortSignal } = {}): Promise<BlobInfo> {
    const tmp = path.join(this.ingestDir, randomBytes(8).toString('hex'));
    const hasher = new HashingStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
      const digest = hasher.digest();
      if (opts.expected !== undefined && opts.expected !== digest) {
        throw new InvalidArgumentError(`digest mismatch: expected ${opts.expected}, got ${digest}`);
      }
      const fh = await fsp.open(tmp, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
      await fsp.rename(tmp, this.pathOf(digest));
      await fsyncDir(this.blobDir);
      return { digest, sizeBytes: hasher.sizeBytes };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /**
   * Takes a complete file the caller has already verified against `digest` (a layer download
   * hashed on its way in, ADR 0022) as that blob: fsync, rename, fsync of the directory. The
   * file must be on the data-root's filesystem. Saves writing the bytes a second time.
   */
  async adopt(file: string, digest: string): Promise<BlobInfo> {
    const dst = this.pathOf(digest);
    const fh = await fsp.open(file, 'r');
    let sizeBytes: number;
    try {
      await fh.sync();
      sizeBytes = (await fh.stat()).size;
    } finally {
      await fh.close();
    }
    await fsp.rename(file, dst);
    await fsyncDir(this.blobDir);
    return { digest, sizeBytes };
  }

  async put(data: Buffer | string, expected?: string): Promise<BlobInfo> {
    const { Readable } = await import('node:stream');
    return this.ingest(Readable.from([Buffer.from(data)]), { expected });
  }

  /** Reads a small blob (manifest, config) whole and re-checks its digest. */
  async read(digest: string): Promise<Buffer> {
    let buf: Buffer;
    try { buf = await fsp.readFile(this.pathOf(digest)); } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new NotFoundError(`blob ${digest} not found`, { cause: err });
      throw err;
    }
    const actual = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    if (actual !== digest) throw new InvalidArgumentError(`blob ${digest} is corrupt: its content hashes to ${actual}`);
    return buf;
  }

  /** A stream of a blob (large: layers); the caller verifies when it matters. */
  open(digest: string): Readable {
    return createReadStream(this.pathOf(digest));
  }

  /** Bytes [start, end) of a blob (an upload in chunks). */
  openRange(digest: string, start: number, end: number): Readable {
    return createReadStream(this.pathOf(digest), { start, end: end - 1 });
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.pathOf(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.blobDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
