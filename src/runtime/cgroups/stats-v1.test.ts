import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dockerCliStats, makeTree, removeTree } from './fixtures.js';
import { readCgroupStats, toDockerStats, type CgroupLayout } from './index.js';

const MiB = 1024 * 1024;
const MEM_TOTAL = 2048 * MiB;

/** A v1 cgroup as runc's cgroupfs driver leaves it for cgroupsPath "/berth/abc". */
const V1_FILES: Record<string, string> = {
  'memory/berth/abc/memory.usage_in_bytes': `${100 * MiB}\n`,
  'memory/berth/abc/memory.max_usage_in_bytes': `${150 * MiB}\n`,
  'memory/berth/abc/memory.limit_in_bytes': `${256 * MiB}\n`,
  'memory/berth/abc/memory.failcnt': '3\n',
  'memory/berth/abc/memory.stat': [
    `cache ${40 * MiB}`, `rss ${50 * MiB}`, 'rss_huge 0', 'shmem 4096', 'mapped_file 8192',
    `inactive_file ${20 * MiB}`, `hierarchical_memory_limit ${256 * MiB}`,
    'hierarchical_memsw_limit 9223372036854771712', `total_cache ${40 * MiB}`, `total_rss ${50 * MiB}`,
    `total_inactive_file ${20 * MiB}`, `total_active_file ${20 * MiB}`, '',
  ].join('\n'),
  'cpuacct/berth/abc/cpuacct.usage': '5000000000\n',
  'cpuacct/berth/abc/cpuacct.usage_percpu': '3000000000 2000000000 \n',
  'cpuacct/berth/abc/cpuacct.stat': 'user 300\nsystem 150\n',
  'cpu/berth/abc/cpu.stat': 'nr_periods 10\nnr_throttled 2\nthrottled_time 5000000\nnr_bursts 0\nburst_time 0\n',
  'pids/berth/abc/pids.current': '7\n',
  'pids/berth/abc/pids.max': 'max\n',
  'blkio/berth/abc/blkio.throttle.io_service_bytes': [
    '8:0 Read 4096', '8:0 Write 8192', '8:0 Sync 12288', '8:0 Async 0', '8:0 Discard 0', '8:0 Total 12288',
    '8:16 Read 1000', '8:16 Write 24', 'Total 13312', '',
  ].join('\n'),
  'blkio/berth/abc/blkio.throttle.io_serviced': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
};

async function fixture(t: { after: (fn: () => Promise<void>) => void }, files = V1_FILES): Promise<CgroupLayout> {
  const root = await makeTree(files);
  t.after(() => removeTree(root));
  return { version: 1, root };
}

test('readCgroupStats reads every v1 controller file into raw numbers', async (t) => {
  const raw = await readCgroupStats(await fixture(t), '/berth/abc');
  assert.ok(raw);
  assert.equal(raw.version, 1);
  assert.deepEqual(raw.cpu, {
    totalNs: 5e9, perCpuNs: [3e9, 2e9], userNs: 3e9, kernelNs: 1.5e9,
    periods: 10, throttledPeriods: 2, throttledNs: 5e6,
  });
  assert.equal(raw.memory.usageBytes, 100 * MiB);
  assert.equal(raw.memory.maxUsageBytes, 150 * MiB);
  assert.equal(raw.memory.limitBytes, 256 * MiB);
  assert.equal(raw.memory.failcnt, 3);
  assert.equal(raw.memory.stat?.total_inactive_file, 20 * MiB);
  assert.deepEqual(raw.pids, { current: 7, limit: undefined });
  assert.equal(raw.blkio?.io_service_bytes_recursive?.length, 8);
  assert.deepEqual(raw.blkio?.io_serviced_recursive, [
    { major: 8, minor: 0, op: 'Read', value: 1 }, { major: 8, minor: 0, op: 'Write', value: 2 },
  ]);
  assert.ok(raw.systemCpuNs && raw.systemCpuNs > 0, 'system CPU time sampled from /proc/stat');
});

