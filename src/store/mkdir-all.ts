import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';

/**
 * `mkdir -p` that reports the real cause. Node's recursive mkdir answers ENOENT when a
 * component cannot be made for another reason (ENOSPC on a full disk was seen as
 * "ENOENT … mkdir"): on ENOENT the path is made again one component at a time, so the failing
 * component's own error (ENOSPC, EACCES, ENOTDIR…) is what the caller gets.
 */
export async function mkdirAll(dir: string, mode?: number): Promise<void> {
  try {
    await fsp.mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) });
    return;
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    let cur = path.parse(path.resolve(dir)).root;
    for (const part of path.resolve(dir).split(path.sep).filter(Boolean)) {
      cur = path.join(cur, part);
      try {
        await fsp.mkdir(cur, mode === undefined ? {} : { mode });
      } catch (e) {
        if (!isErrno(e, 'EEXIST')) throw e;
      }
    }
    throw err;
  }
}
