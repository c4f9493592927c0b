import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { mkdirAll } from '../store/index.js';

/**
 * The container's init layer, as Docker's `<id>-init`: the mount points runc needs (and
 * /etc/hosts, hostname, resolv.conf it bind-mounts over) exist in a read-only layer between
 * the image and the container's upper directory, so they never show up in `docker diff`,
 * `commit` or `export` as the container's own changes.
 */
const DIRS = ['dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'proc', 'sys', 'etc'];
const FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv', 'dev/console'];

export async function createInitLayer(dir: string): Promise<void> {
  await mkdirAll(dir, 0o755);
  for (const d of DIRS) await mkdirAll(path.join(dir, d), 0o755);
  for (const f of FILES) await fsp.writeFile(path.join(dir, f), '', { mode: 0o644 });
  await fsp.symlink('/proc/mounts', path.join(dir, 'etc', 'mtab')).catch(() => undefined);
}
