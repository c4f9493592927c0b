import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../errors/index.js';

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

/** Recognises a compressed stream by its magic bytes, as Docker's DetectCompression does. */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/** Reads the first bytes of `source` and returns a stream of its decompressed content. */
export async function decompressed(source: Readable): Promise<Readable> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pending: Buffer[] = [];
  let have = 0;
  while (have < 6) {
    const r = await it.next();
    if (r.done) break;
    pending.push(r.value);
    have += r.value.length;
  }
  const kind = detectCompression(Buffer.concat(pending));
  const replay = Readable.from((async function* () {
    try {
      yield* pending;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value;
      }
    } finally {
      await it.return?.();
    }
  })(), { objectMode: false });
  if (kind === 'none') return replay;
  if (kind === 'gzip') {
    const gunzip = createGunzip();
    replay.on('error', (err) => gunzip.destroy(err));
    gunzip.on('close', () => replay.destroy());
    return replay.pipe(gunzip);
  }
  replay.destroy();
  throw new InvalidArgumentError(`unsupported compression format ${kind}: berth reads uncompressed and gzip tar streams`);
}
