import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
import { createNetnsInProcess } from '../network/index.js';
import { unmount } from '../sys/index.js';

/**
 * A container's own network namespace, made by berthd before the runtime starts, bound to a
 * file under exec-root (as `ip netns` does) and handed to runc as a path, so that networks can
 * be plugged in before the process starts and connected and disconnected later. (`--network
 * none` does not need one: runc makes that namespace and brings `lo` up in it.)
 */
export async function createNetns(file: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fsp.writeFile(file, '', { mode: 0o444 });
  try {
    // No process: berthd's main thread makes it, binds it and brings lo up there (ADR 20).
    createNetnsInProcess(file);
  } catch (err) {
    await removeNetns(file);
    throw err;
  }
}

/** Unbinds and removes a namespace file; idempotent. */
export async function removeNetns(file: string): Promise<void> {
  try {
    unmount(file, true);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
  }
  await fsp.rm(file, { force: true });
}
