import type { ContainerRecord } from './record.js';

/** How long a restart policy waits before the first restart; doubles up to the cap (Docker: 100 ms .. 1 min). */
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 60_000;

/**
 * Whether a container that just exited with `exitCode` is restarted by its policy (moby
 * restartmanager.ShouldRestart): never after a manual stop; `always` and `unless-stopped`
 * always; `on-failure[:N]` for a non-zero code while fewer than N restarts happened.
 */
export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  if (rec.state.hasBeenManuallyStopped) return false;
  const policy = rec.hostConfig.RestartPolicy?.Name ?? 'no';
  if (policy === 'always' || policy === 'unless-stopped') return true;
  if (policy === 'on-failure') {
    const max = rec.hostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
    return exitCode !== 0 && (max === 0 || rec.restartCount < max);
  }
  return false;
}

/**
 * The pending restarts of `restarting` containers: one timer each, with a back-off per
 * container that doubles at each restart. Timers do not keep the process alive.
 */
export class RestartTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly backoff = new Map<string, number>();

  /** Runs `fn` after this container's current back-off. Replaces a pending one. */
  schedule(id: string, fn: () => void): void {
    this.cancel(id);
    const delay = this.backoff.get(id) ?? BACKOFF_START_MS;
    this.backoff.set(id, Math.min(delay * 2, BACKOFF_MAX_MS));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, delay);
    timer.unref();
    this.timers.set(id, timer);
  }

  /** Drops a pending restart; true when there was one. */
  cancel(id: string): boolean {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    return this.timers.delete(id);
  }

  /** The container is gone: its back-off too. */
  forget(id: string): void {
    this.cancel(id);
    this.backoff.delete(id);
  }

  closeAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
