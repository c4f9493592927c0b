import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { infoWarnings, probeSysInfo, type ProbeRoots } from './index.js';

/** A fake host: `files` are paths under one temporary root, with their contents. */
function fakeHost(t: TestContext, files: Record<string, string>): ProbeRoots {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-sysinfo-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { cgroup: path.join(root, 'cgroup'), proc: path.join(root, 'proc'), security: path.join(root, 'security') };
}

const PROC = {
  'proc/self/status': 'Name:\tnode\nSeccomp:\t0\nSeccomp_filters:\t0\n',
  'proc/sys/kernel/seccomp/actions_avail': 'kill_process kill_thread trap errno user_notif trace log allow\n',
  'proc/self/ns/cgroup': '',
  'proc/sys/net/ipv4/ip_forward': '1\n',
  'proc/sys/net/bridge/bridge-nf-call-iptables': '1\n',
  'proc/sys/net/bridge/bridge-nf-call-ip6tables': '1\n',
};

/** This machine kind (Linux 6.x, hybrid cgroups, no BFQ): every v1 file but a blkio weight. */
const V1_NO_WEIGHT = {
  ...PROC,
  'cgroup/memory/memory.limit_in_bytes': '', 'cgroup/memory/memory.memsw.limit_in_bytes': '', 'cgroup/memory/memory.soft_limit_in_bytes': '',
  'cgroup/memory/memory.oom_control': '', 'cgroup/memory/memory.swappiness': '', 'cgroup/memory/memory.kmem.limit_in_bytes': '',
  'cgroup/memory/memory.kmem.tcp.limit_in_bytes': '',
  'cgroup/cpu/cpu.shares': '', 'cgroup/cpu/cpu.cfs_quota_us': '', 'cgroup/cpu/cpu.cfs_period_us': '', 'cgroup/cpu/cpu.rt_period_us': '',
  'cgroup/cpuset/cpuset.cpus': '0-1\n', 'cgroup/cpuset/cpuset.mems': '0\n',
  'cgroup/blkio/blkio.throttle.read_bps_device': '', 'cgroup/blkio/blkio.throttle.write_bps_device': '',
  'cgroup/blkio/blkio.throttle.read_iops_device': '', 'cgroup/blkio/blkio.throttle.write_iops_device': '',
  'cgroup/pids/tasks': '', 'cgroup/freezer/tasks': '',
  'cgroup/unified/cgroup.controllers': '',
};

test('cgroup v1 without blkio.weight (this machine kind): weight unsupported, throttles and the rest supported', (t) => {
  const s = probeSysInfo(fakeHost(t, V1_NO_WEIGHT));
  assert.equal(s.cgroupVersion, 1);
  assert.deepEqual(
    { weight: s.blkioWeight, weightDevice: s.blkioWeightDevice, readBps: s.blkioReadBpsDevice, writeBps: s.blkioWriteBpsDevice, readIOps: s.blkioReadIOpsDevice, writeIOps: s.blkioWriteIOpsDevice },
    { weight: false, weightDevice: false, readBps: true, writeBps: true, readIOps: true, writeIOps: true },
  );
  assert.deepEqual(
    [s.memoryLimit, s.swapLimit, s.memoryReservation, s.oomKillDisable, s.memorySwappiness, s.kernelMemory, s.kernelMemoryTCP],
    [true, true, true, true, true, true, true],
  );
  assert.deepEqual([s.cpuShares, s.cpuCfs, s.cpuRealtime, s.cpuset, s.cpus, s.mems], [true, true, true, true, '0-1', '0']);
  assert.deepEqual([s.pidsLimit, s.freezer, s.cgroupNamespaces, s.seccomp, s.appArmor], [true, true, true, true, false]);
  assert.deepEqual([s.ipv4Forwarding, s.bridgeNfIptables, s.bridgeNfIp6tables], [true, true, true]);
  assert.deepEqual(s.warnings, ['Your kernel does not support cgroup blkio weight', 'Your kernel does not support cgroup blkio weight_device']);
  // dockerd says nothing in `docker info` about a v1 blkio weight: no user can act on it.
  assert.deepEqual(infoWarnings(s), []);
});

test('cgroup v1 with blkio.weight (CFQ), or BFQ\'s blkio.bfq.weight that runc falls back to: weight supported', (t) => {
  const cfq = probeSysInfo(fakeHost(t, { ...V1_NO_WEIGHT, 'cgroup/blkio/blkio.weight': '500\n', 'cgroup/blkio/blkio.weight_device': '' }));
  assert.deepEqual([cfq.blkioWeight, cfq.blkioWeightDevice, cfq.warnings.length], [true, true, 0]);
  const bfq = probeSysInfo(fakeHost(t, { ...V1_NO_WEIGHT, 'cgroup/blkio/blkio.bfq.weight': '100\n', 'cgroup/blkio/blkio.bfq.weight_device': '' }));
  assert.deepEqual([bfq.blkioWeight, bfq.blkioWeightDevice, bfq.warnings.length], [true, true, 0]);
});

