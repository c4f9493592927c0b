import { existsSync, readFileSync } from 'node:fs';
import { createInitLayer } from './init-layer.js';
import { isErrno } from '../errors/index.js';
import { mountLayers, type SnapshotStore } from '../snapshot/index.js';
import { mountIdmappedOverlay, unmount } from '../sys/index.js';
import { resolveWithin, mkdirAll } from '../store/index.js';

/** Mounts a container's rootfs: the image's layers below, the container's upper/work on top. */
export async function mountRootfs(
  snapshots: Pick<SnapshotStore, 'lowerDirs'>,
  chainId: string | undefined,
  dirs: { rootfs: string; upper: string; work: string; init: string },
  idmap?: { usernsFd: number },
): Promise<void> {
  if (isMounted(dirs.rootfs)) return;
  await mkdirAll(dirs.rootfs, 0o755);
  await mkdirAll(dirs.upper, 0o755);
  await mkdirAll(dirs.work, 0o700);
  if (!existsSync(dirs.init)) await createInitLayer(dirs.init);
  // An image without layers (an empty `FROM scratch`) runs on the init layer alone.
  const lowers = [dirs.init, ...(chainId ? await snapshots.lowerDirs(chainId) : [])];
  if (idmap) {
    // userns-remap: each layer is seen through an idmapped clone (ADR 9); nothing is chowned.
    mountIdmappedOverlay(lowers, dirs.rootfs, idmap.usernsFd, { upperDir: dirs.upper, workDir: dirs.work }, [['redirect_dir', 'off'], ['metacopy', 'off']]);
    return;
  }
  mountLayers(lowers, dirs.rootfs, { upperDir: dirs.upper, workDir: dirs.work });
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

/** A small file of the container's rootfs (passwd, group), read with links resolved inside it. */
export function readInRoot(root: string, rel: string): string | undefined {
  try {
    return readFileSync(resolveWithin(root, rel), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}
