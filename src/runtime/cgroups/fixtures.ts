/**
 * Test support: fake cgroup trees under os.tmpdir() laid out as cgroupfs lays them out, and a
 * port of the docker CLI's `docker stats` arithmetic to check our JSON against.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Writes each relative path with its text under a fresh temp root; returns the root. */
export async function makeTree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'berth-cgroups-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

export async function removeTree(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

/** The stats JSON as a Go client sees it: numbers as uint64 (0 when absent). */
type Json = Record<string, any>;
const u = (v: unknown): number => {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 18446744073709551615) {
    throw new Error(`not a uint64 on the wire: ${String(v)}`);
  }
  return v;
};

/**
 * docker/cli cli/command/container/stats_helpers.go, the Unix branch of collect():
 * calculateCPUPercentUnix, calculateMemUsageUnixNoCache, calculateMemPercentUnixNoCache,
 * calculateBlockIO, calculateNetwork and PidsCurrent, from the decoded JSON.
 */
export function dockerCliStats(v: Json) {
  const cpuDelta = u(v.cpu_stats?.cpu_usage?.total_usage) - u(v.precpu_stats?.cpu_usage?.total_usage);
  const systemDelta = u(v.cpu_stats?.system_cpu_usage) - u(v.precpu_stats?.system_cpu_usage);
  let onlineCpus = u(v.cpu_stats?.online_cpus);
  if (onlineCpus === 0) onlineCpus = (v.cpu_stats?.cpu_usage?.percpu_usage ?? []).length;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * onlineCpus * 100 : 0;

  const mem = v.memory_stats ?? {};
  const usage = u(mem.usage);
  const stats: Record<string, unknown> = mem.stats ?? {};
  let memory = usage;
  if ('total_inactive_file' in stats && u(stats.total_inactive_file) < usage) memory = usage - u(stats.total_inactive_file);
  else if (u(stats.inactive_file) < usage) memory = usage - u(stats.inactive_file);
  const limit = u(mem.limit);
  const memoryPercent = limit !== 0 ? (memory / limit) * 100 : 0;

  let blockRead = 0;
  let blockWrite = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = String(e.op ?? '');
    if (op[0] === 'r' || op[0] === 'R') blockRead += u(e.value);
    if (op[0] === 'w' || op[0] === 'W') blockWrite += u(e.value);
  }
  let netRx = 0;
  let netTx = 0;
  for (const n of Object.values<Json>(v.networks ?? {})) {
    netRx += u(n.rx_bytes);
    netTx += u(n.tx_bytes);
  }
  return { cpuPercent, memory, memoryLimit: limit, memoryPercent, blockRead, blockWrite, netRx, netTx, pids: u(v.pids_stats?.current) };
}
