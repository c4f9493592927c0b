// Spawning and timing the tools the bench drives (docker, runc, tar): an argv array, never a
// shell; stdout and stderr always drained; a deadline and an abort signal on every call; TERM
// then KILL on timeout; resolved on 'close', so a timing covers the process's whole life.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const STDERR_TAIL_CHARS = 4096;
const STDOUT_CAP_BYTES = 1 << 20;
const KILL_GRACE_MS = 2000;

export class ToolError extends Error {
  constructor(argv, result, options) {
    const how = result.timedOut ? 'timed out' : result.signal ? `killed by ${result.signal}` : `exit status ${result.code}`;
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    super(`${argv.join(' ')}: ${how}${tail ? `: ${tail}` : ''}`, options);
    this.name = 'ToolError';
    this.result = result;
  }
}

/**
 * Runs `file args` and resolves with { code, signal, ms, stdout, stdoutBytes, stderr, timedOut }.
 * `ms` is wall time from spawn to 'close' (all output read). stdout is kept up to 1 MiB
 * (`stdoutBytes` counts all of it), so a 50 MB `docker logs` is counted, not held.
 * Rejects with ToolError on a non-zero exit unless `allowFailure`; with the signal's reason
 * when aborted.
 */
export function runTool(file, args, { env, timeoutMs = 60_000, signal, allowFailure = false, cwd } = {}) {
  signal?.throwIfAborted();
  const argv = [file, ...args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let kept = 0;
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let killTimer;
    child.stdout.on('data', (chunk) => {
      stdoutBytes += chunk.length;
      if (kept < STDOUT_CAP_BYTES) { out.push(chunk); kept += chunk.length; }
    });
    child.stderr.on('data', (chunk) => { stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS); });
    const terminate = () => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    };
    const deadline = setTimeout(() => { timedOut = true; terminate(); }, timeoutMs);
    const onAbort = () => terminate();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      reject(new Error(`${file}: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, sig) => {
      const ms = performance.now() - started;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      signal?.removeEventListener('abort', onAbort);
      const result = { code, signal: sig, ms, stdout: Buffer.concat(out).toString('utf8'), stdoutBytes, stderr, timedOut };
      if (signal?.aborted) reject(signal.reason);
      else if (code !== 0 && !allowFailure) reject(new ToolError(argv, result));
      else resolve(result);
    });
  });
}

/**
 * Runs `fn` over `items` with at most `limit` in flight; resolves with results in order. After
 * a failure no new item starts, and it rejects with the first error once the in-flight ones end.
 */
export async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  let firstError;
  const worker = async () => {
    while (next < items.length && firstError === undefined) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (firstError !== undefined) throw firstError;
  return results;
}
