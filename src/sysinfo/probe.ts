import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';

/**
 * What the host's kernel and cgroups can honour, found once at berthd's start, as dockerd's
 * `pkg/sysinfo` finds it (sysinfo_linux.go for cgroup v1, cgroup2_linux.go for v2). Container
 * create and update drop what is false here, with dockerd's warnings; `/info` reports it.
 */
export interface SysInfo {
  cgroupVersion: 1 | 2;
  memoryLimit: boolean;
  swapLimit: boolean;
  memoryReservation: boolean;
  oomKillDisable: boolean;
  memorySwappiness: boolean;
  kernelMemory: boolean;
  kernelMemoryTCP: boolean;
  cpuShares: boolean;
  /** CFS quota and period (`cpu.cfs_quota_us`/`cpu.cfs_period_us`, or v2's `cpu.max`). */
  cpuCfs: boolean;
  cpuRealtime: boolean;
  cpuset: boolean;
  /** The CPUs and memory nodes a container may ask for ("0-1"); '' when unknown. */
  cpus: string;
  mems: string;
  pidsLimit: boolean;
  freezer: boolean;
  blkioWeight: boolean;
  blkioWeightDevice: boolean;
  blkioReadBpsDevice: boolean;
  blkioWriteBpsDevice: boolean;
  blkioReadIOpsDevice: boolean;
  blkioWriteIOpsDevice: boolean;
  cgroupNamespaces: boolean;
  seccomp: boolean;
  appArmor: boolean;
  ipv4Forwarding: boolean;
  bridgeNfIptables: boolean;
  bridgeNfIp6tables: boolean;
  /** What is missing, in dockerd's words, for the daemon's log at start. */
  warnings: string[];
}

/** Where the probe looks; tests point these at a fake tree. */
export interface ProbeRoots {
  cgroup: string;
  proc: string;
  /** securityfs (AppArmor lives at `<security>/apparmor`). */
  security: string;
}

export const HOST_ROOTS: ProbeRoots = { cgroup: '/sys/fs/cgroup', proc: '/proc', security: '/sys/kernel/security' };

/**
 * Reads the host. A v1 controller counts as mounted when `<cgroup>/<controller>` is a
 * directory (the cgroupfs layout runc and berth use); a v2 controller when the root's
 * `cgroup.controllers` lists it. Never throws: what cannot be read is unsupported.
 */
export function probeSysInfo(roots: ProbeRoots = HOST_ROOTS): SysInfo {
  const isV2 = exists(posix.join(roots.cgroup, 'cgroup.controllers'));
  const info: SysInfo = {
    cgroupVersion: isV2 ? 2 : 1,
    memoryLimit: false, swapLimit: false, memoryReservation: false, oomKillDisable: false, memorySwappiness: false, kernelMemory: false, kernelMemoryTCP: false,
    cpuShares: false, cpuCfs: false, cpuRealtime: false, cpuset: false, cpus: '', mems: '', pidsLimit: false, freezer: false,
    blkioWeight: false, blkioWeightDevice: false, blkioReadBpsDevice: false, blkioWriteBpsDevice: false, blkioReadIOpsDevice: false, blkioWriteIOpsDevice: false,
    ...probeKernel(roots),
    warnings: [],
  };
  if (isV2) probeV2(roots, info);
  else probeV1(roots.cgroup, info);
  return info;
}

