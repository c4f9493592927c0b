import { promises as fsp, readFileSync } from 'node:fs';
import { isErrno } from '../errors/index.js';
import type { SnapshotStore } from '../snapshot/index.js';
import { unmount } from '../sys/index.js';

/** Mounts a container's rootfs: the image's layers below, the container's upper/work on top. */
export async function mountRootfs(
  snapshots: Pick<SnapshotStore, 'mount'>,
  chainId: string | undefined,
  dirs: { rootfs: string; upper: string; work: string },
): Promise<void> {
  if (isMounted(dirs.rootfs)) return;
  await fsp.mkdir(dirs.rootfs, { recursive: true, mode: 0o755 });
  await fsp.mkdir(dirs.upper, { recursive: true, mode: 0o755 });
  await fsp.mkdir(dirs.work, { recursive: true, mode: 0o700 });
  if (chainId === undefined) {
    // FROM scratch with no layers: an empty lower keeps the overlay shape.
    throw new Error('an image without layers cannot be run');
  }
  await snapshots.mount(chainId, dirs.rootfs, { upperDir: dirs.upper, workDir: dirs.work });
}

/** Unmounts it (lazily, as a process may still hold it); idempotent. */
export function unmountRootfs(rootfs: string): void {
  if (!isMounted(rootfs)) return;
  try {
    unmount(rootfs, true);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
  }
}

export function isMounted(target: string): boolean {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines.some((l) => l.split(' ')[4] === target);
}
