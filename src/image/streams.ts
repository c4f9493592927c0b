import { PassThrough, Transform, type Readable } from 'node:stream';

/**
 * Joins small chunks (gunzip yields 16 KiB) into ones of at least `minBytes`: each chunk
 * becomes a write(2) in the content store and in extraction, and 16 KiB writes cost three
 * to four times as much per byte as 256 KiB ones here (ADR 0007).
 */
export function coalesce(minBytes = 256 * 1024): Transform {
  let pending: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= minBytes) {
        const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, size);
        pending = [];
        size = 0;
        cb(null, out);
        return;
      }
      cb();
    },
    flush(cb) {
      cb(null, size > 0 ? Buffer.concat(pending, size) : undefined);
    },
  });
}

/**
 * Feeds one stream to two consumers at the pace of the slower (backpressure from both). A
 * consumer that closes its side early is dropped; the other keeps reading. An error of the
 * source reaches both.
 */
export function tee(src: Readable, highWaterMark = 1 << 20): [PassThrough, PassThrough] {
  const outs = [new PassThrough({ highWaterMark }), new PassThrough({ highWaterMark })] as [PassThrough, PassThrough];
  let waiting = 0;
  const live = new Set(outs);
  const release = () => { if (--waiting === 0) src.resume(); };
  for (const o of outs) {
    o.on('close', () => {
      if (!live.delete(o)) return;
      // A dropped side may have been the one holding the source back.
      if (o.listenerCount('drain') > 0) { o.removeAllListeners('drain'); release(); }
      if (live.size === 0) src.destroy();
    });
  }
  src.on('data', (chunk: Buffer) => {
    for (const o of live) {
      if (!o.write(chunk)) { waiting++; o.once('drain', release); }
    }
    if (waiting > 0) src.pause();
  });
  src.on('end', () => { for (const o of live) o.end(); });
  src.on('error', (err) => { for (const o of live) o.destroy(err); });
  return outs;
}
