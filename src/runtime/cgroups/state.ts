import { posix } from 'node:path';
import { readKeyValues, readOptional } from './files.js';
import { v1Dir, v2Dir, type CgroupLayout } from './layout.js';

export type FreezerState = 'FROZEN' | 'THAWED' | 'FREEZING';

/**
 * The container's freezer state; undefined when the cgroup (or the v1 freezer hierarchy) is
 * gone. v2 has no state file: cgroup.freeze says what was asked, and the "frozen" key of
 * cgroup.events whether the kernel has finished, so asked-but-not-done is FREEZING.
 */
export async function freezerState(layout: CgroupLayout, cgroupsPath: string): Promise<FreezerState | undefined> {
  if (layout.version === 1) {
    const state = (await readOptional(posix.join(v1Dir(layout, 'freezer', cgroupsPath), 'freezer.state')))?.trim();
    return state === 'FROZEN' || state === 'THAWED' || state === 'FREEZING' ? state : undefined;
  }
  const dir = v2Dir(layout, cgroupsPath);
  const wanted = (await readOptional(posix.join(dir, 'cgroup.freeze')))?.trim();
  if (wanted === undefined) return undefined;
  if (wanted !== '1') return 'THAWED';
  const events = await readKeyValues(posix.join(dir, 'cgroup.events'));
  return events?.get('frozen') === 1 ? 'FROZEN' : 'FREEZING';
}

/**
 * How many processes the kernel's OOM killer killed in the container's cgroup (v1
 * memory.oom_control "oom_kill", kernel ≥ 4.13; v2 memory.events "oom_kill", which counts
 * sub-cgroups too). 0 when the cgroup is gone: read it before the runtime deletes it.
 */
export async function oomKillCount(layout: CgroupLayout, cgroupsPath: string): Promise<number> {
  const file = layout.version === 1
    ? posix.join(v1Dir(layout, 'memory', cgroupsPath), 'memory.oom_control')
    : posix.join(v2Dir(layout, cgroupsPath), 'memory.events');
  return (await readKeyValues(file))?.get('oom_kill') ?? 0;
}
