import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvalidArgumentError } from '../errors/index.js';
import { detectCompression } from '../snapshot/index.js';

export { detectCompression };

/**
 * Reads the first bytes of `source` and returns a stream of its decompressed content.
 * `chunkBytes` sizes gunzip's output chunks (zlib's default is 16 KiB).
 */
export async function decompressed(source: Readable, opts: { chunkBytes?: number } = {}): Promise<Readable> {
  const { first, stream: replay } = await peek(source);
  const kind = detectCompression(first);
  if (kind === 'none') return replay;
  if (kind === 'gzip') {
    const gunzip = createGunzip(opts.chunkBytes ? { chunkSize: opts.chunkBytes } : {});
    replay.on('error', (err) => gunzip.destroy(err));
    gunzip.on('close', () => replay.destroy());
    return replay.pipe(gunzip);
  }
  replay.destroy();
  throw new InvalidArgumentError(`unsupported compression format ${kind}: berth reads uncompressed and gzip tar streams`);
}

/** The first bytes of `source` (enough to detect compression) and a stream of all of it. */
export async function peek(source: Readable): Promise<{ first: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pending: Buffer[] = [];
  let have = 0;
  while (have < 6) {
    const r = await it.next();
    if (r.done) break;
    pending.push(r.value);
    have += r.value.length;
  }
  const stream = Readable.from((async function* () {
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
  return { first: Buffer.concat(pending), stream };
}
