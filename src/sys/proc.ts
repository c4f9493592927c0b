import { readFile } from 'node:fs/promises';
import { isErrno } from '../errors/index.js';

export interface ProcStat {
  /** One letter: R, S, D, T, Z, … (proc(5)). */
  state: string;
  ppid: number;
}

/** /proc/<pid>/stat's state and parent, or undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ESRCH')) return undefined;
    throw err;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, ppid: Number(fields[1]) };
}

/**
 * Whether `pid` is a live process. A zombie counts as dead: PID 1 on this host is not systemd
 * and reaps orphans (exited conmons) only every few seconds, so `kill(pid, 0)` would say alive.
 * The one liveness check of the engine: the runtime driver and exec restore both use it.
 */
export async function isProcessAlive(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}
