import { AsyncLocalStorage } from 'node:async_hooks';

/** One holding of a key; inactive once its `run` has returned (work it started may go on). */
interface Hold { key: string; active: boolean }

/**
 * A per-key mutex: `run(key, fn)` runs `fn` once every earlier holder of `key` is done.
 * Re-entrant: a call made while this async context holds the key runs at once, so an operation
 * under the lock may call another that takes it. A holding ends when `fn` settles: timers and
 * promises it left behind no longer count as holders, so they queue like anyone else.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly holds = new AsyncLocalStorage<readonly Hold[]>();

  /** Whether the current async context holds `key` (for assertions of the one-owner rule). */
  isHeld(key: string): boolean {
    return this.holds.getStore()?.some((h) => h.key === key && h.active) ?? false;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (this.isHeld(key)) return fn();
    const outer = (this.holds.getStore() ?? []).filter((h) => h.active);
    const hold: Hold = { key, active: false };
    const body = async (): Promise<T> => {
      hold.active = true;
      try {
        return await this.holds.run([...outer, hold], fn);
      } finally {
        hold.active = false;
      }
    };
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(body, body);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
      // Node 20's AsyncLocalStorage runs a hook on every promise the process makes while any
      // instance is enabled (a quarter of berthd's CPU in `docker logs` of 50 MB). With no key
      // held or awaited, no context needs carrying: the instance is disabled, and the next
      // run() enables it again. Contexts left behind by finished holdings read as none, which
      // is what their inactive holds already meant.
      if (this.tails.size === 0) this.holds.disable();
    }
  }
}
