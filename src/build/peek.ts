import { Readable } from 'node:stream';

/**
 * At least `minBytes` of `source`'s first bytes (fewer when it ends sooner), and a stream of
 * all of it, those bytes included: enough to sniff a compression magic or a content type
 * before deciding how to read the rest.
 */
export async function peekStream(source: Readable, minBytes: number): Promise<{ first: Buffer; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const pending: Buffer[] = [];
  let have = 0;
  let isDone = false;
  while (have < minBytes) {
    const r = await it.next();
    if (r.done) { isDone = true; break; }
    pending.push(r.value);
    have += r.value.length;
  }
  const stream = Readable.from((async function* () {
    yield* pending;
    while (!isDone) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })(), { objectMode: false });
  return { first: Buffer.concat(pending), stream };
}
