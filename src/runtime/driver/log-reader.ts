import { watch, type FSWatcher } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { basename, dirname } from 'node:path';
import { isErrno } from '../../errors/index.js';
import { LineJoiner, isFullLine, parseLogLine, type LogEntry } from './k8s-log.js';

export interface ReadLogOptions {
  /** Only the last `tail` complete lines present when reading starts (lines still in progress come too). */
  tail?: number;
  /** Entries at or after this time (ns since the epoch), as `docker logs --since`. */
  sinceNs?: bigint;
  /** Stop at the first entry after this time, as `docker logs --until`. */
  untilNs?: bigint;
  /** Keep reading as the file grows, across conmon's reopen and berthd's rotation (rename). */
  follow?: boolean;
  /** Ends a follow cleanly: what is in the file when it fires is still read (e.g. at exit). */
  stopFollowing?: AbortSignal;
  /** Abandons the read at once; the iteration throws the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Reads start small and double while they come back full, up to a megabyte: each is a trip
 * through libuv's thread pool, slow on a busy machine (50 MB in 64 KiB reads spent 2.6 s
 * waiting), while a follow that wakes for a few bytes should not allocate a megabyte.
 */
const FIRST_CHUNK_BYTES = 64 * 1024;
const MAX_CHUNK_BYTES = 1024 * 1024;
/** Reads that look for a place (tail, since) stay small: most of what they read is skipped. */
const PROBE_BYTES = 64 * 1024;
/** conmon's physical lines are under 8 KiB plus the header; a longer run without '\n' is damage. */
const MAX_PHYSICAL_LINE_BYTES = 1024 * 1024;
/** A spare wake-up while following, in case a file-system event is missed (cheap and harmless). */
const FOLLOW_POLL_MS = 1000;
const NEWLINE = 0x0a;

/**
 * Reads conmon's k8s-file log at `path` as joined lines. Without `follow` it ends at the end of
 * the file (a missing file is an empty log); with `follow` it waits for the file to grow or
 * appear and ends when `stopFollowing` fires (after reading what is there) or `untilNs` passes.
 * Malformed lines (a write cut by a crash, or by conmon's `--log-size-max` truncation) are
 * skipped: a log reader that stops at damage would hide everything after it.
 */
export async function* readLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  for await (const batch of readLogBatches(path, opts)) yield* batch;
}

/**
 * readLog's entries a read at a time (up to a megabyte of log per array): what a reader of
 * whole logs iterates, since each step of an async iteration costs a few promises, and half a
 * million lines made that the larger part of `docker logs` of 50 MB.
 */
