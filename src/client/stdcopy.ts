/**
 * docker's stdcopy: the multiplexed stream of attach and logs for a container without a
 * TTY. Each frame is an 8-byte header — stream (0 stdin, 1 stdout, 2 stderr, 3 a daemon
 * error), three zero bytes, the payload size as a big-endian uint32 — then the payload.
 * A truncated frame at the end of the stream is dropped silently, as StdCopy does.
 */
import type { Writable } from 'node:stream';

const HEADER_BYTES = 8;

export const StdStream = { Stdin: 0, Stdout: 1, Stderr: 2, SystemErr: 3 } as const;
export type StdStream = (typeof StdStream)[keyof typeof StdStream];

/** A daemon error sent in the stream (stream 3), or a header that is not one of docker's. */
export class StreamFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamFrameError';
  }
}

/** Writes `chunk`, resolving once `stream` can take more (its 'drain' when write() returned false). */
export async function writeChunk(stream: Writable, chunk: Buffer): Promise<void> {
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onClose = (): void => done();
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', onClose);
  });
}

/** One frame as the writer side puts it on the wire (tests and fakes). */
export function encodeFrame(stream: StdStream, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * stdcopy.StdCopy: copies each frame's payload to `stdout` (streams 0 and 1) or `stderr`
 * (stream 2) until `source` ends. Rejects with StreamFrameError on a stream-3 frame
 * ("error from daemon in stream: …") or an unknown stream byte.
 */
export async function demultiplex(source: AsyncIterable<Buffer | string>, stdout: Writable, stderr: Writable): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    pending = pending.length === 0 ? b : Buffer.concat([pending, b]);
    while (pending.length >= HEADER_BYTES) {
      const size = pending.readUInt32BE(4);
      if (pending.length < HEADER_BYTES + size) break;
      const stream = pending[0]!;
      const payload = pending.subarray(HEADER_BYTES, HEADER_BYTES + size);
      pending = pending.subarray(HEADER_BYTES + size);
      switch (stream) {
        case StdStream.Stdin:
        case StdStream.Stdout:
          if (payload.length) await writeChunk(stdout, payload);
          break;
        case StdStream.Stderr:
          if (payload.length) await writeChunk(stderr, payload);
          break;
        case StdStream.SystemErr:
          throw new StreamFrameError(`error from daemon in stream: ${payload.toString('utf8')}`);
        default:
          throw new StreamFrameError(`Unrecognized input header: ${stream}`);
      }
    }
  }
}
