import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { fakeSysInfo } from '../sysinfo/index.js';
import type { HostConfig } from '../types/container.js';
import { parseSignal, validateCreate } from './validate.js';

const v = (host: Record<string, unknown>, config: Record<string, unknown> = {}) => validateCreate(config, host, ['runc', 'crun'], fakeSysInfo());

test('create settings are checked with dockerd\'s messages', () => {
  assert.throws(() => v({ RestartPolicy: { Name: 'sometimes' } }), { status: 400, message: "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'" });
  assert.throws(() => v({ RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } }), { message: "invalid restart policy: maximum retry count can only be used with 'on-failure'" });
  assert.throws(() => v({ AutoRemove: true, RestartPolicy: { Name: 'always' } }), { message: "can't create 'AutoRemove' container with restart policy" });
  assert.throws(() => v({ Memory: 1024 }), { message: 'Minimum memory limit allowed is 6MB' });
  assert.throws(() => v({ Memory: 64 << 20, MemorySwap: 32 << 20 }), { message: 'Minimum memoryswap limit should be larger than memory limit, see usage' });
  assert.throws(() => v({ NanoCpus: 1e9, CpuQuota: 50000 }), { message: 'Conflicting options: Nano CPUs and CPU Quota cannot both be set' });
  assert.throws(() => v({ CpuPeriod: 10 }), { message: 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)' });
  assert.throws(() => v({ OomScoreAdj: 2000 }), { message: 'Invalid value 2000, range for oom score adj is [-1000, 1000]' });
  assert.throws(() => v({ Runtime: 'kata' }), { message: 'unknown or invalid runtime name: kata' });
  assert.throws(() => v({}, { StopSignal: 'SIGNOPE' }), { message: 'Invalid signal: SIGNOPE' });
  assert.deepEqual(v({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, Memory: 64 << 20 }), []);
});

test('parseSignal reads names with or without SIG and numbers', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('10'), 10);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.throws(() => parseSignal('0'), { message: 'Invalid signal: 0' });
});

/**
 * What the host cannot honour is dropped with dockerd's warning, what it can is kept; the
 * HostConfig is changed in place, so the stored record shows what is applied. Regression:
 * berth warned "Weight discarded" on every host and then passed the weight to runc, which
 * failed on kernels without blkio.weight/blkio.bfq.weight (issue 17).
 */
