import os from 'node:os';
import { InvalidArgumentError } from '../errors/index.js';
import type { SysInfo } from '../sysinfo/index.js';
import type { Resources } from '../types/container.js';

/** dockerd's floor for memory limits and reservations (daemon_unix.go `linuxMinMemory`). */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/**
 * dockerd's checks of a create or update request's resources against what the host supports
 * (daemon/daemon_unix.go `verifyPlatformContainerResources`, and for create the decode-time
 * runconfig `validateQoS`/`validateResources`), with its words. A setting the host cannot
 * honour is dropped from `r` (changed in place, as dockerd does, so the stored HostConfig
 * shows what is applied) with a warning; an impossible one is refused with a 400.
 * Returns the warnings, in dockerd's order.
 */
export function verifyResources(r: Resources, s: SysInfo, isUpdate: boolean): string[] {
  const w: string[] = [];
  if (!isUpdate) checkDecodeTime(r, s);
  if (r.MemorySwappiness === -1) r.MemorySwappiness = null;
  verifyMemory(r, s, isUpdate, w);
  verifyCpu(r, s, w);
  verifyCpuset(r, s, w);
  verifyBlkio(r, s, w);
  return w;
}

/** runconfig/hostconfig_unix.go: what the API refuses while decoding a create request. */
function checkDecodeTime(r: Resources, s: SysInfo): void {
  if (r.IOMaximumBandwidth) throw new InvalidArgumentError('Invalid QoS settings: linux does not support configuration of maximum bandwidth');
  if (r.IOMaximumIOps) throw new InvalidArgumentError('Invalid QoS settings: linux does not support configuration of maximum IOPs');
  const period = r.CpuRealtimePeriod ?? 0;
  const runtime = r.CpuRealtimeRuntime ?? 0;
  if (period > 0 && !s.cpuRealtime) throw new InvalidArgumentError('Your kernel does not support cgroup cpu real-time period');
  if (runtime > 0 && !s.cpuRealtime) throw new InvalidArgumentError('Your kernel does not support cgroup cpu real-time runtime');
  if (period !== 0 && runtime !== 0 && runtime > period) throw new InvalidArgumentError('cpu real-time runtime cannot be higher than cpu real-time period');
}

function verifyMemory(r: Resources, s: SysInfo, isUpdate: boolean, w: string[]): void {
  const mem = () => r.Memory ?? 0;
  const swap = () => r.MemorySwap ?? 0;
  if (mem() !== 0 && mem() < MIN_MEMORY_BYTES) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  if (mem() > 0 && !s.memoryLimit) {
    w.push('Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.Memory = 0;
    r.MemorySwap = -1;
  }
  if (mem() > 0 && swap() !== -1 && !s.swapLimit) {
    w.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
    r.MemorySwap = -1;
  }
  if (mem() > 0 && swap() > 0 && swap() < mem()) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem() === 0 && swap() > 0 && !isUpdate) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && !s.memorySwappiness) {
    w.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    r.MemorySwappiness = null;
  }
  const swappiness = r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidArgumentError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if ((r.MemoryReservation ?? 0) > 0 && !s.memoryReservation) {
    w.push('Your kernel does not support memory soft limit capabilities or the cgroup is not mounted. Limitation discarded.');
    r.MemoryReservation = 0;
  }
  const reservation = r.MemoryReservation ?? 0;
  if (reservation > 0 && reservation < MIN_MEMORY_BYTES) throw new InvalidArgumentError('Minimum memory reservation allowed is 6MB');
  if (mem() > 0 && reservation > 0 && mem() < reservation) throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  if ((r.KernelMemory ?? 0) > 0) {
    w.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
    if (!s.kernelMemory) {
      w.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
      r.KernelMemory = 0;
    }
    if ((r.KernelMemory ?? 0) > 0 && r.KernelMemory! < MIN_MEMORY_BYTES) throw new InvalidArgumentError('Minimum kernel memory limit allowed is 6MB');
  }
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null && !s.oomKillDisable) {
    // Only a request to disable the OOM killer is worth a warning; leaving it on is the default.
    if (r.OomKillDisable) w.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
    r.OomKillDisable = null;
  }
  if (r.OomKillDisable && mem() === 0) {
    w.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && !s.pidsLimit) {
    if (r.PidsLimit > 0) w.push('Your kernel does not support PIDs limit capabilities or the cgroup is not mounted. PIDs limit discarded.');
    r.PidsLimit = null;
  }
}

