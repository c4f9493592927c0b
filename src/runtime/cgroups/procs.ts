import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { isAbsent, readOptional } from './files.js';
import { v1Dir, v2Dir, type CgroupLayout } from './layout.js';

/**
 * v1 hierarchies to take the process list from, first present wins. Every process of the
 * container is in each of them, so any one will do; pids and memory are the ones runc always
 * joins for a container with limits.
 */
const V1_PROCS_CONTROLLERS = ['pids', 'memory', 'devices', 'freezer', 'cpu', 'cpuacct'];

/**
 * PIDs (host namespace) in the container's cgroup and its sub-cgroups, ascending; [] when the
 * cgroup is gone. Sub-cgroups count because a container may create its own (runc ps does the
 * same walk).
 */
export async function listPids(layout: CgroupLayout, cgroupsPath: string): Promise<number[]> {
  const dirs = layout.version === 2
    ? [v2Dir(layout, cgroupsPath)]
    : V1_PROCS_CONTROLLERS.map((c) => v1Dir(layout, c, cgroupsPath));
  for (const dir of dirs) {
    const pids = await pidsUnder(dir);
    if (pids) return [...new Set(pids)].sort((a, b) => a - b);
  }
  return [];
}

/** cgroup.procs of dir and every cgroup below it; undefined when dir does not exist. */
async function pidsUnder(dir: string): Promise<number[] | undefined> {
  const procs = await readOptional(posix.join(dir, 'cgroup.procs'));
  if (procs === undefined) return undefined;
  const pids = procs.split('\n').filter(Boolean).map(Number);
  for (const child of await subdirs(dir)) {
    pids.push(...((await pidsUnder(posix.join(dir, child))) ?? []));
  }
  return pids;
}

/** Child cgroups of dir (cgroupfs lists them as directories beside the control files). */
export async function subdirs(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (isAbsent(err)) return [];
    throw err;
  }
}