/** What does not depend on the cgroup version: namespaces, seccomp, AppArmor, forwarding. */
function probeKernel(roots: ProbeRoots): Pick<SysInfo, 'cgroupNamespaces' | 'seccomp' | 'appArmor' | 'ipv4Forwarding' | 'bridgeNfIptables' | 'bridgeNfIp6tables'> {
  const proc = (p: string) => posix.join(roots.proc, p);
  return {
    cgroupNamespaces: exists(proc('self/ns/cgroup')),
    // dockerd asks prctl(PR_GET_SECCOMP) for CONFIG_SECCOMP and prctl(PR_SET_SECCOMP, FILTER)
    // for CONFIG_SECCOMP_FILTER; the same two facts show as the "Seccomp:" line of
    // /proc/self/status and the kernel/seccomp sysctl directory.
    seccomp: /^Seccomp:/m.test(read(proc('self/status'))) && exists(proc('sys/kernel/seccomp/actions_avail')),
    appArmor: exists(posix.join(roots.security, 'apparmor')) && readable(posix.join(roots.security, 'apparmor/profiles')),
    ipv4Forwarding: read(proc('sys/net/ipv4/ip_forward')) === '1',
    bridgeNfIptables: read(proc('sys/net/bridge/bridge-nf-call-iptables')) === '1',
    bridgeNfIp6tables: read(proc('sys/net/bridge/bridge-nf-call-ip6tables')) === '1',
  };
}

function probeV1(root: string, info: SysInfo): void {
  const w = info.warnings;
  const mount = (controller: string): string | undefined => {
    const dir = posix.join(root, controller);
    return isDir(dir) ? dir : undefined;
  };
  const has = (dir: string, ...files: string[]) => files.some((f) => exists(posix.join(dir, f)));
  const check = (dir: string, key: keyof SysInfo, warning: string, ...files: string[]) => {
    const ok = has(dir, ...files);
    (info as unknown as Record<string, boolean>)[key] = ok;
    if (!ok) w.push(warning);
  };

  const memory = mount('memory');
  if (!memory) w.push('Your kernel does not support cgroup memory limit');
  else {
    info.memoryLimit = true;
    check(memory, 'swapLimit', 'Your kernel does not support swap memory limit', 'memory.memsw.limit_in_bytes');
    check(memory, 'memoryReservation', 'Your kernel does not support memory reservation', 'memory.soft_limit_in_bytes');
    check(memory, 'oomKillDisable', 'Your kernel does not support oom control', 'memory.oom_control');
    check(memory, 'memorySwappiness', 'Your kernel does not support memory swappiness', 'memory.swappiness');
    // Deprecated (and ignored by runc ≥ 1.1), so dockerd does not warn about its absence.
    info.kernelMemory = has(memory, 'memory.kmem.limit_in_bytes');
    info.kernelMemoryTCP = has(memory, 'memory.kmem.tcp.limit_in_bytes');
  }

  const cpu = mount('cpu');
  if (!cpu) w.push('Unable to find cpu cgroup in mounts');
  else {
    check(cpu, 'cpuShares', 'Your kernel does not support CPU shares', 'cpu.shares');
    info.cpuCfs = has(cpu, 'cpu.cfs_quota_us') && has(cpu, 'cpu.cfs_period_us');
    if (!info.cpuCfs) w.push('Your kernel does not support CPU CFS scheduler');
    check(cpu, 'cpuRealtime', 'Your kernel does not support CPU realtime scheduler', 'cpu.rt_period_us');
  }

  const blkio = mount('blkio');
  if (!blkio) w.push('Unable to find blkio cgroup in mounts');
  else {
    // Since Linux 5.0 (no CFQ) only BFQ offers a weight, as blkio.bfq.weight; runc writes
    // blkio.weight when it exists and blkio.bfq.weight otherwise (libcontainer/cgroups/fs/blkio.go),
    // so either file means runc can honour the setting. dockerd looks for blkio.weight only.
    check(blkio, 'blkioWeight', 'Your kernel does not support cgroup blkio weight', 'blkio.weight', 'blkio.bfq.weight');
    check(blkio, 'blkioWeightDevice', 'Your kernel does not support cgroup blkio weight_device', 'blkio.weight_device', 'blkio.bfq.weight_device');
    check(blkio, 'blkioReadBpsDevice', 'Your kernel does not support cgroup blkio throttle.read_bps_device', 'blkio.throttle.read_bps_device');
    check(blkio, 'blkioWriteBpsDevice', 'Your kernel does not support cgroup blkio throttle.write_bps_device', 'blkio.throttle.write_bps_device');
    check(blkio, 'blkioReadIOpsDevice', 'Your kernel does not support cgroup blkio throttle.read_iops_device', 'blkio.throttle.read_iops_device');
    check(blkio, 'blkioWriteIOpsDevice', 'Your kernel does not support cgroup blkio throttle.write_iops_device', 'blkio.throttle.write_iops_device');
  }

  const cpuset = mount('cpuset');
  if (!cpuset) w.push('Unable to find cpuset cgroup in mounts');
  else {
    info.cpuset = true;
    info.cpus = read(posix.join(cpuset, 'cpuset.cpus'));
    info.mems = read(posix.join(cpuset, 'cpuset.mems'));
  }

  info.pidsLimit = mount('pids') !== undefined;
  if (!info.pidsLimit) w.push('Unable to find pids cgroup in mounts');
  info.freezer = mount('freezer') !== undefined;
  if (!info.freezer) w.push('Unable to find freezer cgroup in mounts');
}

