import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * How berth starts a process: one small interface with two backends. The default is Node's
 * `child_process.spawn`, which forks the whole process (its cost grows with the heap: 6 ms at
 * 50 MB, 65 ms at 400 MB on this machine kind). berthd installs the `posix_spawn` backend
 * from sys/ at start-up (CLONE_VM|CLONE_VFORK: the cost does not depend on the heap); the CLI
 * keeps the default and never loads the native layer. See docs/adr/0023-spawn-without-fork.md.
 */
export type StdioSpec = 'pipe' | 'ignore';

export interface SpawnRequest {
  file: string;
  args: readonly string[];
  cwd?: string | undefined;
  env: NodeJS.ProcessEnv;
  /** One entry per fd of the child, from 0: a socket pair to us, or /dev/null. */
  stdio: readonly StdioSpec[];
  /** Its own session (setsid), so terminal signals to berthd's group miss it. */
  isDetached?: boolean;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  /** Undefined only with Node's backend when the process could not be started. */
  readonly pid: number | undefined;
  /** Our end of each 'pipe' slot (null for 'ignore'), indexed as `stdio`. */
  readonly stdio: ReadonlyArray<Socket | null>;
  /** Settles once the process has exited and been reaped; rejects when it could not start (ENOENT, EACCES). */
  readonly exited: Promise<ChildExit>;
  /** Whether `exited` has settled. */
  readonly hasExited: boolean;
  /** Sends a signal unless the process has been reaped (its pid may be reused after). */
  kill(signal?: NodeJS.Signals): void;
}

export type Spawner = (req: SpawnRequest) => Child;

function nodeSpawner(req: SpawnRequest): Child {
  const child = spawn(req.file, req.args, {
    cwd: req.cwd,
    env: req.env,
    stdio: [...req.stdio],
    detached: req.isDetached === true,
  });
  let hasExited = false;
  const exited = new Promise<ChildExit>((resolve, reject) => {
    child.once('error', (err) => { if (child.pid === undefined) { hasExited = true; reject(err); } });
    child.once('exit', (code, signal) => { hasExited = true; resolve({ code, signal }); });
  });
  exited.catch(() => undefined);
  return {
    pid: child.pid,
    stdio: child.stdio.map((s) => (s ?? null) as Socket | null),
    exited,
    get hasExited() { return hasExited; },
    kill: (signal = 'SIGTERM') => { if (!hasExited) child.kill(signal); },
  };
}

let current: Spawner = nodeSpawner;

/** Installs the backend every later spawn uses (berthd's start-up); returns the previous one. */
export function setSpawner(spawner: Spawner): Spawner {
  const previous = current;
  current = spawner;
  return previous;
}

export function spawnChild(req: SpawnRequest): Child {
  return current(req);
}
