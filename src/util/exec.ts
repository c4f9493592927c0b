import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { spawnChild } from './child.js';

/**
 * The one place that spawns processes (STYLE.md §6): an argv array, never a shell; stdout and
 * stderr always drained; a deadline and a signal on every call; TERM then KILL on timeout;
 * resolved on 'close' so that output is complete.
 */
export interface ExecOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the child's stdin, or a stream piped into it. */
  input?: string | Buffer | Readable;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Where stdout goes instead of being collected (e.g. an HTTP response). */
  stdout?: Writable;
  /** Resolve on a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  /** Grace between TERM and KILL after the deadline. */
  killGraceMs?: number;
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

const STDERR_TAIL_BYTES = 16 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

export class ExecError extends Error {
  readonly code = 'EXEC_FAILED';
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null,
    readonly stderr: string,
    readonly timedOut: boolean,
    options?: ErrorOptions,
  ) {
    const how = timedOut ? 'timed out' : exitSignal ? `killed by ${exitSignal}` : `exit status ${exitCode}`;
    super(`${argv.join(' ')}: ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}`, options);
    this.name = 'ExecError';
  }
}

export async function exec(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  opts.signal?.throwIfAborted();
  const argv = [file, ...args];
  const child = spawnChild({
    file,
    args,
    cwd: opts.cwd,
    env: opts.env ?? { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const [stdin, stdout, stderr] = child.stdio as [Socket, Socket, Socket];
  const out: Buffer[] = [];
  let errTail = '';
  stdout.on('data', (chunk: Buffer) => {
    if (opts.stdout) {
      if (!opts.stdout.write(chunk)) {
        stdout.pause();
        opts.stdout.once('drain', () => stdout.resume());
      }
    } else out.push(chunk);
  });
  stderr.on('data', (chunk: Buffer) => {
    errTail = (errTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  stdin.on('error', () => {
    // EPIPE when the child exits without reading all of its input: its exit status says
    // what happened, so the write error adds nothing.
  });
  if (opts.input === undefined) stdin.end();
  else if (typeof opts.input === 'string' || Buffer.isBuffer(opts.input)) stdin.end(opts.input);
  else opts.input.pipe(stdin);

  let timedOut = false;
  const kill = () => {
    if (child.hasExited) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), opts.killGraceMs ?? 2000);
    t.unref();
  };
  const timer = setTimeout(() => { timedOut = true; kill(); }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const onAbort = () => kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    // As Node's 'close': the exit, and the output read to its end.
    const [{ code, signal }] = await Promise.all([child.exited, closed(stdout), closed(stderr)]);
    opts.signal?.throwIfAborted();
    const result: ExecResult = { code, signal, stdout: Buffer.concat(out), stderr: errTail };
    if ((code !== 0 || timedOut) && !opts.allowFailure) {
      throw new ExecError(argv, code, signal, errTail, timedOut);
    }
    return result;
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    stdin.destroy();
    stdout.destroy();
    stderr.destroy();
  }
}

/** Resolves when a socket has closed (at once if it already has). */
function closed(s: Socket): Promise<void> {
  if (s.closed) return Promise.resolve();
  return new Promise((resolve) => s.once('close', () => resolve()));
}