test('cgroup v1 with little mounted: each missing piece in dockerd\'s words, at start and in docker info', (t) => {
  const s = probeSysInfo(fakeHost(t, {
    'proc/self/status': 'Name:\tnode\n', 'proc/sys/net/ipv4/ip_forward': '0\n',
    'cgroup/memory/memory.limit_in_bytes': '', 'cgroup/cpu/cpu.shares': '',
  }));
  assert.deepEqual([s.memoryLimit, s.swapLimit, s.oomKillDisable, s.cpuShares, s.cpuCfs, s.cpuset, s.pidsLimit, s.seccomp, s.cgroupNamespaces, s.ipv4Forwarding], [true, false, false, true, false, false, false, false, false, false]);
  assert.deepEqual(s.warnings, [
    'Your kernel does not support swap memory limit', 'Your kernel does not support memory reservation', 'Your kernel does not support oom control',
    'Your kernel does not support memory swappiness', 'Your kernel does not support CPU CFS scheduler', 'Your kernel does not support CPU realtime scheduler',
    'Unable to find blkio cgroup in mounts', 'Unable to find cpuset cgroup in mounts', 'Unable to find pids cgroup in mounts', 'Unable to find freezer cgroup in mounts',
  ]);
  assert.deepEqual(infoWarnings(s), [
    'WARNING: No swap limit support', 'WARNING: No kernel memory TCP limit support', 'WARNING: No oom kill disable support',
    'WARNING: No cpu cfs quota support', 'WARNING: No cpu cfs period support', 'WARNING: No cpuset support',
    'WARNING: No blkio throttle.read_bps_device support', 'WARNING: No blkio throttle.write_bps_device support',
    'WARNING: No blkio throttle.read_iops_device support', 'WARNING: No blkio throttle.write_iops_device support',
    'WARNING: IPv4 forwarding is disabled', 'WARNING: bridge-nf-call-iptables is disabled', 'WARNING: bridge-nf-call-ip6tables is disabled',
  ]);
});

test('cgroup v2: controllers from cgroup.controllers; no swappiness, kernel memory or OOM switch; io.* warnings', (t) => {
  const full = probeSysInfo(fakeHost(t, {
    ...PROC, 'proc/swaps': '', 'proc/self/cgroup': '0::/init.scope\n',
    'cgroup/cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc\n',
    'cgroup/cpuset.cpus.effective': '0-3\n', 'cgroup/cpuset.mems.effective': '0\n', 'cgroup/init.scope/cgroup.freeze': '0\n',
    'security/apparmor/profiles': '',
  }));
  assert.equal(full.cgroupVersion, 2);
  assert.deepEqual(
    [full.memoryLimit, full.swapLimit, full.memoryReservation, full.memorySwappiness, full.kernelMemory, full.oomKillDisable, full.cpuShares, full.cpuCfs, full.cpuRealtime],
    [true, true, true, false, false, false, true, true, false],
  );
  assert.deepEqual([full.blkioWeight, full.blkioWriteIOpsDevice, full.cpus, full.mems, full.pidsLimit, full.freezer, full.appArmor], [true, true, '0-3', '0', true, true, true]);
  assert.deepEqual(full.warnings, []);
  assert.deepEqual(infoWarnings(full), []);

  const noIo = probeSysInfo(fakeHost(t, { ...PROC, 'proc/swaps': '', 'cgroup/cgroup.controllers': 'cpu memory pids\n' }));
  assert.deepEqual(noIo.warnings, ['Unable to find io controller', 'Unable to find cpuset controller', 'Unable to find freezer support (cgroup.freeze)']);
  assert.deepEqual(infoWarnings(noIo), [
    'WARNING: No cpuset support', 'WARNING: No io.weight support', 'WARNING: No io.weight (per device) support',
    'WARNING: No io.max (rbps) support', 'WARNING: No io.max (wbps) support', 'WARNING: No io.max (riops) support', 'WARNING: No io.max (wiops) support',
  ]);
});

test('this host: the probe reads the real files and agrees with them', () => {
  const s = probeSysInfo();
  assert.equal(s.cgroupVersion, existsSync('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1);
  if (s.cgroupVersion === 1) {
    const blkio = '/sys/fs/cgroup/blkio';
    assert.equal(s.blkioWeight, ['blkio.weight', 'blkio.bfq.weight'].some((f) => existsSync(`${blkio}/${f}`)));
    assert.equal(s.blkioReadBpsDevice, existsSync(`${blkio}/blkio.throttle.read_bps_device`));
    assert.equal(s.swapLimit, existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'));
  }
  assert.equal(s.cgroupNamespaces, existsSync('/proc/self/ns/cgroup'));
});
