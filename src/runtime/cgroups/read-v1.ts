import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { parseBlkioV1 } from './blkio.js';
import { isAbsent, readCount, readKeyValues, readOptional } from './files.js';
import { v1Dir, type CgroupLayout } from './layout.js';
import { CLOCK_TICKS_PER_SECOND } from './proc-stat.js';
import { BLKIO_KEYS, type BlkioKey, type RawStats } from './raw-stats.js';

/** Controllers whose directory proves the container's cgroup still exists. */
const PRESENCE_CONTROLLERS = ['memory', 'cpuacct', 'pids', 'cpu', 'blkio'];

export async function existsV1(layout: CgroupLayout, cgroupsPath: string): Promise<boolean> {
  for (const c of PRESENCE_CONTROLLERS) {
    try {
      await stat(v1Dir(layout, c, cgroupsPath));
      return true;
    } catch (err) {
      if (!isAbsent(err)) throw err;
    }
  }
  return false;
}

export async function readCpuV1(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats['cpu']> {
  const acct = v1Dir(layout, 'cpuacct', cgroupsPath);
  const [total, percpu, acctStat, cpuStat] = await Promise.all([
    readCount(posix.join(acct, 'cpuacct.usage')),
    readOptional(posix.join(acct, 'cpuacct.usage_percpu')),
    readKeyValues(posix.join(acct, 'cpuacct.stat')),
    readKeyValues(posix.join(v1Dir(layout, 'cpu', cgroupsPath), 'cpu.stat')),
  ]);
  // cpuacct.stat counts USER_HZ ticks; the API reports nanoseconds.
  const ticksToNs = (t: number | undefined) => (t === undefined ? undefined : (t * 1e9) / CLOCK_TICKS_PER_SECOND);
  return {
    totalNs: total,
    perCpuNs: percpu?.trim().split(/\s+/).filter(Boolean).map(Number),
    userNs: ticksToNs(acctStat?.get('user')),
    kernelNs: ticksToNs(acctStat?.get('system')),
    periods: cpuStat?.get('nr_periods'),
    throttledPeriods: cpuStat?.get('nr_throttled'),
    throttledNs: cpuStat?.get('throttled_time'),
  };
}

async function readMemoryV1(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats['memory']> {
  const dir = v1Dir(layout, 'memory', cgroupsPath);
  const [usage, maxUsage, limit, failcnt, memStat] = await Promise.all([
    readCount(posix.join(dir, 'memory.usage_in_bytes')),
    readCount(posix.join(dir, 'memory.max_usage_in_bytes')),
    readCount(posix.join(dir, 'memory.limit_in_bytes')),
    readCount(posix.join(dir, 'memory.failcnt')),
    readKeyValues(posix.join(dir, 'memory.stat')),
  ]);
  return {
    usageBytes: usage,
    maxUsageBytes: maxUsage,
    limitBytes: limit,
    failcnt,
    stat: memStat && Object.fromEntries(memStat),
  };
}

async function readPidsV1(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats['pids']> {
  const dir = v1Dir(layout, 'pids', cgroupsPath);
  const [current, limit] = await Promise.all([readCount(posix.join(dir, 'pids.current')), readCount(posix.join(dir, 'pids.max'))]);
  return { current, limit };
}

/** The blkio file behind each Docker field when a proportional scheduler (CFQ/BFQ) accounts I/O. */
const SCHEDULER_FILES: Record<BlkioKey, string> = {
  io_service_bytes_recursive: 'blkio.io_service_bytes_recursive',
  io_serviced_recursive: 'blkio.io_serviced_recursive',
  io_queue_recursive: 'blkio.io_queued_recursive',
  io_service_time_recursive: 'blkio.io_service_time_recursive',
  io_wait_time_recursive: 'blkio.io_wait_time_recursive',
  io_merged_recursive: 'blkio.io_merged_recursive',
  io_time_recursive: 'blkio.time_recursive',
  sectors_recursive: 'blkio.sectors_recursive',
};

/**
 * As containerd's cgroup1 blkio controller: the scheduler's recursive files when they hold
 * entries; otherwise (no CFQ, as on this host) the throttle files, which count every device.
 */
async function readBlkioV1(layout: CgroupLayout, cgroupsPath: string): Promise<RawStats['blkio']> {
  const dir = v1Dir(layout, 'blkio', cgroupsPath);
  const fromScheduler: RawStats['blkio'] = {};
  let count = 0;
  for (const key of BLKIO_KEYS) {
    const entries = parseBlkioV1(await readOptional(posix.join(dir, SCHEDULER_FILES[key])));
    if (entries) fromScheduler[key] = entries;
    count += entries?.length ?? 0;
  }
  if (count > 0) return fromScheduler;
  const [bytes, serviced] = await Promise.all([
    readOptional(posix.join(dir, 'blkio.throttle.io_service_bytes')),
    readOptional(posix.join(dir, 'blkio.throttle.io_serviced')),
  ]);
  if (bytes === undefined && serviced === undefined) return undefined;
  return { io_service_bytes_recursive: parseBlkioV1(bytes) ?? [], io_serviced_recursive: parseBlkioV1(serviced) ?? [] };
}

/** Everything but CPU, which the caller samples next to /proc/stat. */
export async function readRestV1(layout: CgroupLayout, cgroupsPath: string): Promise<Omit<RawStats, 'version' | 'readAt' | 'cpu'>> {
  const [memory, pids, blkio] = await Promise.all([
    readMemoryV1(layout, cgroupsPath),
    readPidsV1(layout, cgroupsPath),
    readBlkioV1(layout, cgroupsPath),
  ]);
  return { memory, pids, blkio };
}
