import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerCliStats, makeTree, removeTree } from './fixtures.js';
import { readCgroupStats, toDockerStats, type CgroupLayout } from './index.js';

const MiB = 1024 * 1024;
const MEM_TOTAL = 2048 * MiB;

/** A v2 cgroup for cgroupsPath "/berth/abc" with memory, cpu, pids and io enabled. */
const V2_FILES: Record<string, string> = {
  'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
  'berth/abc/memory.current': `${64 * MiB}\n`,
  'berth/abc/memory.max': 'max\n',
  'berth/abc/memory.stat': [
    `anon ${30 * MiB}`, `file ${30 * MiB}`, 'kernel_stack 65536', `inactive_file ${16 * MiB}`,
    `active_file ${14 * MiB}`, 'workingset_refault_anon 0', 'pgfault 1234', '',
  ].join('\n'),
  'berth/abc/memory.events': 'low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\noom_group_kill 0\n',
  'berth/abc/cpu.stat': [
    'usage_usec 2500000', 'user_usec 2000000', 'system_usec 500000', 'core_sched.force_idle_usec 0',
    'nr_periods 20', 'nr_throttled 5', 'throttled_usec 70000', 'nr_bursts 0', 'burst_usec 0', '',
  ].join('\n'),
  'berth/abc/pids.current': '3\n',
  'berth/abc/pids.max': 'max\n',
  'berth/abc/io.stat': '8:0 rbytes=1048576 wbytes=2097152 rios=10 wios=20 dbytes=0 dios=0\n259:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
};

async function fixture(t: { after: (fn: () => Promise<void>) => void }, files = V2_FILES): Promise<CgroupLayout> {
  const root = await makeTree(files);
  t.after(() => removeTree(root));
  return { version: 2, root };
}

test('readCgroupStats reads a v2 cgroup: microseconds become nanoseconds, "max" means no limit', async (t) => {
  const raw = await readCgroupStats(await fixture(t), '/berth/abc');
  assert.ok(raw);
  assert.equal(raw.version, 2);
  assert.deepEqual(raw.cpu, {
    totalNs: 2.5e9, userNs: 2e9, kernelNs: 5e8, periods: 20, throttledPeriods: 5, throttledNs: 7e7,
  });
  assert.equal(raw.memory.usageBytes, 64 * MiB);
  assert.equal(raw.memory.limitBytes, undefined);
  assert.equal(raw.memory.failcnt, 2, 'memory.events oom, as dockerd reports failcnt on v2');
  assert.deepEqual(raw.pids, { current: 3, limit: undefined });
});

test('toDockerStats gives dockerd\'s v2 JSON, and the docker CLI computes the right columns from it', async (t) => {
  const raw = await readCgroupStats(await fixture(t), '/berth/abc');
  assert.ok(raw);
  const cur = { ...raw, systemCpuNs: 5e11 + 2e9 };
  const prev = { ...raw, systemCpuNs: 5e11, cpu: { ...raw.cpu, totalNs: 2e9 } };
  const json = JSON.parse(JSON.stringify(toDockerStats(cur, prev, { id: 'abc', name: 'db', memTotal: MEM_TOTAL, ncpu: 4 })));

  assert.deepEqual(json.cpu_stats, {
    cpu_usage: { total_usage: 2.5e9, usage_in_kernelmode: 5e8, usage_in_usermode: 2e9 },
    system_cpu_usage: 5e11 + 2e9,
    online_cpus: 4,
    throttling_data: { periods: 20, throttled_periods: 5, throttled_time: 7e7 },
  });
  assert.equal(json.cpu_stats.cpu_usage.percpu_usage, undefined, 'v2 has no per-CPU usage');
  assert.equal(json.memory_stats.usage, 64 * MiB);
  assert.equal(json.memory_stats.max_usage, undefined, 'dockerd reports no max_usage on v2');
  assert.equal(json.memory_stats.limit, MEM_TOTAL, 'memory.max "max": the host memory');
  assert.equal(json.memory_stats.failcnt, 2);
  assert.equal(Object.keys(json.memory_stats.stats).length, 31);
  assert.equal(json.memory_stats.stats.inactive_file, 16 * MiB);
  assert.equal(json.memory_stats.stats.total_inactive_file, undefined, 'the CLI tells v1 from v2 by this key');
  assert.equal(json.memory_stats.stats.workingset_refault, 0);
  assert.deepEqual(json.pids_stats, { current: 3 });
  assert.deepEqual(json.blkio_stats, {
    io_service_bytes_recursive: [
      { major: 8, minor: 0, op: 'read', value: 1048576 }, { major: 8, minor: 0, op: 'write', value: 2097152 },
      { major: 259, minor: 0, op: 'read', value: 100 }, { major: 259, minor: 0, op: 'write', value: 0 },
    ],
    io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
    io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
  });

  assert.deepEqual(dockerCliStats(json), {
    cpuPercent: 100, // 0.5 s of 2 s host CPU time, over 4 CPUs
    memory: 48 * MiB, // usage minus inactive_file
    memoryLimit: MEM_TOTAL,
    memoryPercent: (48 / 2048) * 100,
    blockRead: 1048676,
    blockWrite: 2097152,
    netRx: 0,
    netTx: 0,
    pids: 3,
  });
});

test('a v2 cgroup with a memory limit and no io.stat', async (t) => {
  const files: Record<string, string> = { ...V2_FILES, 'berth/abc/memory.max': `${128 * MiB}\n`, 'berth/abc/pids.max': '100\n' };
  delete files['berth/abc/io.stat'];
  const raw = await readCgroupStats(await fixture(t, files), '/berth/abc');
  assert.ok(raw);
  const json = JSON.parse(JSON.stringify(toDockerStats(raw, undefined, { id: 'abc', name: 'db', memTotal: MEM_TOTAL, ncpu: 4 })));
  assert.equal(json.memory_stats.limit, 128 * MiB);
  assert.deepEqual(json.pids_stats, { current: 3, limit: 100 });
  assert.equal(json.blkio_stats.io_service_bytes_recursive, null);
  assert.equal(dockerCliStats(json).memoryPercent, 37.5);
});

test('a vanished v2 cgroup reads as undefined', async (t) => {
  assert.equal(await readCgroupStats(await fixture(t), '/berth/gone'), undefined);
});
