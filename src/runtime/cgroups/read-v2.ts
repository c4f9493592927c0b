import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { parseIoStatV2 } from './blkio.js';
import { isAbsent, readCount, readKeyValues, readOptional } from './files.js';
import { v2Dir, type CgroupLayout } from './layout.js';
import type { RawStats } from './raw-stats.js';

export async function existsV2(layout: CgroupLayout, cgroupsPath: string): Promise<boolean> {
  try {
    await stat(v2Dir(layout, cgroupsPath));
    return true;
  } catch (err) {
    if (isAbsent(err)) return false;
    throw err;
  }
}

/** cpu.stat exists in every v2 cgroup, even without the cpu controller; it counts microseconds. */
export async function readCpuV2(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats['cpu']> {
  const cpuStat = await readKeyValues(posix.join(v2Dir(layout, cgroupsPath), 'cpu.stat'));
  const usToNs = (us: number | undefined) => (us === undefined ? undefined : us * 1000);
  return {
    totalNs: usToNs(cpuStat?.get('usage_usec')),
    userNs: usToNs(cpuStat?.get('user_usec')),
    kernelNs: usToNs(cpuStat?.get('system_usec')),
    periods: cpuStat?.get('nr_periods'),
    throttledPeriods: cpuStat?.get('nr_throttled'),
    throttledNs: usToNs(cpuStat?.get('throttled_usec')),
  };
}

/** Everything but CPU, which the caller samples next to /proc/stat. */
export async function readRestV2(layout: CgroupLayout, cgroupsPath: string): Promise<Omit<RawStats, 'version' | 'readAt' | 'cpu'>> {
  const dir = v2Dir(layout, cgroupsPath);
  const file = (name: string) => posix.join(dir, name);
  const [usage, limit, memStat, events, pidsCurrent, pidsMax, ioStat] = await Promise.all([
    readCount(file('memory.current')),
    readCount(file('memory.max')),
    readKeyValues(file('memory.stat')),
    readKeyValues(file('memory.events')),
    readCount(file('pids.current')),
    readCount(file('pids.max')),
    readOptional(file('io.stat')),
  ]);
  const serviceBytes = parseIoStatV2(ioStat);
  return {
    // v2 keeps no failcnt; dockerd reports memory.events "oom" (times the limit was hit) there.
    memory: { usageBytes: usage, limitBytes: limit, failcnt: events?.get('oom'), stat: memStat && Object.fromEntries(memStat) },
    pids: { current: pidsCurrent, limit: pidsMax },
    blkio: serviceBytes && { io_service_bytes_recursive: serviceBytes },
  };
}