test('toDockerStats gives dockerd\'s v1 JSON, and the docker CLI computes the right columns from it', async (t) => {
  const layout = await fixture(t);
  const raw = await readCgroupStats(layout, '/berth/abc');
  assert.ok(raw);
  const cur = { ...raw, systemCpuNs: 1e12 + 4e9 };
  const prev = { ...raw, readAt: new Date(raw.readAt.getTime() - 1000), systemCpuNs: 1e12, cpu: { ...raw.cpu, totalNs: 4e9 } };
  const networks = { eth0: { rx_bytes: 1500, tx_bytes: 700, rx_packets: 3, tx_packets: 2, rx_errors: 0, tx_errors: 0, rx_dropped: 0, tx_dropped: 0 } };
  const json = JSON.parse(JSON.stringify(toDockerStats(cur, prev, { id: 'abc', name: 'web', memTotal: MEM_TOTAL, ncpu: 2, networks })));

  assert.equal(json.name, '/web');
  assert.equal(json.id, 'abc');
  assert.equal(json.read, raw.readAt.toISOString());
  assert.equal(json.preread, prev.readAt.toISOString());
  assert.equal(json.num_procs, 0);
  assert.deepEqual(json.storage_stats, {});
  assert.deepEqual(json.pids_stats, { current: 7 }, 'no limit: omitted, as Go omitempty does for 0');
  assert.deepEqual(json.cpu_stats, {
    cpu_usage: { total_usage: 5e9, percpu_usage: [3e9, 2e9], usage_in_kernelmode: 1.5e9, usage_in_usermode: 3e9 },
    system_cpu_usage: 1e12 + 4e9,
    online_cpus: 2,
    throttling_data: { periods: 10, throttled_periods: 2, throttled_time: 5e6 },
  });
  assert.equal(json.precpu_stats.cpu_usage.total_usage, 4e9);
  assert.equal(json.precpu_stats.system_cpu_usage, 1e12);
  assert.equal(json.memory_stats.usage, 100 * MiB);
  assert.equal(json.memory_stats.max_usage, 150 * MiB);
  assert.equal(json.memory_stats.limit, 256 * MiB);
  assert.equal(json.memory_stats.failcnt, 3);
  assert.equal(Object.keys(json.memory_stats.stats).length, 32, 'exactly the keys dockerd copies');
  assert.equal(json.memory_stats.stats.total_inactive_file, 20 * MiB);
  assert.equal(json.memory_stats.stats.pgfault, 0, 'a key the kernel did not write reads 0');
  assert.equal(json.memory_stats.stats.shmem, undefined, 'dockerd does not copy shmem on v1');
  assert.deepEqual(json.blkio_stats.io_serviced_recursive, [
    { major: 8, minor: 0, op: 'Read', value: 1 }, { major: 8, minor: 0, op: 'Write', value: 2 },
  ]);
  assert.deepEqual(json.blkio_stats.sectors_recursive, [], 'v1 lists are [] when empty, never null');
  assert.deepEqual(json.networks, networks);

  assert.deepEqual(dockerCliStats(json), {
    cpuPercent: 50, // 1 s of 4 s host CPU time, over 2 CPUs
    memory: 80 * MiB, // usage minus total_inactive_file
    memoryLimit: 256 * MiB,
    memoryPercent: 31.25,
    blockRead: 5096,
    blockWrite: 8216,
    netRx: 1500,
    netTx: 700,
    pids: 7,
  });
});