function verifyCpu(r: Resources, s: SysInfo, w: string[]): void {
  const nano = r.NanoCpus ?? 0;
  if (nano > 0 && (r.CpuPeriod ?? 0) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (r.CpuQuota ?? 0) > 0) throw new InvalidArgumentError('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano > 0 && !s.cpuCfs) throw new InvalidArgumentError('NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted');
  const ncpu = os.cpus().length;
  if (nano < 0 || nano > ncpu * 1e9) throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  if ((r.CpuShares ?? 0) > 0 && !s.cpuShares) {
    w.push('Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.');
    r.CpuShares = 0;
  }
  if (((r.CpuPeriod ?? 0) !== 0 || (r.CpuQuota ?? 0) !== 0) && !s.cpuCfs) {
    w.push('Your kernel does not support CPU CFS scheduler. CPU period/quota discarded.');
    r.CpuPeriod = 0;
    r.CpuQuota = 0;
  }
  const period = r.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = r.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuPercent ?? 0) > 0) {
    w.push('linux does not support CPU percent. Percent discarded.');
    r.CpuPercent = 0;
  }
}

function verifyCpuset(r: Resources, s: SysInfo, w: string[]): void {
  if ((r.CpusetCpus || r.CpusetMems) && !s.cpuset) {
    w.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
    r.CpusetCpus = '';
    r.CpusetMems = '';
  }
  if (r.CpusetCpus && !isListAvailable(r.CpusetCpus, s.cpus, 'cpus')) {
    throw new InvalidArgumentError(`Requested CPUs are not available - requested ${r.CpusetCpus}, available: ${s.cpus}`);
  }
  if (r.CpusetMems && !isListAvailable(r.CpusetMems, s.mems, 'mems')) {
    throw new InvalidArgumentError(`Requested memory nodes are not available - requested ${r.CpusetMems}, available: ${s.mems}`);
  }
}

function verifyBlkio(r: Resources, s: SysInfo, w: string[]): void {
  if ((r.BlkioWeight ?? 0) > 0 && !s.blkioWeight) {
    w.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  if (r.IOMaximumBandwidth || r.IOMaximumIOps) throw new InvalidArgumentError('Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps');
  const drop = (key: 'BlkioWeightDevice' | 'BlkioDeviceReadBps' | 'BlkioDeviceWriteBps' | 'BlkioDeviceReadIOps' | 'BlkioDeviceWriteIOps', supported: boolean, warning: string) => {
    if ((r[key]?.length ?? 0) > 0 && !supported) {
      w.push(warning);
      r[key] = [];
    }
  };
  drop('BlkioWeightDevice', s.blkioWeightDevice, 'Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded.');
  drop('BlkioDeviceReadBps', s.blkioReadBpsDevice, 'Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded.');
  drop('BlkioDeviceWriteBps', s.blkioWriteBpsDevice, 'Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded.');
  drop('BlkioDeviceReadIOps', s.blkioReadIOpsDevice, 'Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded.');
  drop('BlkioDeviceWriteIOps', s.blkioWriteIOpsDevice, 'Your kernel does not support IOPS Block write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded.');
}

/** sysinfo's IsCpusetCpusAvailable/IsCpusetMemsAvailable: every requested number is offered. */
function isListAvailable(requested: string, available: string, what: 'cpus' | 'mems'): boolean {
  const want = parseUintList(requested);
  if (!want) throw new InvalidArgumentError(`Invalid value ${requested} for cpuset ${what}: invalid format: ${requested}`);
  const have = parseUintList(available) ?? new Set<number>();
  return [...want].every((n) => have.has(n));
}

/** moby pkg/parsers ParseUintList: "0-2,4" → {0,1,2,4}; undefined when malformed. */
function parseUintList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list === '') return out;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    // moby caps cpuset lists at 8192 entries (maxCPUs); a wider range is no valid request.
    if (hi < lo || hi >= 8192) return undefined;
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return out;
}
