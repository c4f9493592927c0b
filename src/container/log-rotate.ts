import { existsSync, watch, type FSWatcher } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
import { parseLogLine, reopenLog } from '../runtime/driver/index.js';
import type { LogConfig } from '../types/container.js';
import type { Logger } from '../util/index.js';
import { logPolicy } from './log-config.js';

export interface RotationPolicy { maxSizeBytes: number; maxFiles: number; compress: boolean }

/** The rotation a container's log driver asks for, or undefined when its log is one file, never rotated. */
export function rotationPolicy(lc: LogConfig | undefined): RotationPolicy | undefined {
  let p;
  try {
    p = logPolicy(lc);
  } catch {
    // A record written before its options were checked: its log is kept unrotated.
    return undefined;
  }
  if (p.driver === 'none' || !p.maxSizeBytes) return undefined;
  return { maxSizeBytes: p.maxSizeBytes, maxFiles: p.maxFiles, compress: p.compress };
}

/**
 * The files of a rotated log, oldest first: `log.N … log.1, log`. With compression a rotated
 * file is `log.i.gz`, or still `log.i` while it is being compressed (the `.gz` appears, by
 * rename, only when complete; the plain one is removed after): whichever exists is listed.
 */
export function logFiles(logPath: string, maxFiles: number, compress = false): string[] {
  const out: string[] = [];
  for (let i = maxFiles - 1; i >= 1; i--) {
    const gz = `${logPath}.${i}.gz`;
    out.push(compress && existsSync(gz) ? gz : `${logPath}.${i}`);
  }
  if (maxFiles > 1 && existsSync(carryPath(logPath))) out.push(carryPath(logPath));
  out.push(logPath);
  return out;
}

/**
 * Where a rotation keeps the pieces of a line still in progress when it moved the live file
 * aside (P records whose F conmon wrote to the new file). They are read between `.1` and the
 * live file, and the next rotation puts them back in front of what it moves aside, so a rotated
 * file never begins with the end of a line whose start was in a file dropped since.
 */
export function carryPath(logPath: string): string {
  return `${logPath}.carry`;
}

/**
 * Rotates conmon's log as Docker's json-file driver does for `max-size`/`max-file`: when the
 * file passes max-size it is renamed to `.1` (older ones shift, the oldest is dropped) and
 * conmon is told through its ctl FIFO to reopen the path. Lines written between the rename and
 * the reopen land in `.1`: nothing is lost. conmon's own `--log-size-max` (max-size × max-file)
 * is the backstop while berthd is down.
 */
export class LogRotator {
  private readonly watchers = new Map<string, { watcher: FSWatcher; busy: boolean; again: boolean; check: () => Promise<void> }>();

  constructor(private readonly logger: Logger) {}