test('an unlimited v1 cgroup reports the host memory as its limit', async (t) => {
  const files = { ...V1_FILES, 'memory/berth/abc/memory.limit_in_bytes': '9223372036854771712\n' };
  const raw = await readCgroupStats(await fixture(t, files), '/berth/abc');
  assert.ok(raw);
  const json = JSON.parse(JSON.stringify(toDockerStats(raw, undefined, { id: 'abc', name: '/web', memTotal: MEM_TOTAL, ncpu: 2 })));
  assert.equal(json.memory_stats.limit, MEM_TOTAL);
  assert.equal(json.name, '/web');
  assert.equal(json.networks, undefined);
  assert.equal(dockerCliStats(json).memoryPercent, (80 * MiB / MEM_TOTAL) * 100);
  // hierarchical_memsw_limit (2^63 - 4096) is above 2^53 yet still a uint64 a Go client decodes.
  assert.equal(json.memory_stats.stats.hierarchical_memsw_limit, 9223372036854771712);
});

test('the first sample has zero precpu_stats and Go\'s zero preread', async (t) => {
  const raw = await readCgroupStats(await fixture(t), '/berth/abc');
  assert.ok(raw);
  const first = { ...raw, systemCpuNs: 1e12 };
  const json = JSON.parse(JSON.stringify(toDockerStats(first, undefined, { id: 'abc', name: 'web', memTotal: MEM_TOTAL, ncpu: 2 })));
  assert.equal(json.preread, '0001-01-01T00:00:00Z');
  assert.deepEqual(json.precpu_stats, {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  // As with dockerd's first streamed sample, the CLI then shows the share of all CPU time
  // since boot: 5 s of 1000 s over 2 CPUs.
  assert.equal(dockerCliStats(json).cpuPercent, 1);
});

test('blkio uses the CFQ recursive files when they hold entries, as containerd does', async (t) => {
  const files = {
    ...V1_FILES,
    'blkio/berth/abc/blkio.io_serviced_recursive': '8:0 Read 5\n8:0 Write 6\nTotal 11\n',
    'blkio/berth/abc/blkio.io_service_bytes_recursive': '8:0 Read 500\n8:0 Write 600\nTotal 1100\n',
    'blkio/berth/abc/blkio.sectors_recursive': '8:0 42\n',
  };
  const raw = await readCgroupStats(await fixture(t, files), '/berth/abc');
  assert.ok(raw);
  const json = JSON.parse(JSON.stringify(toDockerStats(raw, undefined, { id: 'abc', name: 'web', memTotal: MEM_TOTAL, ncpu: 2 })));
  assert.deepEqual(json.blkio_stats.sectors_recursive, [{ major: 8, minor: 0, op: '', value: 42 }]);
  assert.deepEqual(json.blkio_stats.io_queue_recursive, []);
  assert.deepEqual([dockerCliStats(json).blockRead, dockerCliStats(json).blockWrite], [500, 600]);
});

test('a cgroup with controllers missing yields undefined fields, never an error', async (t) => {
  const files = {
    'memory/berth/abc/memory.usage_in_bytes': '4096\n',
  };
  const raw = await readCgroupStats(await fixture(t, files), '/berth/abc');
  assert.ok(raw);
  assert.equal(raw.memory.usageBytes, 4096);
  assert.equal(raw.memory.stat, undefined);
  assert.equal(raw.cpu.totalNs, undefined);
  assert.equal(raw.pids.current, undefined);
  assert.equal(raw.blkio, undefined);
  const json = JSON.parse(JSON.stringify(toDockerStats(raw, undefined, { id: 'abc', name: 'web', memTotal: MEM_TOTAL, ncpu: 2 })));
  assert.deepEqual(json.pids_stats, {});
  assert.equal(json.blkio_stats.io_service_bytes_recursive, null, 'no blkio controller: null, as dockerd');
  assert.deepEqual(json.memory_stats, { usage: 4096, limit: MEM_TOTAL });
  assert.equal(dockerCliStats(json).memory, 4096);
});

test('a vanished cgroup reads as undefined', async (t) => {
  const layout = await fixture(t);
  assert.equal(await readCgroupStats(layout, '/berth/gone'), undefined);
});
