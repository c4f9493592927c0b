import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors/index.js';
import { attach, monitorPaths, readCompressedLogBatches, readLogBatches, type AttachStreams, type LogEntry, type ReadLogOptions } from '../runtime/driver/index.js';
import { logFiles, rotationPolicy } from './log-rotate.js';
import type { ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import type { Waiters } from './waiters.js';

const BATCH_BYTES = 64 * 1024;

/** Docker's stdcopy framing: [stream, 0, 0, 0, size (big-endian u32)] + payload; 1 stdout, 2 stderr. */
export function frame(stream: 1 | 2, payload: Buffer): Buffer {
  return Buffer.concat([frameHeader(stream, payload.length), payload]);
}

/** The 8 bytes in front of a frame's payload. */
function frameHeader(stream: 1 | 2, size: number): Buffer {
  const header = Buffer.allocUnsafe(8);
  header[0] = stream;
  header[1] = 0;
  header[2] = 0;
  header[3] = 0;
  header.writeUInt32BE(size, 4);
  return header;
}

/** RFC 3339 with nanoseconds in UTC, as `docker logs -t` prints. */
export function rfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  return `${base}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  timestamps: boolean;
  tail?: number;
  sinceNs?: bigint;
  untilNs?: bigint;
  /**
   * Consecutive lines of one stream share a frame. Only for clients that copy frames out
   * without looking at their boundaries (the docker CLI's stdcopy, berth): docker-py and other
   * libraries hand each frame to their caller as one line, as dockerd sends them.
   */
  coalesceFrames?: boolean;
}

/**
 * Whether a client is known to read the multiplexed stream as bytes (its User-Agent: the
 * docker CLI's `Docker-Client/<version>`, berth's `berth-cli`), so frames may hold many lines.
 */
export function readsFramesAsBytes(userAgent: string | undefined): boolean {
  return userAgent !== undefined && (userAgent.startsWith('Docker-Client/') || userAgent.startsWith('berth-cli'));
}

/**
 * Writes a container's log to `out` as the logs endpoint does: framed without a TTY, raw with
 * one; with `follow`, until the container exits or the client goes away.
 */
export async function writeLogs(store: ContainerStore, waiters: Waiters, rec: ContainerRecord, o: LogsOptions, out: Writable, signal: AbortSignal): Promise<void> {
  if (!o.stdout && !o.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  const stop = new AbortController();
  const isRunning = ['running', 'paused', 'restarting'].includes(rec.state.status);
  if (o.follow && isRunning) {
    waiters.next('exit', rec.id, AbortSignal.any([signal, stop.signal])).then(() => stop.abort(), () => undefined);
  }
  const isTty = rec.config.Tty === true;
  const policy = rotationPolicy(rec.hostConfig.LogConfig);
  const files = logFiles(store.paths(rec.id).log, policy?.maxFiles ?? 1, policy?.compress);
  // Entries go out in batches, not one write each (500,000 writes made `docker logs` of 50 MB
  // take seconds): a batch is written when it reaches BATCH_BYTES, or when the reader waits
  // for the disk or for more output (setImmediate runs only then), so a follow stays live.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  /** With coalesceFrames: the frame of this batch that later lines of its stream join. */
  let open: { header: Buffer; stream: 1 | 2; size: number } | undefined;
  let flushTimer: NodeJS.Immediate | undefined;
  let draining: Promise<unknown> | undefined;
  const closeFrame = (): void => {
    if (open) open.header.writeUInt32BE(open.size, 4);
    open = undefined;
  };
  const flush = (): void => {
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = undefined;
    if (batchBytes === 0) return;
    closeFrame();
    const chunk = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    // A client gone (signal aborted) ends the wait too; the reader then stops on the same signal.
    if (!out.write(chunk)) draining ??= once(out, 'drain', { signal }).then(() => undefined, () => undefined).finally(() => { draining = undefined; });
  };
  try {
    for await (const entries of readRotatedLog(files, {
      ...(o.tail !== undefined && o.tail >= 0 ? { tail: o.tail } : {}),
      ...(o.sinceNs !== undefined ? { sinceNs: o.sinceNs } : {}),
      ...(o.untilNs !== undefined ? { untilNs: o.untilNs } : {}),
      follow: o.follow && isRunning,
      stopFollowing: stop.signal,
      signal,
    })) {
      for (const e of entries) {
        if (e.stream === 'stdout' ? !o.stdout : !o.stderr) continue;
        const payload = o.timestamps ? Buffer.concat([Buffer.from(`${rfc3339Nano(e.timeNs)} `), e.line]) : e.line;
        if (draining) await draining;
        if (!isTty) {
          const stream = e.stream === 'stdout' ? 1 : 2;
          if (open && open.stream === stream) {
            // The open frame grows: its header's size is set when the batch is flushed.
            open.size += payload.length;
          } else {
            closeFrame();
            const header = frameHeader(stream, payload.length);
            open = o.coalesceFrames ? { header, stream, size: payload.length } : undefined;
            batch.push(header);
            batchBytes += 8;
          }
        }
        batch.push(payload);
        batchBytes += payload.length;
        if (batchBytes >= BATCH_BYTES) flush();
      }
      if (batchBytes > 0) flushTimer ??= setImmediate(flush);
    }
    flush();
    if (draining) await draining;
  } finally {
    if (flushTimer) clearImmediate(flushTimer);
    stop.abort();
  }
}

export interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  detachKeys: number[];
}

/** Docker's default detach sequence, Ctrl-P Ctrl-Q. */
export const DEFAULT_DETACH_KEYS = [16, 17];

/** Parses `--detach-keys` ("ctrl-p,ctrl-q", "a,ctrl-x"); "" means the default. */
export function parseDetachKeys(spec: string | null | undefined): number[] {
  if (!spec) return DEFAULT_DETACH_KEYS;
  return spec.split(',').map((k) => {
    const key = k.trim();
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-([a-z@[\\\]^_])$/i.exec(key);
    if (!m) throw new InvalidArgumentError(`Invalid detach keys (${spec}) provided`);
    const c = m[1]!.toLowerCase();
    return c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!;
  });
}

/**
 * Connects a client to a container's stdio through conmon's attach socket. A container not
 * started yet is connected in `beforeStart` (after `runtime create`, before `runtime start`),
 * so no output is missed.
 */
export class Attachments {
  private readonly pending = new Map<string, Array<(rec: ContainerRecord | undefined) => Promise<void>>>();

  /** A start failed: everyone waiting for it is let go (their attach ends without output). */
  release(id: string): void {
    const list = this.pending.get(id) ?? [];
    this.pending.delete(id);
    for (const fn of list) void fn(undefined);
  }

  constructor(private readonly store: ContainerStore, private readonly waiters: Waiters) {}

  /** For the lifecycle: connect everyone waiting for this container. */
  async beforeStart(rec: ContainerRecord): Promise<void> {
    const list = this.pending.get(rec.id) ?? [];
    this.pending.delete(rec.id);
    await Promise.all(list.map((fn) => fn(rec).catch(() => undefined)));
  }

  /** Resolves when the container's output ends, the client detaches, or `signal` aborts. */
  async attach(rec: ContainerRecord, o: AttachOptions, input: Readable | undefined, output: Writable, signal: AbortSignal): Promise<void> {
    const isTty = rec.config.Tty === true;
    if (o.logs) {
      await writeLogs(this.store, this.waiters, rec, { follow: false, stdout: o.stdout, stderr: o.stderr, timestamps: false }, output, signal);
    }
    if (!o.stream) return;
    const connect = (r: ContainerRecord): Promise<AttachStreams> => attach(monitorPaths(this.store.paths(r.id).run).attachPath, { signal });
    let streams: AttachStreams;
    if (rec.state.status === 'running' || rec.state.status === 'paused') {
      streams = await connect(rec);
    } else {
      streams = await new Promise<AttachStreams>((resolve, reject) => {
        const list = this.pending.get(rec.id) ?? [];
        const fn = async (r: ContainerRecord | undefined) => {
          if (!r) { reject(new Error('the container did not start')); return; }
          try { resolve(await connect(r)); } catch (err) { reject(err); }
        };
        list.push(fn);
        this.pending.set(rec.id, list);
        signal.addEventListener('abort', () => {
          const l = this.pending.get(rec.id);
          if (l) this.pending.set(rec.id, l.filter((x) => x !== fn));
          reject(signal.reason);
        }, { once: true });
      });
    }
    await pump(streams, o, isTty, rec.config.StdinOnce === true, input, output, signal);
  }

  /** Like attach, but a start that fails ends the attach quietly instead of throwing. */
  async attachOrEnd(rec: ContainerRecord, o: AttachOptions, input: Readable | undefined, output: Writable, signal: AbortSignal): Promise<void> {
    try {
      await this.attach(rec, o, input, output, signal);
    } catch (err) {
      if (err instanceof Error && err.message === 'the container did not start') return;
      throw err;
    }
  }
}

/**
 * How a session ended: the process's output ended, the client typed the detach keys, or the
 * client went away (`signal`).
 */
export type PumpEnd = 'ended' | 'detached' | 'aborted';

/** Copies a session's output to `output` (framed without a TTY) and `input` to its stdin until it ends. */
export async function pump(streams: AttachStreams, o: AttachOptions, isTty: boolean, isStdinOnce: boolean, input: Readable | undefined, output: Writable, signal: AbortSignal, isRawOutput = isTty): Promise<PumpEnd> {
  return new Promise<PumpEnd>((resolve) => {
    let isDone = false;
    const finish = (how: PumpEnd) => {
      if (isDone) return;
      isDone = true;
      signal.removeEventListener('abort', onAbort);
      streams.close();
      resolve(how);
    };
    const done = () => finish('ended');
    const onAbort = () => finish('aborted');
    const forward = (src: Readable, kind: 1 | 2, wanted: boolean) => {
      src.on('data', (chunk: Buffer) => {
        if (!wanted) return;
        if (!output.write(isRawOutput ? chunk : frame(kind, chunk))) {
          src.pause();
          output.once('drain', () => src.resume());
        }
      });
    };
    forward(streams.stdout, 1, o.stdout);
    forward(streams.stderr, 2, o.stderr);
    let ended = 0;
    const onEnd = () => { if (++ended === 2) done(); };
    streams.stdout.once('end', onEnd);
    streams.stderr.once('end', onEnd);
    streams.stdout.once('error', done);
    streams.stderr.once('error', done);
    signal.addEventListener('abort', onAbort, { once: true });
    if (o.stdin && input) {
      const keys = o.detachKeys;
      let matched = 0;
      input.on('data', (chunk: Buffer) => {
        if (isDone) return;
        if (isTty && keys.length) {
          // Detach keys are only honoured with a TTY, as Docker does; held back until complete.
          let start = 0;
          for (let i = 0; i < chunk.length; i++) {
            if (chunk[i] === keys[matched]) {
              matched++;
              if (matched === keys.length) {
                if (i + 1 - matched > start) streams.stdin.write(chunk.subarray(start, i + 1 - matched));
                finish('detached');
                return;
              }
            } else {
              if (matched > 0) streams.stdin.write(Buffer.from(keys.slice(0, matched)));
              matched = chunk[i] === keys[0] ? 1 : 0;
            }
          }
          const keep = chunk.length - matched;
          if (keep > start) streams.stdin.write(chunk.subarray(start, keep));
          return;
        }
        streams.stdin.write(chunk);
      });
      input.once('end', () => { if (isStdinOnce && !isTty) streams.stdin.end(); });
      // A 'data' listener does not start a stream that was paused explicitly: exec start
      // pauses the hijacked socket after reading a body that came after the headers (over TLS
      // it arrives in its own record), and stdin would then never flow.
      input.resume();
    }
  });
}

/**
 * A log and its rotated predecessors (oldest first) read as one: `tail` counts from the end
 * across files, and only the current file is followed.
 */
async function* readRotatedLog(files: string[], opts: ReadLogOptions): AsyncGenerator<LogEntry[]> {
  const current = files.at(-1)!;
  const older = files.slice(0, -1);
  if (opts.tail !== undefined) {
    // Lines still needed after the current file's are taken from the older files, newest first.
    let need = opts.tail;
    for await (const b of readLogBatches(current, { ...opts, follow: false })) need -= b.length;
    const chunks: LogEntry[][] = [];
    for (let i = older.length - 1; i >= 0 && need > 0; i--) {
      const got: LogEntry[] = [];
      for await (const b of readOlder(older[i]!, { ...opts, tail: need, follow: false })) got.push(...b);
      chunks.unshift(got);
      need -= got.length;
    }
    for (const c of chunks) if (c.length > 0) yield c;
    yield* readLogBatches(current, opts);
    return;
  }
  for (const f of older) yield* readOlder(f, { ...opts, follow: false });
  yield* readLogBatches(current, opts);
}

function readOlder(file: string, opts: ReadLogOptions): AsyncGenerator<LogEntry[]> {
  return file.endsWith('.gz') ? readCompressedLogBatches(file, opts) : readLogBatches(file, opts);
}
