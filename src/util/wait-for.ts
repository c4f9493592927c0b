import { setTimeout as delay } from 'node:timers/promises';

/**
 * Polls `probe` until it returns a value that is not undefined, or fails after `timeoutMs`
 * saying what it awaited and what it last saw. For tests and start-up checks; events are
 * better where one exists.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what}; last saw: ${seen}`);
    }
    await delay(opts.intervalMs ?? 20, undefined, { signal: opts.signal });
  }
}