export async function* readLogBatches(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry[]> {
  const follower = opts.follow ? new Follower(path, opts) : undefined;
  let file = await openIfExists(path);
  try {
    let offset = 0;
    if (file && opts.tail !== undefined && opts.tail >= 0) offset = await tailOffset(file.handle, opts.tail);
    else if (file && opts.sinceNs !== undefined) offset = await sinceOffset(file.handle, opts.sinceNs);
    const joiner = new LineJoiner();
    let carry: Buffer = Buffer.alloc(0);
    let chunkBytes = FIRST_CHUNK_BYTES;
    let next: OpenLog | undefined;
    for (;;) {
      opts.signal?.throwIfAborted();
      const chunk = file ? await readAt(file.handle, offset, chunkBytes) : Buffer.alloc(0);
      chunkBytes = chunk.length === chunkBytes ? Math.min(chunkBytes * 2, MAX_CHUNK_BYTES) : FIRST_CHUNK_BYTES;
      if (chunk.length > 0) {
        offset += chunk.length;
        const lines = splitLines(carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk);
        carry = lines.rest.length > MAX_PHYSICAL_LINE_BYTES ? Buffer.alloc(0) : lines.rest;
        const batch: LogEntry[] = [];
        for (const line of lines.complete) {
          const record = parseLogLine(line);
          const entry = record && joiner.add(record);
          if (!entry || (opts.sinceNs !== undefined && entry.timeNs < opts.sinceNs)) continue;
          if (opts.untilNs !== undefined && entry.timeNs > opts.untilNs) {
            if (batch.length > 0) yield batch;
            return;
          }
          batch.push(entry);
        }
        if (batch.length > 0) yield batch;
        continue;
      }
      if (next) {
        await file?.handle.close();
        [file, next, offset, carry] = [next, undefined, 0, Buffer.alloc(0)];
        continue;
      }
      if (!follower || (await follower.isDone())) break;
      next = await follower.reopenIfReplaced(file, offset);
      // With a new file found, the old one is read once more before the switch: conmon may
      // have written to it after our last read and before it reopened.
      if (!next) await follower.wait();
    }
    const last: LogEntry[] = [];
    for (const entry of joiner.flush()) {
      if (opts.sinceNs !== undefined && entry.timeNs < opts.sinceNs) continue;
      if (opts.untilNs !== undefined && entry.timeNs > opts.untilNs) break;
      last.push(entry);
    }
    if (last.length > 0) yield last;
  } finally {
    follower?.close();
    await file?.handle.close();
  }
}

interface OpenLog {
  handle: FileHandle;
  ino: number;
}

async function openIfExists(path: string): Promise<OpenLog | undefined> {
  try {
    const handle = await open(path, 'r');
    return { handle, ino: (await handle.stat()).ino };
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

async function readAt(handle: FileHandle, offset: number, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  const { bytesRead } = await handle.read(buf, 0, size, offset);
  return buf.subarray(0, bytesRead);
}

function splitLines(buf: Buffer): { complete: Buffer[]; rest: Buffer } {
  const complete: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
    complete.push(buf.subarray(start, nl));
    start = nl + 1;
  }
  return { complete, rest: buf.subarray(start) };
}

/**
 * The offset where the last `n` complete lines begin, found by reading backwards in chunks
 * (a large log is not scanned): just after the (n+1)-th F record from the end. Partial pieces
 * of a line whose other stream's lines interleave past that point are cut; Docker's json-file
 * tail has the same limit for its split messages.
 */
export async function tailOffset(handle: FileHandle, n: number): Promise<number> {
  let pos = (await handle.stat()).size;
  let rest: Buffer = Buffer.alloc(0);
  let fullSeen = 0;
  let hasLastNewline = false;
  while (pos > 0) {
    const len = Math.min(PROBE_BYTES, pos);
    pos -= len;
    const block = Buffer.allocUnsafe(len);
    await handle.read(block, 0, len, pos);
    const buf = Buffer.concat([block, rest]);
    // Lines end at each '\n'; bytes after the file's last one are a write in progress, not a
    // line. Once that newline is found, `rest` always ends with one.
    let end: number = hasLastNewline ? buf.length - 1 : buf.lastIndexOf(NEWLINE);
    hasLastNewline ||= end >= 0;
    while (end >= 0) {
      const start = buf.lastIndexOf(NEWLINE, end - 1) + 1;
      if (start === 0 && pos > 0) break;
      if (isFullLine(buf.subarray(start, end)) && ++fullSeen === n + 1) return pos + end + 1;
      end = start - 1;
    }
    rest = buf.subarray(0, end + 1);
  }
  return 0;
}

/**
 * Where to start reading for `--since`: a line start at or before the first line stamped at or
 * after `sinceNs`, found by bisecting the file on its lines' timestamps (conmon writes them in
 * order), so a large log is not scanned from its start. Lines before the result are all earlier.
 */
export async function sinceOffset(handle: FileHandle, sinceNs: bigint): Promise<number> {
  const size = (await handle.stat()).size;
  let lo = 0;
  let hi = size;
  const probe = Buffer.allocUnsafe(PROBE_BYTES);
  while (hi - lo > PROBE_BYTES) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const { bytesRead } = await handle.read(probe, 0, PROBE_BYTES, mid);
    const buf = probe.subarray(0, bytesRead);
    const nl = buf.indexOf(NEWLINE);
    const end = nl < 0 ? -1 : buf.indexOf(NEWLINE, nl + 1);
    const record = nl >= 0 && end > nl ? parseLogLine(buf.subarray(nl + 1, end)) : undefined;
    if (!record) { hi = mid; continue; }
    // The line starting at mid+nl+1 is earlier: everything before it is too.
    if (record.timeNs < sinceNs) lo = mid + nl + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A gzipped rotated log (`compress=true`) read as the plain one is: joined lines, `tail`,
 * `since` and `until`. Rotated files are at most max-size, so they are read whole.
 */
export async function* readCompressedLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry> {
  for await (const batch of readCompressedLogBatches(path, opts)) yield* batch;
}

/** readCompressedLog's entries as one array (the file is read whole anyway). */
export async function* readCompressedLogBatches(path: string, opts: ReadLogOptions = {}): AsyncGenerator<LogEntry[]> {
  let bytes: Buffer;
  try {
    bytes = await promisify(gunzip)(await readFile(path));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return;
    throw err;
  }
  opts.signal?.throwIfAborted();
  const joiner = new LineJoiner();
  const entries: LogEntry[] = [];
  for (const line of splitLines(bytes).complete) {
    const record = parseLogLine(line);
    const entry = record && joiner.add(record);
    if (entry) entries.push(entry);
  }
  entries.push(...joiner.flush());
  const picked = opts.tail !== undefined && opts.tail >= 0 ? entries.slice(Math.max(0, entries.length - opts.tail)) : entries;
  const batch: LogEntry[] = [];
  for (const e of picked) {
    if (opts.sinceNs !== undefined && e.timeNs < opts.sinceNs) continue;
    if (opts.untilNs !== undefined && e.timeNs > opts.untilNs) break;
    batch.push(e);
  }
  if (batch.length > 0) yield batch;
}

/** The waiting half of a follow: file-system events, the stop signal, rotation checks. */
class Follower {
  private readonly watcher: FSWatcher;
  private readonly timer: NodeJS.Timeout | undefined;
  private wake: () => void = () => undefined;
  private isDirty = false;
  private hasFinalPass = false;

  constructor(private readonly path: string, private readonly opts: ReadLogOptions) {
    const name = basename(path);
    // The directory, not the file: rotation and conmon's reopen replace the file by rename,
    // after which a watch on the old inode would hear nothing.
    this.watcher = watch(dirname(path), (_event, changed) => {
      if (!changed || changed === name) this.poke();
    });
    this.watcher.on('error', () => this.poke());
    opts.stopFollowing?.addEventListener('abort', this.poke);
    opts.signal?.addEventListener('abort', this.poke);
    if (opts.untilNs !== undefined) {
      const delayMs = Number(opts.untilNs / 1_000_000n) - Date.now();
      this.timer = setTimeout(this.poke, Math.max(0, Math.min(delayMs + 1, 2 ** 31 - 1)));
    }
  }

  private readonly poke = (): void => {
    this.isDirty = true;
    this.wake();
  };

  /**
   * True when following should end. After `stopFollowing` fires, one more pass to the end of
   * the file is made first, so that bytes written before it fired are not lost.
   */
  async isDone(): Promise<boolean> {
    if (this.opts.untilNs !== undefined && BigInt(Date.now()) * 1_000_000n > this.opts.untilNs) return true;
    if (!this.opts.stopFollowing?.aborted) return false;
    if (this.hasFinalPass) return true;
    this.hasFinalPass = true;
    this.isDirty = true;
    return false;
  }

  /** A new open file when the path now names another file (rotated or reopened); else undefined. */
  async reopenIfReplaced(current: OpenLog | undefined, offset: number): Promise<OpenLog | undefined> {
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      // Renamed away and not yet recreated by conmon: keep the old file until a new one appears.
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    if (current && st.ino === current.ino && st.size >= offset) return undefined;
    return openIfExists(this.path);
  }

  async wait(): Promise<void> {
    this.opts.signal?.throwIfAborted();
    if (!this.isDirty) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, FOLLOW_POLL_MS);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
    }
    this.wake = () => undefined;
    this.isDirty = false;
    this.opts.signal?.throwIfAborted();
  }

  close(): void {
    this.watcher.close();
    clearTimeout(this.timer);
    this.opts.stopFollowing?.removeEventListener('abort', this.poke);
    this.opts.signal?.removeEventListener('abort', this.poke);
  }
}
