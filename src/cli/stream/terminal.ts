/**
 * The terminal side of attach, as docker's streams.In/Out: raw mode on stdin for a TTY
 * session (unless NORAW is set, as docker honours it), the terminal's size from stdout, and
 * its resize notifications (SIGWINCH, which Node reports as 'resize' on a TTY stream).
 */
import type { Readable, Writable } from 'node:stream';
import { exec } from '../../util/index.js';
import type { CliIO } from '../context.js';

interface TtyIn extends Readable { isTTY?: boolean; isRaw?: boolean; setRawMode?: (on: boolean) => unknown }
interface TtyOut extends Writable { isTTY?: boolean; rows?: number; columns?: number }

/** streams.In.CheckTty: a TTY session that reads stdin needs stdin to be a terminal. */
export function checkTty(io: CliIO, attachStdin: boolean, tty: boolean): void {
  if (tty && attachStdin && !io.stdinIsTerminal) throw new Error('the input device is not a TTY');
}

/**
 * Puts stdin in raw mode; returns the function that restores it (idempotent). Node's raw
 * mode (libuv) keeps output processing on, so the terminal would turn the container's
 * "\r\n" into "\r\r\n" and a bare "\n" into a carriage return too; docker's raw mode
 * (cfmakeraw) turns it off, so berth clears OPOST as well. Leaving raw mode restores the
 * terminal's saved settings, OPOST included.
 */
export async function setRawTerminal(io: CliIO, env: NodeJS.ProcessEnv): Promise<() => void> {
  const stdin = io.stdin as TtyIn;
  if (!io.stdinIsTerminal || env.NORAW || typeof stdin.setRawMode !== 'function') return () => {};
  const wasRaw = stdin.isRaw === true;
  stdin.setRawMode(true);
  if (stdin === process.stdin) {
    // Best effort: without stty the session still works, only line endings show doubled CRs.
    await exec('stty', ['-F', '/dev/tty', '-opost'], { timeoutMs: 2000, allowFailure: true }).catch(() => undefined);
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    stdin.setRawMode?.(wasRaw);
  };
}

/** Leaves raw mode at once (the CLI is about to exit). */
export function restoreTerminalNow(io: CliIO): void {
  const stdin = io.stdin as TtyIn;
  if (io.stdinIsTerminal && stdin.isRaw && typeof stdin.setRawMode === 'function') stdin.setRawMode(false);
}

/** streams.Out.GetTtySize: [height, width], or [0, 0] when stdout is no terminal. */
export function ttySize(io: CliIO): [number, number] {
  if (!io.stdoutIsTerminal) return [0, 0];
  const out = io.stdout as TtyOut;
  return [out.rows ?? 0, out.columns ?? io.columns ?? 0];
}

/** Calls `fn` on each terminal resize until the returned function is called. */
export function onResize(io: CliIO, fn: () => void): () => void {
  const out = io.stdout as TtyOut;
  if (!io.stdoutIsTerminal || typeof out.on !== 'function') return () => {};
  out.on('resize', fn);
  return () => out.off('resize', fn);
}
