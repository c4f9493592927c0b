/**
 * docker's hijackedIOStreamer: moves bytes between the CLI's streams and an upgraded attach
 * connection. Output is demultiplexed (stdcopy) unless the container has a TTY; input is
 * copied until stdin ends, then the connection's write side is half-closed (at once when
 * there is no input), so the daemon sees EOF on the container's stdin. With a TTY and stdin
 * the terminal goes raw for the session and the detach keys end it with DetachError.
 *
 * Lifecycle: the streamer owns neither the socket nor stdin; it stops reading stdin and
 * restores the terminal before it settles, and the caller destroys the socket.
 */
import type { Socket } from 'node:net';
import { Writable, type Readable } from 'node:stream';
import { demultiplex, writeChunk } from '../../client/index.js';
import type { CliIO } from '../context.js';
import { DEFAULT_ESCAPE_KEYS, detachKeysToBytes, DetachError, EscapeProxy } from './escape.js';
import { setRawTerminal } from './terminal.js';

export interface HijackOptions {
  socket: Socket;
  /** Attach the CLI's stdin (run -i, start -i, attach). */
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty: boolean;
  detachKeys?: string;
  io: CliIO;
  env: NodeJS.ProcessEnv;
  /** Aborted when the caller gives up on the session (start failed). */
  signal?: AbortSignal;
  /** Warnings docker logs (bad detach keys). */
  warn?: (text: string) => void;
}

function escapeKeys(opts: HijackOptions): Buffer {
  if (!opts.detachKeys) return DEFAULT_ESCAPE_KEYS;
  try {
    return detachKeysToBytes(opts.detachKeys);
  } catch (e) {
    opts.warn?.(`invalid detach escape keys, using default: ${(e as Error).message}`);
    return DEFAULT_ESCAPE_KEYS;
  }
}

/** Copies stdin to the socket until stdin ends ('eof'), the user detaches, or `stop` is called. */
function pumpInput(stdin: Readable, socket: Socket, proxy: EscapeProxy | undefined): { done: Promise<'eof'>; stop: () => void } {
  let stop = (): void => {};
  const done = new Promise<'eof'>((resolve, reject) => {
    const onDrain = (): void => {
      stdin.resume();
    };
    const cleanup = (): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      socket.off('drain', onDrain);
      stdin.pause();
    };
    const onEnd = (): void => {
      cleanup();
      resolve('eof');
    };
    const onData = (chunk: Buffer | string): void => {
      let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (proxy) {
        try {
          data = proxy.filter(data);
        } catch (e) {
          cleanup();
          reject(e);
          return;
        }
      }
      if (data.length === 0 || socket.destroyed || socket.writableEnded) return;
      if (!socket.write(data)) {
        stdin.pause();
        socket.once('drain', onDrain);
      }
    };
    stop = (): void => {
      cleanup();
      resolve('eof');
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
    stdin.resume();
  });
  return { done, stop: () => stop() };
}

async function copyRaw(socket: Socket, out: Writable): Promise<void> {
  for await (const chunk of socket) await writeChunk(out, chunk as Buffer);
}

/** A write to a closed stdout or stderr, worded as Go's *PathError. */
function brokenPipe(io: CliIO, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException)?.code !== 'EPIPE') return err;
  return new Error(`write /dev/${(err as { stream?: unknown }).stream === io.stderr ? 'stderr' : 'stdout'}: broken pipe`, { cause: err });
}

/** Streams until the session ends; rejects with DetachError when the user detached. */
export async function streamHijacked(opts: HijackOptions): Promise<void> {
  const { socket, stdin, stdout, stderr, tty } = opts;
  let restoreTerminal = (): void => {};
  let proxy: EscapeProxy | undefined;
  if (stdin && tty) {
    restoreTerminal = await setRawTerminal(opts.io, opts.env);
    proxy = new EscapeProxy(escapeKeys(opts));
  }
  // A reset connection surfaces through the output loop; this keeps writes from crashing the CLI.
  const ignoreSocketError = (): void => {};
  socket.on('error', ignoreSocketError);
  const input = stdin ? pumpInput(stdin, socket, proxy) : undefined;
  try {
    const output = stdout || stderr
      ? (stdout && tty ? copyRaw(socket, stdout) : demultiplex(socket, stdout ?? devNull, stderr ?? devNull))
        .catch((e: unknown) => {
          throw brokenPipe(opts.io, e);
        }).finally(restoreTerminal)
      : undefined;
    const inputDone = (input?.done ?? Promise.resolve('eof' as const)).then(() => {
      restoreTerminal();
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    });
    // Whichever side loses the race may still fail later; its error is no longer news.
    output?.catch(() => {});
    inputDone.catch(() => {});
    const aborted = new Promise<'aborted'>((resolve) => {
      if (opts.signal?.aborted) resolve('aborted');
      opts.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
    });
    const first = await Promise.race([output?.then(() => 'output' as const), inputDone.then(() => 'input' as const), aborted]);
    if (first === 'input' && output) await Promise.race([output, aborted]);
  } finally {
    input?.stop();
    restoreTerminal();
  }
}

/** Where output goes when that stream was not attached (stdcopy discards it too). */
const devNull = new Writable({ write: (_chunk, _enc, cb) => cb() });

export { DetachError };
