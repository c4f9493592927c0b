/**
 * A container's cgroup seen from the engine: Docker's stats JSON, the PIDs for `docker top`,
 * freezer and OOM state, and removal of leftovers. cgroupsPath is the value given to runc
 * (`linux.cgroupsPath`, e.g. "/berth/<id>", cgroupfs driver). Nothing here creates cgroups or
 * writes limits: runc does that from the OCI spec.
 */
import { readFile } from 'node:fs/promises';
import type { CgroupLayout } from './layout.js';
import { parseProcStat } from './proc-stat.js';
import type { RawStats } from './raw-stats.js';
import { existsV1, readCpuV1, readRestV1 } from './read-v1.js';
import { existsV2, readCpuV2, readRestV2 } from './read-v2.js';

export { detectCgroupLayout, type CgroupLayout } from './layout.js';
export { toDockerStats, type StatsMeta } from './docker-stats.js';
export { readSystemCpuNs, readOnlineCpus, parseProcStat } from './proc-stat.js';
export { listPids } from './procs.js';
export { freezerState, oomKillCount, type FreezerState } from './state.js';
export { removeCgroup } from './remove.js';
export { topOutput, type TopResult } from './top.js';
export type { RawStats, BlkioEntry } from './raw-stats.js';

/**
 * One sample of the container's cgroup, or undefined when the cgroup is gone (the container
 * stopped). Files missing from a cgroup that exists leave their fields undefined. The host's
 * /proc/stat is read right after the cgroup's CPU usage, as dockerd does, so that the two
 * deltas behind CPU % cover the same interval.
 */
export async function readCgroupStats(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats | undefined> {
  const v1 = layout.version === 1;
  if (!(await (v1 ? existsV1 : existsV2)(layout, cgroupsPath))) return undefined;
  const sampleCpu = async () => {
    const cpu = await (v1 ? readCpuV1 : readCpuV2)(layout, cgroupsPath);
    const { systemCpuNs } = parseProcStat(await readFile('/proc/stat', 'utf8'));
    return { cpu, systemCpuNs, readAt: new Date() };
  };
  const [sample, rest] = await Promise.all([sampleCpu(), (v1 ? readRestV1 : readRestV2)(layout, cgroupsPath)]);
  return { version: layout.version, ...sample, ...rest };
}
