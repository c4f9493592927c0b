import { finished } from 'node:stream/promises';
import type { Socket } from 'node:net';
import { InternalError } from '../../errors/index.js';
import { spawnChild, type Child, type StdioSpec, type Logger } from '../../util/index.js';

/** What conmon wrote on its sync pipe: the pid (> 0), or a failure (≤ 0) with the runtime's stderr. */
export interface SyncMessage {
  data: number;
  message?: string;
}

export interface LaunchOptions {
  conmonPath: string;
  args: string[];
  /**
   * conmon's working directory: the bundle (or exec) directory, as Podman gives it. conmon
   * writes an `oom` file into its cwd on every OOM kill, besides the one in `--persist-dir`;
   * with berthd's cwd that file landed wherever berthd was started (issue 17).
   */
  cwd: string;
  /**
   * For `--exec-attach`: called when conmon says its attach socket exists; conmon runs
   * `runtime exec` only after this resolves (the start pipe's second byte).
   */
  onAttachReady?: () => Promise<void>;
  /** The deadline and the caller's cancellation together. */
  signal: AbortSignal;
  logger: Logger;
}

const OUTPUT_TAIL_BYTES = 8 * 1024;
/** fds in conmon: 3 sync (`_OCI_SYNCPIPE`), 4 start (`_OCI_STARTPIPE`), 5 attach (`_OCI_ATTACHPIPE`). */
const SYNC = 0;
const START = 1;
const ATTACH = 2;

/**
 * Starts conmon and returns its first sync message (undefined if it closed the pipe without
 * one), leaving conmon running on its own.
 *
 * Why this does not use `exec()` from util/exec.ts: this is the one process STYLE.md §6 lets
 * outlive its call. conmon double-forks: the process spawned here exits as soon as it has
 * forked (and written `--conmon-pidfile`), while the monitor it leaves keeps the sync pipe
 * open until the container exits, so Node's `'close'` would not come for the container's
 * whole life. Hence: spawn `detached` (its own session, so berthd's terminal signals miss it),
 * wait for the first process's `'exit'` and the sync message, both under the deadline, then
 * destroy our pipe ends and `unref()`. On failure or deadline the monitor (known only by its
 * pid file, written once the first process has exited) is the caller's to clean up.
 */
export async function launchConmon(o: LaunchOptions): Promise<SyncMessage | undefined> {
  o.signal.throwIfAborted();
  const { child, pipes, exited } = spawnConmon(o);
  // Raced wherever we wait: an early non-zero exit ends the wait for messages that won't come.
  const failed = exited.then(() => new Promise<never>(() => undefined));
  failed.catch(() => undefined);
  try {
    const sync = readLine(pipes[SYNC]!);
    if (o.onAttachReady) {
      // conmon reads the start pipe once before it forks, and its exec child once more
      // before running the runtime: two bytes, the second after the attach is in place.
      await writeByte(pipes[START]!);
      const ready = await raceSignal(Promise.race([readLine(pipes[ATTACH]!), failed]), o.signal);
      // No message: conmon failed before its socket existed; the sync pipe says why.
      if (ready !== undefined) {
        await raceSignal(o.onAttachReady(), o.signal);
        await writeByte(pipes[START]!);
      }
    }
    const [, line] = await raceSignal(Promise.all([exited, sync]), o.signal);
    return line === undefined ? undefined : parseSync(line);
  } finally {
    for (const p of pipes) p.destroy();
    child.stdio[1]!.destroy();
    child.stdio[2]!.destroy();
    await settleFirstProcess(child);
  }
}

/** Spawns conmon with its pipes; `exited` settles with the first process (rejects unless 0). */
function spawnConmon(o: LaunchOptions): { child: Child; pipes: Socket[]; exited: Promise<void> } {
  const hasAttach = o.onAttachReady !== undefined;
  const stdio: StdioSpec[] = ['ignore', 'pipe', 'pipe', 'pipe', ...(hasAttach ? ['pipe', 'pipe'] as const : [])];
  const env: NodeJS.ProcessEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' };
  if (hasAttach) Object.assign(env, { _OCI_STARTPIPE: '4', _OCI_ATTACHPIPE: '5' });
  const argv = [o.conmonPath, ...o.args];
  o.logger.debug({ component: 'runtime', argv }, 'starting conmon');

  const child = spawnChild({ file: o.conmonPath, args: o.args, isDetached: true, stdio, env, cwd: o.cwd });
  const [, stdout, stderr] = child.stdio as [null, Socket, Socket];
  // conmon prints option errors on stdout (g_print) and its own failures on stderr.
  let output = '';
  const collect = (chunk: Buffer) => { output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES); };
  stdout.on('data', collect);
  stderr.on('data', collect);
  const exited = child.exited.then(async ({ code, signal }) => {
    if (code === 0) return;
    const how = signal ? `killed by ${signal}` : `exit status ${code}`;
    // The exit may come before the last output, which holds conmon's reason.
    await settled(Promise.all([finished(stdout), finished(stderr)]), OUTPUT_GRACE_MS);
    throw new InternalError(`${argv.join(' ')}: ${how}: ${output.trim()}`);
  });
  // Awaited by the caller; this only keeps an early failure from counting as unhandled while
  // another step is awaited.
  exited.catch(() => undefined);
  return { child, pipes: child.stdio.slice(3) as Socket[], exited };
}

const OUTPUT_GRACE_MS = 1_000;

/** Waits for `p` to settle, at most `ms`. */
async function settled(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((resolve) => { timer = setTimeout(resolve, ms); })]);
  clearTimeout(timer);
}

/** How long the first process gets to finish its fork after a failure before it is killed. */
const FIRST_EXIT_GRACE_MS = 2_000;

/**
 * After a failure or deadline, lets conmon's first process finish rather than killing it at
 * once: killed between its fork and writing `--conmon-pidfile`, it would leave a monitor
 * nobody knows of, which could still create the container after the caller's cleanup. It
 * only forks and writes that file (a closed start pipe reads as EOF and lets it go on).
 */
async function settleFirstProcess(child: Child): Promise<void> {
  if (child.hasExited) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), FIRST_EXIT_GRACE_MS);
  await child.exited.catch(() => undefined);
  clearTimeout(timer);
}

function parseSync(line: string): SyncMessage {
  try {
    const msg = JSON.parse(line) as { data?: unknown; message?: unknown };
    if (typeof msg.data === 'number') {
      return typeof msg.message === 'string' ? { data: msg.data, message: msg.message } : { data: msg.data };
    }
  } catch (err) {
    throw new InternalError(`conmon sent a sync message that is not JSON: ${line}`, { cause: err });
  }
  throw new InternalError(`conmon sent a sync message without data: ${line}`);
}

/** The first newline-terminated line on `stream`, or undefined if it ends first. */
function readLine(stream: Socket): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (line: string | undefined, err?: Error) => {
      stream.off('data', onData).off('end', onEnd).off('close', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const onEnd = () => done(buf.trim() ? buf : undefined);
    const onError = (err: Error) => done(undefined, err);
    stream.on('data', onData).on('end', onEnd).on('close', onEnd).on('error', onError);
  });
}

function writeByte(stream: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(Buffer.from([0]), (err) => (err ? reject(err) : resolve()));
  });
}

/** `p`, or the signal's reason once it aborts. */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}
