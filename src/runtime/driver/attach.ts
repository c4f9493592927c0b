import type { Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { ConflictError, errnoOf } from '../../errors/index.js';
import { connectSeqpacket, queuedMessages } from './seqpacket.js';

/**
 * One connection to conmon's attach socket, split by stream.
 *
 * - `stdout` and `stderr` end when conmon closes the connection, which it does after the
 *   container exits and its output is drained. With a tty all output comes on `stdout`. Read
 *   both (or `resume()` the one not wanted): a full one pauses the socket, and so the other.
 * - `stdin` reaches the container's stdin (only if conmon ran with `--stdin`); `end()` shuts
 *   our write side, which closes the container's stdin unless conmon was started with
 *   `--leave-stdin-open`. Writes after the container is gone are dropped.
 * - `close()` detaches: the connection is dropped and both readables end.
 */
export interface AttachStreams {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  close(): void;
}

/** conmon's frame types (stdpipe_t in conmon.c): byte 0 of every message it sends. */
const FRAME_STDOUT = 2;
const FRAME_STDERR = 3;
/**
 * conmon reads a client's message with recvfrom(…, CONN_SOCK_BUF_SIZE - 1 = 32767): a longer
 * SEQPACKET message would be cut off silently, so stdin goes in pieces well below that.
 */
const STDIN_PIECE_BYTES = 8192;

/** Connects to the attach socket at `socketPath` (any length). */
export async function attach(socketPath: string, opts: { signal?: AbortSignal } = {}): Promise<AttachStreams> {
  let socket: Socket;
  try {
    socket = await connectSeqpacket(socketPath, opts);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ECONNREFUSED') {
      throw new ConflictError(`cannot attach: no monitor listens on ${socketPath} (${code})`, { cause: err });
    }
    throw err;
  }
  return demultiplex(socket);
}

/** Splits a connected attach socket into the three streams (exported for tests). */
export function demultiplex(socket: Socket): AttachStreams {
  let isEnded = false;
  const resume = () => socket.resume();
  const stdout = new Readable({ read: resume });
  const stderr = new Readable({ read: resume });
  const endOutput = () => {
    if (isEnded) return;
    isEnded = true;
    stdout.push(null);
    stderr.push(null);
  };

  const onFrame = (frame: Buffer) => {
    const target = frame[0] === FRAME_STDOUT ? stdout : frame[0] === FRAME_STDERR ? stderr : undefined;
    // conmon sends clients only stdout and stderr frames; anything else is not container output.
    if (!target || frame.length < 2 || isEnded) return;
    if (!target.push(frame.subarray(1))) socket.pause();
  };
  socket.on('data', onFrame);
  socket.on('end', () => {
    // conmon writes its last frames and closes at once; libuv may report the end before
    // reading them (a hang-up after a short read counts as end of file): read them now.
    for (const frame of queuedMessages(socket)) onFrame(frame);
    endOutput();
    // conmon has closed its side: the container is gone, so close ours too.
    socket.end();
  });
  socket.on('close', endOutput);
  socket.on('error', (err) => {
    // EPIPE / ECONNRESET: conmon closed while we wrote stdin; that is the end, not a failure.
    const code = errnoOf(err);
    if (code === 'EPIPE' || code === 'ECONNRESET') return endOutput();
    isEnded = true;
    stdout.destroy(err);
    stderr.destroy(err);
  });

  const stdin = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      writePieces(socket, chunk).then(() => callback(), callback);
    },
    final(callback) {
      if (socket.writable) socket.end(() => callback());
      else callback();
    },
  });

  return { stdout, stderr, stdin, close: () => socket.destroy() };
}

/**
 * Writes `chunk` as messages of at most STDIN_PIECE_BYTES, one at a time: waiting for each
 * keeps net.Socket from joining queued writes into one writev (one oversized message).
 */
async function writePieces(socket: Socket, chunk: Buffer): Promise<void> {
  for (let off = 0; off < chunk.length; off += STDIN_PIECE_BYTES) {
    // The container's side is gone (its exit code tells why); input for it has nowhere to go.
    if (!socket.writable) return;
    const piece = chunk.subarray(off, off + STDIN_PIECE_BYTES);
    // A write error also comes as the socket's 'error' event, handled in demultiplex().
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
  }
}
