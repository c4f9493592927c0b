/**
 * `stats` numbers and rows (docker/cli container/stats_helpers.go, formatter_stats.go):
 * CPU % from the delta against the previous sample, memory without the page cache
 * (inactive_file), network and block I/O totals, and the table's columns.
 */
import type { ContainerStatsResponse } from '../../client/index.js';
import { makeRow } from './formatter.js';
import { formatFixed } from './go-float.js';
import { bytesSize, humanSizeWithPrecision, truncateId } from './units.js';

export interface StatsEntry {
  /** The name or ID the user gave (or the short ID when listing all). */
  container: string;
  name: string;
  id: string;
  cpuPercentage: number;
  memory: number;
  memoryLimit: number;
  memoryPercentage: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pidsCurrent: number;
  isInvalid: boolean;
}

export const DEFAULT_STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';
export const WINDOWS_STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.NetIO}}\t{{.BlockIO}}';

export function emptyStats(container: string): StatsEntry {
  return {
    container, name: '', id: '', cpuPercentage: 0, memory: 0, memoryLimit: 0, memoryPercentage: 0,
    networkRx: 0, networkTx: 0, blockRead: 0, blockWrite: 0, pidsCurrent: 0, isInvalid: false,
  };
}

/** calculateCPUPercentUnix: the container's share of the host's CPU time since the previous sample. */
export function cpuPercentUnix(v: ContainerStatsResponse): number {
  const cpuDelta = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (v.cpu_stats?.system_cpu_usage ?? 0) - (v.precpu_stats?.system_cpu_usage ?? 0);
  let online = v.cpu_stats?.online_cpus ?? 0;
  if (online === 0) online = v.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** calculateCPUPercentWindows: used 100ns intervals over the possible ones. */
export function cpuPercentWindows(v: ContainerStatsResponse): number {
  const read = Date.parse(v.read ?? '');
  const preRead = Date.parse(v.preread ?? '');
  const possible = Math.trunc(Math.max(0, (read - preRead) * 1e6) / 100) * (v.num_procs ?? 0);
  const used = (v.cpu_stats?.cpu_usage?.total_usage ?? 0) - (v.precpu_stats?.cpu_usage?.total_usage ?? 0);
  return possible > 0 ? (used / possible) * 100 : 0;
}

/** calculateMemUsageUnixNoCache: usage minus inactive file pages (cgroup v1 or v2 key). */
export function memUsageNoCache(mem: ContainerStatsResponse['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const stats = mem?.stats ?? {};
  const v1 = stats.total_inactive_file;
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats.inactive_file ?? 0;
  if (v2 < usage) return usage - v2;
  return usage;
}

export function blockIo(v: ContainerStatsResponse): [number, number] {
  let read = 0;
  let write = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  return [read, write];
}

export function networkIo(v: ContainerStatsResponse): [number, number] {
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  return [rx, tx];
}

/** One sample as collect() turns it into an entry. */
export function statsEntryOf(container: string, v: ContainerStatsResponse, osType: string): StatsEntry {
  const e = emptyStats(container);
  e.name = v.name ?? '';
  e.id = v.id ?? '';
  if (osType !== 'windows') {
    e.cpuPercentage = cpuPercentUnix(v);
    [e.blockRead, e.blockWrite] = blockIo(v);
    e.memory = memUsageNoCache(v.memory_stats);
    e.memoryLimit = v.memory_stats?.limit ?? 0;
    e.memoryPercentage = e.memoryLimit !== 0 ? (e.memory / e.memoryLimit) * 100 : 0;
    e.pidsCurrent = v.pids_stats?.current ?? 0;
  } else {
    e.cpuPercentage = cpuPercentWindows(v);
    e.blockRead = v.storage_stats?.read_size_bytes ?? 0;
    e.blockWrite = v.storage_stats?.write_size_bytes ?? 0;
    e.memory = v.memory_stats?.privateworkingset ?? 0;
  }
  [e.networkRx, e.networkTx] = networkIo(v);
  return e;
}

const percent = (v: number): string => `${formatFixed(v, 2)}%`;

export function statsHeader(osType: string): Record<string, string> {
  return {
    Container: 'CONTAINER', Name: 'NAME', ID: 'CONTAINER ID', CPUPerc: 'CPU %', MemUsage: osType === 'windows' ? 'PRIV WORKING SET' : 'MEM USAGE / LIMIT',
    MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
  };
}

/** statsContext: the row a stats template sees. */
export function statsRow(s: StatsEntry, osType: string, trunc: boolean) {
  const windows = osType === 'windows';
  return makeRow('*container.statsContext', {
    Container: s.container,
    Name: s.name.length > 1 ? s.name.slice(1) : '--',
    ID: trunc ? truncateId(s.id) : s.id,
    CPUPerc: s.isInvalid ? '--' : percent(s.cpuPercentage),
    MemUsage: s.isInvalid ? '-- / --' : windows ? bytesSize(s.memory) : `${bytesSize(s.memory)} / ${bytesSize(s.memoryLimit)}`,
    MemPerc: s.isInvalid || windows ? '--' : percent(s.memoryPercentage),
    NetIO: s.isInvalid ? '--' : `${humanSizeWithPrecision(s.networkRx, 3)} / ${humanSizeWithPrecision(s.networkTx, 3)}`,
    BlockIO: s.isInvalid ? '--' : `${humanSizeWithPrecision(s.blockRead, 3)} / ${humanSizeWithPrecision(s.blockWrite, 3)}`,
    PIDs: s.isInvalid || windows ? '--' : String(s.pidsCurrent),
  });
}

/** The default table for "table", else the format as given (NewStatsFormat). */
export function statsFormat(source: string, osType: string): string {
  if (source === 'table') return osType === 'windows' ? WINDOWS_STATS_TABLE : DEFAULT_STATS_TABLE;
  return source;
}

/**
 * One redraw of the streaming display exactly as docker 28 writes it: cursor home, the
 * table, then every line of what was written so far again followed by " ESC[K" (docker
 * re-appends to the buffer it is splitting, so the table shows twice), then ESC[J.
 */
export function streamFrame(table: string): string {
  const first = `\x1b[H${table}`;
  return `${first}${first.split('\n').map((line) => `${line} \x1b[K\n`).join('')}\x1b[J`;
}
