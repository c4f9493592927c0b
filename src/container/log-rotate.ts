import { watch, type FSWatcher } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { isErrno } from '../errors/index.js';
import { reopenLog } from '../runtime/driver/index.js';
import type { Logger } from '../util/index.js';

export interface RotationPolicy { maxSizeBytes: number; maxFiles: number }

/** Docker's size strings for log-opts: "10m", "1g", "500k", bytes. */
export function parseLogSize(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** The json-file driver's rotation options, or undefined when the log is not rotated. */
export function rotationPolicy(opts: Record<string, string> | undefined): RotationPolicy | undefined {
  const maxSizeBytes = parseLogSize(opts?.['max-size']);
  if (!maxSizeBytes) return undefined;
  const maxFiles = Math.max(1, Number.parseInt(opts?.['max-file'] ?? '1', 10) || 1);
  return { maxSizeBytes, maxFiles };
}

/** The files of a rotated log, oldest first: `log.N … log.1, log`. */
export function logFiles(logPath: string, maxFiles: number): string[] {
  const out: string[] = [];
  for (let i = maxFiles - 1; i >= 1; i--) out.push(`${logPath}.${i}`);
  out.push(logPath);
  return out;
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
      watcher = watch(logPath, { persistent: false });
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
    // conmon keeps writing the same inode after a rename: the watcher follows it, and the
    // size check goes by path, so events from the renamed file only cause a harmless stat.
    state.check = check;
    watcher.on('change', () => { void check(); });
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
    const files = logFiles(logPath, policy.maxFiles);
    if (policy.maxFiles === 1) {
      await fsp.rename(logPath, `${logPath}.rotating`);
      await reopenLog(ctlPath).catch(() => undefined);
      await fsp.rm(`${logPath}.rotating`, { force: true });
      return;
    }
    // files = [log.N-1, …, log.1, log]: drop the oldest, shift each one up.
    await fsp.rm(files[0]!, { force: true });
    for (let i = 1; i < files.length; i++) {
      await fsp.rename(files[i]!, files[i - 1]!).catch((err: unknown) => { if (!isErrno(err, 'ENOENT')) throw err; });
    }
    await reopenLog(ctlPath).catch(() => undefined);
    await trimToTail(files.at(-2)!, policy.maxSizeBytes);
  }
}

/**
 * Rotation lags a burst of output by a few writes, so a rotated file can be over max-size;
 * json-file never keeps more. Keep its newest whole lines within max-size: the log stays one
 * contiguous tail within the budget. Called after conmon reopened, so nobody writes it.
 */
async function trimToTail(file: string, maxSizeBytes: number): Promise<void> {
  const st = await fsp.stat(file).catch(() => undefined);
  if (!st || st.size <= maxSizeBytes) return;
  const fh = await fsp.open(file, 'r');
  let tail: Buffer;
  try {
    tail = Buffer.alloc(maxSizeBytes);
    const { bytesRead } = await fh.read(tail, 0, maxSizeBytes, st.size - maxSizeBytes);
    tail = tail.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  // Start after the first newline unless the cut fell exactly on a line start.
  const prev = Buffer.alloc(1);
  const fh2 = await fsp.open(file, 'r');
  try { await fh2.read(prev, 0, 1, st.size - maxSizeBytes - 1); } finally { await fh2.close(); }
  const start = prev[0] === 0x0a ? 0 : tail.indexOf(0x0a) + 1;
  const tmp = `${file}.trim`;
  await fsp.writeFile(tmp, tail.subarray(start), { mode: 0o600 });
  await fsp.rename(tmp, file);
}