function probeV2(roots: ProbeRoots, info: SysInfo): void {
  const w = info.warnings;
  const controllers = new Set(read(posix.join(roots.cgroup, 'cgroup.controllers')).split(/\s+/).filter(Boolean));
  const need = (name: string): boolean => {
    if (!controllers.has(name)) w.push(`Unable to find ${name} controller`);
    return controllers.has(name);
  };
  if (need('memory')) {
    // v2 has no swappiness, no kernel-memory limits and no OOM-killer switch.
    Object.assign(info, { memoryLimit: true, memoryReservation: true, swapLimit: swapLimitV2(roots) });
  }
  if (need('cpu')) Object.assign(info, { cpuShares: true, cpuCfs: true });
  if (need('io')) {
    Object.assign(info, {
      blkioWeight: true, blkioWeightDevice: true, blkioReadBpsDevice: true, blkioWriteBpsDevice: true, blkioReadIOpsDevice: true, blkioWriteIOpsDevice: true,
    });
  }
  if (need('cpuset')) {
    info.cpuset = true;
    info.cpus = read(posix.join(roots.cgroup, 'cpuset.cpus.effective'));
    info.mems = read(posix.join(roots.cgroup, 'cpuset.mems.effective'));
  }
  info.pidsLimit = need('pids');
  // The v2 freezer is part of the core (cgroup.freeze, Linux 5.2), in every non-root group.
  info.freezer = anyChildHas(roots.cgroup, 'cgroup.freeze');
  if (!info.freezer) w.push('Unable to find freezer support (cgroup.freeze)');
}

/** As dockerd's getSwapLimitV2: the own group's memory.swap.max, else any sign of swap support. */
function swapLimitV2(roots: ProbeRoots): boolean {
  const own = /^0::(.*)$/m.exec(read(posix.join(roots.proc, 'self/cgroup')))?.[1];
  if (own && own !== '/' && exists(posix.join(roots.cgroup, own, 'memory.swap.max'))) return true;
  return ['swaps', 'sys/vm/swappiness'].some((p) => exists(posix.join(roots.proc, p)));
}

function anyChildHas(dir: string, file: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && exists(posix.join(dir, e.name, file)));
  } catch {
    // An unreadable hierarchy is one whose support we cannot claim.
    return false;
  }
}

function exists(p: string): boolean {
  return existsSync(p);
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    // Absent (ENOENT/ENOTDIR): the controller is not mounted.
    return false;
  }
}

function readable(p: string): boolean {
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    // dockerd's check is the same: a profiles file it cannot read means no AppArmor.
    return false;
  }
}

/** A small kernel file's trimmed text, or '' when it cannot be read (support is then absent). */
function read(p: string): string {
  try {
    return readFileSync(p, 'utf8').trim();
  } catch {
    return '';
  }
}
