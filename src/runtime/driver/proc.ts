import { readFile } from 'node:fs/promises';
import { isErrno } from '../../errors/index.js';

/** Reads a pid file (conmon's or the runtime's); undefined when it is absent. */
export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** SIGKILL, where a process already gone is success. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (err) {
    if (!isErrno(err, 'ESRCH')) throw err;
  }
}