  watch(id: string, logPath: string, ctlPath: string, policy: RotationPolicy): void {
    this.unwatch(id);
    let watcher: FSWatcher;
    try {
      // The directory, not the file: after a rotation conmon writes a new file at the path,
      // and a watch on the old inode would hear nothing more.
      watcher = watch(path.dirname(logPath), { persistent: false });
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    const state = { watcher, busy: false, again: false, check: async () => undefined as void };
    const check = async (): Promise<void> => {
      if (state.busy) { state.again = true; return; }
      state.busy = true;
      try {
        do {
          state.again = false;
          const st = await fsp.stat(logPath).catch(() => undefined);
          if (st && st.size >= policy.maxSizeBytes) await this.rotate(logPath, ctlPath, policy);
        } while (state.again);
      } catch (err) {
        this.logger.warn({ component: 'container', containerId: id, err }, 'log rotation failed');
      } finally {
        state.busy = false;
      }
    };
    // The size check goes by path; events for other files in the directory are ignored.
    state.check = check;
    const name = path.basename(logPath);
    watcher.on('change', (_event, changed) => { if (!changed || changed === name) void check(); });
    watcher.on('error', () => this.unwatch(id));
    this.watchers.set(id, state);
    void check();
  }

  /** The container has exited: one last rotation for what its final burst wrote, then stop. */
  async finish(id: string): Promise<void> {
    const state = this.watchers.get(id);
    if (!state) return;
    while (state.busy) await new Promise((resolve) => setTimeout(resolve, 5));
    await state.check();
    this.unwatch(id);
  }

  unwatch(id: string): void {
    this.watchers.get(id)?.watcher.close();
    this.watchers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
  }

  private async rotate(logPath: string, ctlPath: string, policy: RotationPolicy): Promise<void> {
    if (policy.maxFiles === 1) {
      await fsp.rename(logPath, `${logPath}.rotating`);
      await reopenLog(ctlPath).catch(() => undefined);
      await fsp.rm(`${logPath}.rotating`, { force: true });
      return;
    }
    // The live file is moved aside and conmon starts a new one; once it has, nobody writes the
    // old one. Rotation lags a burst by a few writes, so it can be over max-size: it is cut, at
    // line ends, into pieces of at most max-size, newest last, as json-file would have written
    // them. The pieces become .1 (newest), .2, …; older rotated files move up past them and
    // those beyond max-file go. The log stays one contiguous tail within the budget.
    const kept = policy.maxFiles - 1;
    const rotating = `${logPath}.rotating`;
    try {
      await fsp.rename(logPath, rotating);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    const isReopened = await reopenLog(ctlPath).then(() => true, () => false);
    if (isReopened) await untilExists(logPath, 1000);
    const carry = carryPath(logPath);
    const before = await fsp.readFile(carry).catch((err: unknown) => { if (isErrno(err, 'ENOENT')) return Buffer.alloc(0); throw err; });
    const all = Buffer.concat([before, await fsp.readFile(rotating)]);
    // A line in progress longer than max-size is not held back: the budget comes first.
    const whole = all.length - wholeLinesEnd(all) > policy.maxSizeBytes ? all.length : wholeLinesEnd(all);
    const pieces = splitAtLines(all.subarray(0, whole), policy.maxSizeBytes).slice(-kept);
    const k = pieces.length;
    const move = (from: string, to: string) => fsp.rename(from, to).catch((err: unknown) => { if (!isErrno(err, 'ENOENT')) throw err; });
    for (let i = kept; i >= 1; i--) {
      if (i + k > kept) {
        await fsp.rm(`${logPath}.${i}`, { force: true });
        await fsp.rm(`${logPath}.${i}.gz`, { force: true });
      } else {
        await move(`${logPath}.${i}.gz`, `${logPath}.${i + k}.gz`);
        await move(`${logPath}.${i}`, `${logPath}.${i + k}`);
      }
    }
    for (const [j, piece] of pieces.entries()) {
      const file = `${logPath}.${k - j}`;
      const [target, bytes] = policy.compress ? [`${file}.gz`, await gzipAsync(piece)] : [file, piece];
      await fsp.writeFile(`${target}.tmp`, bytes, { mode: 0o600 });
      await fsp.rename(`${target}.tmp`, target);
    }
    if (whole < all.length) {
      await fsp.writeFile(`${carry}.tmp`, all.subarray(whole), { mode: 0o600 });
      await fsp.rename(`${carry}.tmp`, carry);
    } else {
      await fsp.rm(carry, { force: true });
    }
    await fsp.rm(rotating, { force: true });
  }
}

const gzipAsync = promisify(gzip);

/**
 * Offsets just after each physical line at which no stream has a line in progress (every P
 * record seen so far has had its F): the places a file may end without splitting a line.
 * stdout's pieces may interleave with stderr's lines, so an F alone is not enough.
 */
function cleanCuts(buf: Buffer): number[] {
  const cuts: number[] = [];
  const open = new Set<string>();
  for (let start = 0, nl = buf.indexOf(0x0a); nl >= 0; start = nl + 1, nl = buf.indexOf(0x0a, start)) {
    const record = parseLogLine(buf.subarray(start, nl));
    if (record) {
      if (record.isPartial) open.add(record.stream);
      else open.delete(record.stream);
    }
    if (open.size === 0) cuts.push(nl + 1);
  }
  return cuts;
}

/** Where the last whole line of `buf` ends: what follows is a line still being written. */
export function wholeLinesEnd(buf: Buffer): number {
  return cleanCuts(buf).at(-1) ?? 0;
}

/** Waits (briefly, bounded) for conmon to have made its new log after a reopen. */
async function untilExists(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
}

/**
 * `buf` cut into consecutive pieces of at most `max` bytes, oldest first, each cut made after a
 * full line (conmon's F record), never inside a line conmon wrote in parts (P records), so
 * that every line is whole in one file. A line longer than `max` makes a longer piece.
 */
export function splitAtLines(buf: Buffer, max: number): Buffer[] {
  // Offsets just after each full line: the places a piece may begin.
  const cuts: number[] = [0, ...cleanCuts(buf).filter((c) => c < buf.length)];
  const pieces: Buffer[] = [];
  let end = buf.length;
  let i = cuts.length - 1;
  while (end > 0) {
    // The earliest cut that keeps the piece within max, else the latest cut before `end`.
    while (i > 0 && cuts[i]! >= end) i--;
    let j = i;
    while (j > 0 && end - cuts[j - 1]! <= max) j--;
    const start = cuts[j]!;
    pieces.unshift(buf.subarray(start, end));
    end = start;
    i = j;
  }
  return pieces;
}
