import { BLKIO_KEYS, type BlkioEntry, type RawStats } from './raw-stats.js';

/**
 * Shapes RawStats into the body of GET /containers/{id}/stats as dockerd (API 1.50) writes it,
 * field for field with dockerd's statsV1/statsV2 and Go's omitempty. The docker CLI computes
 * `docker stats` from it (cli/command/container/stats_helpers.go):
 *   CPU %      (Δ cpu_usage.total_usage / Δ system_cpu_usage) × online_cpus × 100, the Δ taken
 *              against precpu_stats;
 *   MEM USAGE  memory_stats.usage − stats.total_inactive_file (v1) or stats.inactive_file (v2);
 *   LIMIT, %   memory_stats.limit;
 *   BLOCK I/O  io_service_bytes_recursive summed by op (r… read, w… write);
 *   NET I/O    rx_bytes/tx_bytes summed over networks; PIDS pids_stats.current.
 */
export interface StatsMeta {
  id: string;
  name: string;
  /** Host MemTotal in bytes: the limit reported when the cgroup has none (as dockerd does). */
  memTotal: number;
  /** online_cpus. */
  ncpu: number;
  /** networks as the network layer reports them, keyed by interface; omitted when absent. */
  networks?: Record<string, unknown>;
}

/** Go's zero time.Time, which dockerd writes for a missing preread. */
const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** The memory.stat keys dockerd copies, in its order; a key the kernel lacks reads 0. */
const V1_MEMORY_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault',
  'pgmajfault', 'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable',
  'hierarchical_memory_limit', 'hierarchical_memsw_limit', 'total_cache', 'total_rss',
  'total_rss_huge', 'total_mapped_file', 'total_dirty', 'total_writeback', 'total_pgpgin',
  'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon', 'total_active_anon',
  'total_inactive_file', 'total_active_file', 'total_unevictable',
];
const V2_MEMORY_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty',
  'file_writeback', 'anon_thp', 'inactive_anon', 'active_anon', 'inactive_file', 'active_file',
  'unevictable', 'slab_reclaimable', 'slab_unreclaimable', 'pgfault', 'pgmajfault',
  'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
  'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc',
  'thp_collapse_alloc',
];

/** Go's `omitempty` for numbers: a zero or missing value leaves the key out. */
function putNonZero(obj: Record<string, unknown>, key: string, value: number | undefined): void {
  if (value) obj[key] = value;
}

function cpuStats(raw: RawStats | undefined, ncpu: number): Record<string, unknown> {
  const cpu = raw?.cpu ?? {};
  const usage: Record<string, unknown> = { total_usage: cpu.totalNs ?? 0 };
  if (cpu.perCpuNs?.length) usage.percpu_usage = cpu.perCpuNs;
  usage.usage_in_kernelmode = cpu.kernelNs ?? 0;
  usage.usage_in_usermode = cpu.userNs ?? 0;
  const out: Record<string, unknown> = { cpu_usage: usage };
  if (raw) {
    putNonZero(out, 'system_cpu_usage', raw.systemCpuNs);
    putNonZero(out, 'online_cpus', ncpu);
  }
  out.throttling_data = {
    periods: cpu.periods ?? 0,
    throttled_periods: cpu.throttledPeriods ?? 0,
    throttled_time: cpu.throttledNs ?? 0,
  };
  return out;
}

function memoryStats(raw: RawStats, memTotal: number): Record<string, unknown> {
  const mem = raw.memory;
  const out: Record<string, unknown> = {};
  putNonZero(out, 'usage', mem.usageBytes);
  if (raw.version === 1) putNonZero(out, 'max_usage', mem.maxUsageBytes);
  if (mem.stat) {
    const keys = raw.version === 1 ? V1_MEMORY_KEYS : V2_MEMORY_KEYS;
    out.stats = Object.fromEntries(keys.map((k) => [k, mem.stat?.[k] ?? 0]));
  }
  putNonZero(out, 'failcnt', mem.failcnt);
  // No limit (v1's 2^63-ish sentinel, v2's "max") or one above the host's memory: report
  // the host's memory, so that MEM % means something.
  const limit = mem.limitBytes === undefined || (memTotal > 0 && mem.limitBytes > memTotal) ? memTotal : mem.limitBytes;
  putNonZero(out, 'limit', limit);
  return out;
}

/**
 * v1: every list is present ([] when empty), since dockerd copies each into a fresh slice.
 * v2: only io_service_bytes_recursive is filled, and null when there is no device.
 */
function blkioStats(raw: RawStats): Record<string, BlkioEntry[] | null> {
  const out: Record<string, BlkioEntry[] | null> = {};
  for (const key of BLKIO_KEYS) {
    const entries = raw.blkio?.[key];
    if (raw.version === 1) out[key] = raw.blkio ? entries ?? [] : null;
    else out[key] = entries?.length ? entries : null;
  }
  return out;
}

function pidsStats(raw: RawStats): Record<string, number> {
  const out: Record<string, number> = {};
  putNonZero(out, 'current', raw.pids.current);
  // "max" parses as undefined: no limit, which the API writes as an absent limit.
  putNonZero(out, 'limit', raw.pids.limit);
  return out;
}

export function toDockerStats(cur: RawStats, prev: RawStats | undefined, meta: StatsMeta): Record<string, unknown> {
  const out: Record<string, unknown> = {
    read: cur.readAt.toISOString(),
    preread: prev ? prev.readAt.toISOString() : GO_ZERO_TIME,
    pids_stats: pidsStats(cur),
    blkio_stats: blkioStats(cur),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur, meta.ncpu),
    precpu_stats: cpuStats(prev, meta.ncpu),
    memory_stats: memoryStats(cur, meta.memTotal),
    name: meta.name.startsWith('/') ? meta.name : `/${meta.name}`,
    id: meta.id,
  };
  if (meta.networks) out.networks = meta.networks;
  return out;
}
