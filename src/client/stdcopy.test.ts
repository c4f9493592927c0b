import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { demultiplex, encodeFrame, StdStream, StreamFrameError } from './stdcopy.js';

function sinks(): { out: PassThrough; err: PassThrough; text: () => [string, string] } {
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c: Buffer) => o.push(c));
  err.on('data', (c: Buffer) => e.push(c));
  return { out, err, text: () => [Buffer.concat(o).toString(), Buffer.concat(e).toString()] };
}

describe('stdcopy demultiplexing', () => {
  it('routes frames to stdout and stderr, whatever the chunking', async () => {
    const wire = Buffer.concat([
      encodeFrame(StdStream.Stdout, 'hello\n'), encodeFrame(StdStream.Stderr, 'oops\n'), encodeFrame(StdStream.Stdin, 'in'), encodeFrame(StdStream.Stdout, ''),
      encodeFrame(StdStream.Stdout, Buffer.alloc(70_000, 0x61)),
    ]);
    for (const size of [1, 3, 8, 9, 1000, wire.length]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < wire.length; i += size) chunks.push(wire.subarray(i, i + size));
      const s = sinks();
      await demultiplex(Readable.from(chunks), s.out, s.err);
      const [out, err] = s.text();
      assert.equal(out, `hello\nin${'a'.repeat(70_000)}`, `chunk size ${size}`);
      assert.equal(err, 'oops\n');
    }
  });

  it('drops a truncated last frame, as StdCopy does', async () => {
    const frame = encodeFrame(StdStream.Stdout, 'complete');
    const s = sinks();
    await demultiplex(Readable.from([Buffer.concat([frame, encodeFrame(StdStream.Stdout, 'cut off').subarray(0, 10)])]), s.out, s.err);
    assert.deepEqual(s.text(), ['complete', '']);
  });

  it('fails on a daemon error frame and on an unknown stream', async () => {
    const s = sinks();
    await assert.rejects(demultiplex(Readable.from([encodeFrame(StdStream.SystemErr, 'boom')]), s.out, s.err),
      (e: unknown) => e instanceof StreamFrameError && e.message === 'error from daemon in stream: boom');
    const bad = encodeFrame(StdStream.Stdout, 'x');
    bad[0] = 7;
    await assert.rejects(demultiplex(Readable.from([bad]), s.out, s.err), { message: 'Unrecognized input header: 7' });
  });
});