describe('settings against the host\'s support (a fake sysinfo)', () => {
  const WEIGHT_WARNING = 'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.';
  const check = (host: HostConfig, sysInfo = fakeSysInfo(), isUpdate = false) => ({ warnings: validateCreate({}, host, ['runc'], sysInfo, { isUpdate }), host });

  it('a host with blkio.weight keeps --blkio-weight 300 without a word', () => {
    assert.deepEqual(check({ BlkioWeight: 300 }), { warnings: [], host: { BlkioWeight: 300 } });
  });

  it('a host without it warns in dockerd\'s words and drops the weight, at create and at update', () => {
    const noWeight = fakeSysInfo({ blkioWeight: false, blkioWeightDevice: false });
    assert.deepEqual(check({ BlkioWeight: 300 }, noWeight), { warnings: [WEIGHT_WARNING], host: { BlkioWeight: 0 } });
    assert.deepEqual(check({ BlkioWeight: 300, Memory: 64 << 20 }, noWeight, true), { warnings: [WEIGHT_WARNING], host: { BlkioWeight: 0, Memory: 64 << 20 } });
    assert.deepEqual(check({ BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }] }, noWeight), {
      warnings: ['Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.'], host: { BlkioWeightDevice: [] },
    });
    // An out-of-range weight is only refused where a weight could be applied at all, as dockerd does.
    assert.deepEqual(check({ BlkioWeight: 5 }, noWeight).warnings, [WEIGHT_WARNING]);
    assert.throws(() => check({ BlkioWeight: 5 }), { status: 400, message: 'Range of blkio weight is from 10 to 1000' });
  });

  it('each unsupported resource is dropped with its warning', () => {
    const none = fakeSysInfo({
      memoryLimit: false, swapLimit: false, memoryReservation: false, memorySwappiness: false, kernelMemory: false, oomKillDisable: false, pidsLimit: false,
      cpuShares: false, cpuCfs: false, cpuset: false, blkioReadBpsDevice: false, blkioWriteBpsDevice: false, blkioReadIOpsDevice: false, blkioWriteIOpsDevice: false,
      ipv4Forwarding: false, cgroupNamespaces: false,
    });
    const dev = [{ Path: '/dev/sda', Rate: 1 }];
    const r = check({
      Memory: 64 << 20, MemorySwappiness: 10, MemoryReservation: 32 << 20, KernelMemory: 16 << 20, OomKillDisable: true, PidsLimit: 20,
      CpuShares: 512, CpuPeriod: 50000, CpuQuota: 10000, CpusetCpus: '0', CpuPercent: 50,
      BlkioDeviceReadBps: dev, BlkioDeviceWriteBps: dev, BlkioDeviceReadIOps: dev, BlkioDeviceWriteIOps: dev, CgroupnsMode: 'private',
    }, none);
    assert.deepEqual(r.warnings, [
      'Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
      'Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Specifying a kernel memory limit is deprecated and will be removed in a future release.',
      'Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.',
      'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
      'Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.',
      'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
      'Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.',
      'linux does not support CPU percent. Percent discarded.',
      'Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.',
      'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.',
      'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.',
      'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.',
      'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.',
      'IPv4 forwarding is disabled. Networking will not work.',
      'Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.',
    ]);
    assert.deepEqual(r.host, {
      Memory: 0, MemorySwap: -1, MemorySwappiness: null, MemoryReservation: 0, KernelMemory: 0, OomKillDisable: null, PidsLimit: null,
      CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpusetCpus: '', CpusetMems: '', CpuPercent: 0,
      BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [], BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CgroupnsMode: 'host',
    });
  });

  it('a host with everything keeps every resource, warning only about what dockerd always warns about', () => {
    const host: HostConfig = { Memory: 64 << 20, MemorySwap: 128 << 20, MemorySwappiness: 10, MemoryReservation: 32 << 20, OomKillDisable: true, PidsLimit: 20, CpuShares: 512, CpuPeriod: 50000, CpuQuota: 10000, CpusetCpus: '0-1', CpusetMems: '0' };
    assert.deepEqual(check({ ...host }), { warnings: [], host });
    assert.deepEqual(check({ OomKillDisable: true }).warnings, ['OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.']);
    // A swap limit without swap accounting: the memory limit stays, the swap goes.
    assert.deepEqual(check({ Memory: 64 << 20 }, fakeSysInfo({ swapLimit: false })), {
      warnings: ['Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.'], host: { Memory: 64 << 20, MemorySwap: -1 },
    });
  });

  it('what dockerd refuses is refused whatever the host', () => {
    assert.throws(() => check({ NanoCpus: 1e9 }, fakeSysInfo({ cpuCfs: false })), { status: 400, message: 'NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted' });
    assert.throws(() => check({ CpuRealtimeRuntime: 1000 }, fakeSysInfo({ cpuRealtime: false })), { message: 'Your kernel does not support cgroup cpu real-time runtime' });
    assert.throws(() => check({ CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }), { message: 'cpu real-time runtime cannot be higher than cpu real-time period' });
    assert.throws(() => check({ IOMaximumBandwidth: 1 }), { message: 'Invalid QoS settings: linux does not support configuration of maximum bandwidth' });
    assert.throws(() => check({ IOMaximumIOps: 1 }, fakeSysInfo(), true), { message: 'Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps' });
    assert.throws(() => check({ CpusetCpus: '0-3' }), { message: 'Requested CPUs are not available - requested 0-3, available: 0-1' });
    assert.throws(() => check({ CpusetCpus: '1-x' }), { message: 'Invalid value 1-x for cpuset cpus: invalid format: 1-x' });
    assert.throws(() => check({ CpusetMems: '1' }), { message: 'Requested memory nodes are not available - requested 1, available: 0' });
    assert.throws(() => check({ MemoryReservation: 1024 }), { message: 'Minimum memory reservation allowed is 6MB' });
    assert.throws(() => check({ KernelMemory: 1024 }), { message: 'Minimum kernel memory limit allowed is 6MB' });
    assert.throws(() => check({ MemorySwap: 64 << 20 }), { message: 'You should always set the Memory limit when using Memoryswap limit, see usage' });
    assert.deepEqual(check({ MemorySwap: 64 << 20 }, fakeSysInfo(), true).warnings, []);
  });
});
