/**
 * Numbers read from one container's cgroup at one moment, before any Docker shaping. A field
 * is undefined when its file was missing (controller not mounted, cgroup vanishing).
 */
export interface RawStats {
  version: 1 | 2;
  readAt: Date;
  /** Host CPU time from /proc/stat, sampled right after the cgroup's CPU usage (as dockerd does). */
  systemCpuNs?: number;
  cpu: {
    totalNs?: number;
    /** v1 only (cpuacct.usage_percpu). */
    perCpuNs?: number[];
    userNs?: number;
    kernelNs?: number;
    periods?: number;
    throttledPeriods?: number;
    throttledNs?: number;
  };
  memory: {
    usageBytes?: number;
    /** v1 only (memory.max_usage_in_bytes); dockerd reports none on v2. */
    maxUsageBytes?: number;
    /** undefined means unlimited. */
    limitBytes?: number;
    /** v1 memory.failcnt; v2 the `oom` count of memory.events, as dockerd reports it. */
    failcnt?: number;
    /** memory.stat as the kernel wrote it. */
    stat?: Record<string, number>;
  };
  pids: { current?: number; limit?: number };
  /** Keyed by Docker's blkio_stats field names; v2 fills io_service_bytes_recursive only. */
  blkio?: Partial<Record<BlkioKey, BlkioEntry[]>>;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export const BLKIO_KEYS = [
  'io_service_bytes_recursive',
  'io_serviced_recursive',
  'io_queue_recursive',
  'io_service_time_recursive',
  'io_wait_time_recursive',
  'io_merged_recursive',
  'io_time_recursive',
  'sectors_recursive',
] as const;

export type BlkioKey = (typeof BLKIO_KEYS)[number];
