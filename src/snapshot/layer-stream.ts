import { createHash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { InvalidArgumentError } from '../errors/index.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Recognises compression by magic bytes, as moby's DetectCompression. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

export interface LayerStream {
  /** The uncompressed tar bytes; iterate once. */
  chunks: AsyncIterable<Buffer>;
  /** `sha256:<hex>` of every uncompressed byte; valid once `chunks` is read to its end. */
  diffId(): string;
  /** Uncompressed bytes read so far (the tar's size once `chunks` ended). */
  tarBytes(): number;
}

/**
 * Turns a layer as stored (tar, tar+gzip, tar+zstd where Node has it) into its uncompressed
 * bytes, hashing them on the way: the diffId is the digest of the uncompressed tar, not of
 * the blob. Input is pulled only as the consumer reads.
 */
export function layerStream(input: Readable): LayerStream {
  const hash = createHash('sha256');
  let digest: string | undefined;
  let count = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of decompressed(input)) {
      hash.update(chunk);
      count += chunk.length;
      yield chunk;
    }
    digest = `sha256:${hash.digest('hex')}`;
  }
  return {
    chunks: hashed(),
    diffId(): string {
      if (digest === undefined) throw new Error('layerStream: diffId read before the stream ended');
      return digest;
    },
    tarBytes: () => count,
  };
}

async function* decompressed(input: Readable): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  try {
    const head: Buffer[] = [];
    let have = 0;
    while (have < 6) {
      const r = await it.next();
      if (r.done) break;
      head.push(r.value);
      have += r.value.length;
    }
    const raw = replay(head, it);
    const kind = detectCompression(Buffer.concat(head));
    if (kind === 'none') yield* raw;
    else yield* inflate(raw, decompressorFor(kind));
  } finally {
    await it.return?.();
  }
}

async function* replay(head: Buffer[], it: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    yield r.value;
  }
}

type ZstdZlib = { createZstdDecompress?: () => NodeJS.ReadWriteStream & Readable };

function decompressorFor(kind: Compression): NodeJS.ReadWriteStream & Readable {
  // 256 KiB output chunks: each becomes a write(2) in extraction, and 16 KiB writes (zlib's
  // default) cost three to four times as much per byte here (ADR 0007).
  if (kind === 'gzip') return zlib.createGunzip({ chunkSize: 256 * 1024 });
  // Node >= 22.15 has zstd built in; on Node 20 there is nothing cheap to call.
  const zstd = (zlib as unknown as ZstdZlib).createZstdDecompress;
  if (kind === 'zstd' && zstd) return zstd();
  const hint = kind === 'zstd' ? ' (zstd needs Node >= 22.15)' : '';
  throw new InvalidArgumentError(`unsupported layer compression ${kind}: berth reads uncompressed and gzip layers${hint}`);
}

/** Feeds `raw` through `decompressor`; an error at either end surfaces in the iteration. */
async function* inflate(raw: AsyncGenerator<Buffer>, decompressor: NodeJS.ReadWriteStream & Readable): AsyncGenerator<Buffer> {
  // The callback is required by the callback form; its error also destroys `out`, which is
  // where the iteration below sees it, so it needs no handling of its own.
  const out = pipeline(Readable.from(raw, { objectMode: false }), decompressor, () => undefined);
  try {
    for await (const chunk of out) yield chunk as Buffer;
  } catch (err) {
    if (errCode(err)?.startsWith('Z_')) {
      throw new InvalidArgumentError(`layer is not a valid compressed stream: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}

function errCode(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
