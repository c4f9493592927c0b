import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults } from '../config/index.js';
import { fakeSysInfo, type SysInfo } from '../sysinfo/index.js';
import { SystemService, type HostFacts } from './index.js';

const HOST: HostFacts = {
  kernelVersion: '6.1.0', operatingSystem: 'Debian GNU/Linux 12 (bookworm)', osVersion: '12', ncpu: 2, memTotal: 1 << 30, cgroupVersion: '1',
  backingFilesystem: 'extfs', runtimeCommits: { runc: 'v1.1.5' }, initVersion: 'N/A',
};
const COUNTS = { images: 0, containers: 0, running: 0, paused: 0, stopped: 0, eventListeners: 0 };
const info = (s: SysInfo, host: HostFacts = HOST) => new SystemService(defaults(), host, s, 'engine-id', () => COUNTS).info();

test('/info reports the probe: its booleans, and dockerd\'s warnings for what is missing', () => {
  const full = info(fakeSysInfo());
  assert.deepEqual(
    [full.MemoryLimit, full.SwapLimit, full.KernelMemory, full.KernelMemoryTCP, full.CpuCfsPeriod, full.CpuCfsQuota, full.CPUShares, full.CPUSet, full.PidsLimit, full.OomKillDisable, full.IPv4Forwarding, full.BridgeNfIptables, full.BridgeNfIp6tables],
    [true, true, true, true, true, true, true, true, true, true, true, true, true],
  );
  assert.equal(full.Warnings, null);
  assert.deepEqual(full.SecurityOptions, ['name=seccomp,profile=builtin']);

  const poor = info(fakeSysInfo({ swapLimit: false, oomKillDisable: false, cpuCfs: false, pidsLimit: false, blkioWeight: false, blkioReadBpsDevice: false, ipv4Forwarding: false, seccomp: false, appArmor: true }));
  assert.deepEqual(
    [poor.SwapLimit, poor.OomKillDisable, poor.CpuCfsPeriod, poor.CpuCfsQuota, poor.PidsLimit, poor.IPv4Forwarding],
    [false, false, false, false, false, false],
  );
  // No blkio weight warning on cgroup v1: dockerd dropped it (moby#41894), nobody can act on it.
  assert.deepEqual(poor.Warnings, [
    'WARNING: No swap limit support', 'WARNING: No oom kill disable support', 'WARNING: No cpu cfs quota support', 'WARNING: No cpu cfs period support',
    'WARNING: No blkio throttle.read_bps_device support', 'WARNING: IPv4 forwarding is disabled',
  ]);
  assert.deepEqual(poor.SecurityOptions, ['name=apparmor']);
});

test('/info on cgroup v2: io.* warnings and cgroupns, no OOM-killer warning', () => {
  const v2 = info(fakeSysInfo({ cgroupVersion: 2, oomKillDisable: false, kernelMemory: false, kernelMemoryTCP: false, blkioWeight: false, blkioWeightDevice: false }), { ...HOST, cgroupVersion: '2' });
  assert.deepEqual(v2.Warnings, ['WARNING: No io.weight support', 'WARNING: No io.weight (per device) support']);
  assert.deepEqual(v2.SecurityOptions, ['name=seccomp,profile=builtin', 'name=cgroupns']);
});
