import { exec, ExecError } from '../../util/index.js';
import { classifyRuntimeFailure, lastJsonError } from './runtime-error.js';
import type { RuntimeOptions } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The argv prefix every call of `rt` starts with: its own flags, berth's root, JSON errors. */
export function globalArgs(rt: RuntimeOptions): string[] {
  return [...rt.runtimeArgs, '--root', rt.root, '--log-format', 'json'];
}

/**
 * Runs one runtime command (`start`, `kill`, `state`, …) to completion and returns its stdout.
 * A failure is thrown as NotFound / Conflict / OciRuntimeError carrying the runtime's own
 * message, taken from its JSON error line on stderr (or the raw stderr tail if it wrote none).
 */
export async function runRuntime(rt: RuntimeOptions, args: readonly string[], opts: RunOptions = {}): Promise<Buffer> {
  try {
    const res = await exec(rt.path, [...globalArgs(rt), ...args], {
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: opts.signal,
    });
    return res.stdout;
  } catch (err) {
    if (!(err instanceof ExecError) || err.timedOut) throw err;
    const message = lastJsonError(err.stderr) ?? (err.stderr.trim() || err.message);
    throw classifyRuntimeFailure(rt.name, message, err);
  }
}
