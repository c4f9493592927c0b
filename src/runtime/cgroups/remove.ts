import { readdir, rmdir } from 'node:fs/promises';
import { InternalError, errnoOf } from '../../errors/index.js';
import { isAbsent } from './files.js';
import { v1Dir, v2Dir, type CgroupLayout } from './layout.js';
import { subdirs } from './procs.js';

/**
 * The leak guard after the runtime deleted a container (runc usually removes its cgroups
 * itself): removes the container's cgroup, and any sub-cgroups it made, in every hierarchy.
 * Idempotent: a cgroup already gone is success. A cgroup that still holds processes (EBUSY) is
 * left in place; once every hierarchy has been tried the promise rejects with an
 * InternalError naming those directories, for the caller to log, since processes outliving
 * their container are a leak a human must look at.
 */
export async function removeCgroup(layout: CgroupLayout, cgroupsPath: string): Promise<void> {
  const busy: string[] = [];
  for (const dir of await containerDirs(layout, cgroupsPath)) busy.push(...(await removeTree(dir)));
  if (busy.length) throw new InternalError(`cgroup still has processes: ${busy.join(', ')}`);
}

/** The container's directory in each hierarchy: every mount under the v1 root, incl. unified. */
async function containerDirs(layout: CgroupLayout, cgroupsPath: string): Promise<string[]> {
  if (layout.version === 2) return [v2Dir(layout, cgroupsPath)];
  const hierarchies = await readdir(layout.root);
  return hierarchies.map((h) => v1Dir(layout, h, cgroupsPath));
}

/** rmdir, children first (cgroupfs refuses to remove a cgroup with children); returns busy dirs. */
async function removeTree(dir: string): Promise<string[]> {
  const busy: string[] = [];
  for (const child of await subdirs(dir)) busy.push(...(await removeTree(`${dir}/${child}`)));
  try {
    await rmdir(dir);
  } catch (err) {
    if (isAbsent(err)) return busy;
    if (errnoOf(err) === 'EBUSY' || errnoOf(err) === 'ENOTEMPTY') return [...busy, dir];
    throw err;
  }
  return busy;
}
