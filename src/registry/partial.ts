import { createReadStream, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
import { mkdirAll } from '../store/index.js';

/**
 * Bytes of layer downloads that did not finish (a client that left, a berthd killed, a network
 * gone), kept under `<data-root>/distribution/partial/<digest>` so that the next pull of the
 * blob goes on from there with a Range request instead of starting over (moby#26146). Node
 * cannot save a hash's state, so a resumed download re-reads and re-hashes the kept prefix
 * (its bytes also feed decompression again): the blob is verified whole, as always.
 *
 * One writer per blob: concurrent pulls of one blob share one download (pull.ts).
 */
export class PartialDownloads {
  constructor(private readonly dir: string) {}

  private pathOf(digest: string): string {
    return path.join(this.dir, digest.replace(/[^a-z0-9]/gi, '-'));
  }

  /** The kept prefix of `digest` (none when absent or longer than the blob), open for appending. */
  async open(digest: string, size: number): Promise<PartialFile> {
    await mkdirAll(this.dir, 0o700);
    const file = this.pathOf(digest);
    const fh = await fsp.open(file, 'a+', 0o600);
    let kept = (await fh.stat()).size;
    if (size > 0 && kept >= size) {
      await fh.truncate(0);
      kept = 0;
    }
    return new PartialFile(file, fh, kept);
  }

  /** Removes partial downloads not written to for `olderThanMs` (system/image prune); returns the bytes freed. */
  async prune(olderThanMs: number, now = Date.now()): Promise<number> {
    let names: string[];
    try { names = await fsp.readdir(this.dir); } catch (err) {
      if (isErrno(err, 'ENOENT')) return 0;
      throw err;
    }
    let freed = 0;
    for (const name of names) {
      const file = path.join(this.dir, name);
      const st = await fsp.stat(file).catch(() => undefined);
      if (!st || now - st.mtimeMs < olderThanMs) continue;
      await fsp.rm(file, { force: true });
      freed += st.size;
    }
    return freed;
  }
}

export class PartialFile {
  private closed = false;
  constructor(private readonly file: string, private readonly fh: FileHandle, readonly kept: number) {}

  /** The kept prefix, from its first byte. */
  read(): AsyncIterable<Buffer> {
    return createReadStream('', { fd: this.fh, start: 0, end: this.kept - 1, autoClose: false, highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>;
  }

  async append(chunk: Buffer): Promise<void> {
    await this.fh.write(chunk);
  }

  /** The blob is complete and verified (or proved wrong): its partial file goes. */
  async remove(): Promise<void> {
    await this.close();
    await fsp.rm(this.file, { force: true });
  }

  /** The blob is complete and verified: `adopt` takes the file (a rename into the content store). */
  async handOver(adopt: (file: string) => Promise<void>): Promise<void> {
    await this.close();
    await adopt(this.file);
  }

  /** Interrupted: what was written is kept (synced, so a host crash keeps a true prefix) for the next pull. */
  async keep(): Promise<void> {
    if (this.closed) return;
    await this.fh.sync().catch(() => undefined);
    await this.close();
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }
}
