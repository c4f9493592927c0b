import { constants as fsConstants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ConflictError, InvalidArgumentError, errnoOf } from '../../errors/index.js';

/** conmon's ctl messages (config.h): `<type> <rows> <cols>\n`. */
const WIN_RESIZE_EVENT = 1;
const REOPEN_LOGS_EVENT = 2;

/** Sets the container's (or exec's) pty size; conmon applies it with TIOCSWINSZ. */
export async function resize(ctlPath: string, rows: number, cols: number): Promise<void> {
  for (const [name, n] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new InvalidArgumentError(`invalid terminal ${name}: ${n}`);
  }
  await writeCtl(ctlPath, `${WIN_RESIZE_EVENT} ${rows} ${cols}\n`);
}

/**
 * Asks conmon to reopen its log at the same path: after berthd has renamed the file away
 * (rotation), conmon starts a new one there.
 */
export async function reopenLog(ctlPath: string): Promise<void> {
  await writeCtl(ctlPath, `${REOPEN_LOGS_EVENT} 0 0\n`);
}

/**
 * Opened `O_WRONLY | O_NONBLOCK`: without a reader (conmon gone) a blocking open would hang a
 * pool thread forever; non-blocking it fails at once with ENXIO. A message is far below
 * PIPE_BUF, so the write is atomic and never partial.
 */
async function writeCtl(ctlPath: string, message: string): Promise<void> {
  let handle;
  try {
    handle = await open(ctlPath, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENXIO' || code === 'ENOENT') {
      throw new ConflictError(`no monitor reads ${ctlPath} (${code}): the container is not running`, { cause: err });
    }
    throw err;
  }
  try {
    await handle.write(message);
  } finally {
    await handle.close();
  }
}
