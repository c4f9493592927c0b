import { InvalidArgumentError } from '../../errors/index.js';
import type {
  OciBlockIo, OciCpu, OciMemory, OciThrottleDevice, OciWeightDevice, Resources, ThrottleDevice,
} from '../../types/container.js';

/** Major and minor numbers of a host block device, by its path (found with stat(2) by the caller). */
export type DeviceNumbers = Readonly<Record<string, { major: number; minor: number }>>;

/** CFS period Docker uses for --cpus (100 ms, kernel Documentation/scheduler/sched-bwc.txt). */
const NANO_CPUS_PERIOD_US = 100_000;

/**
 * linux.resources.memory (moby daemon/daemon_unix.go `getMemoryResources`): only positive
 * limits are written, so MemorySwap -1 (unlimited swap) leaves `swap` out. cgroup v2 has no
 * swappiness, no kernel-memory limits and no OOM-killer switch: Docker drops those with its
 * warnings (pkg/sysinfo cgroup2 and `verifyPlatformContainerResources`).
 */
export function memoryResources(r: Resources, isCgroup2: boolean, warnings: string[]): OciMemory | undefined {
  const m: OciMemory = {};
  if ((r.Memory ?? 0) > 0) m.limit = r.Memory!;
  if ((r.MemoryReservation ?? 0) > 0) m.reservation = r.MemoryReservation!;
  if ((r.MemorySwap ?? 0) > 0) m.swap = r.MemorySwap!;
  // -1 is "the kernel's default" on the wire (moby `fixMemorySwappiness`).
  const swappiness = r.MemorySwappiness === -1 ? null : r.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null) {
    if (swappiness < 0 || swappiness > 100) {
      throw new InvalidArgumentError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
    }
    if (isCgroup2) warnings.push('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.');
    else m.swappiness = swappiness;
  }
  if (r.OomKillDisable !== undefined && r.OomKillDisable !== null) {
    if (!isCgroup2) m.disableOOMKiller = r.OomKillDisable;
    else if (r.OomKillDisable) warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  }
  if (r.KernelMemory) {
    if (isCgroup2) warnings.push('Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.');
    else m.kernel = r.KernelMemory;
  }
  if (r.KernelMemoryTCP && !isCgroup2) m.kernelTCP = r.KernelMemoryTCP;
  return Object.keys(m).length > 0 ? m : undefined;
}

/**
 * linux.resources.cpu (moby `getCPUResources`): --cpus becomes a quota over a 100 ms period;
 * an explicit CpuPeriod or CpuQuota then overrides its part.
 */
export function cpuResources(r: Resources): OciCpu | undefined {
  const c: OciCpu = {};
  const shares = r.CpuShares ?? 0;
  if (shares < 0) throw new InvalidArgumentError(`invalid CPU shares (${shares}): value must be a positive integer`);
  if (shares !== 0) c.shares = shares;
  if (r.CpusetCpus) c.cpus = r.CpusetCpus;
  if (r.CpusetMems) c.mems = r.CpusetMems;
  if ((r.NanoCpus ?? 0) > 0) {
    c.period = NANO_CPUS_PERIOD_US;
    // Go's int64 arithmetic truncates; BigInt keeps that exact for large NanoCpus.
    c.quota = Number((BigInt(r.NanoCpus!) * BigInt(NANO_CPUS_PERIOD_US)) / 1_000_000_000n);
  }
  if (r.CpuPeriod) c.period = r.CpuPeriod;
  if (r.CpuQuota) c.quota = r.CpuQuota;
  if (r.CpuRealtimePeriod) c.realtimePeriod = r.CpuRealtimePeriod;
  if (r.CpuRealtimeRuntime) c.realtimeRuntime = r.CpuRealtimeRuntime;
  return Object.keys(c).length > 0 ? c : undefined;
}

/** linux.resources.pids: 0 and negative mean unlimited, which runc spells -1 (moby `getPidsLimit`). */
export function pidsResources(r: Resources): { limit: number } | undefined {
  if (r.PidsLimit === undefined || r.PidsLimit === null) return undefined;
  return { limit: r.PidsLimit <= 0 ? -1 : r.PidsLimit };
}

function numbersOf(path: string | undefined, numbers: DeviceNumbers): { major: number; minor: number } {
  const n = path === undefined ? undefined : numbers[path];
  // Docker stats the path here; its error reads like Go's os.PathError.
  if (!n) throw new InvalidArgumentError(`stat ${path ?? ''}: no such file or directory`);
  return n;
}

function throttle(devs: readonly ThrottleDevice[] | null | undefined, numbers: DeviceNumbers): OciThrottleDevice[] {
  return (devs ?? []).map((d) => ({ ...numbersOf(d.Path, numbers), rate: d.Rate ?? 0 }));
}

/**
 * linux.resources.blockIO (moby `WithResources`): always present, as Docker writes it, with
 * each device given by its major:minor.
 */
export function blockIoResources(r: Resources, numbers: DeviceNumbers): OciBlockIo {
  const b: OciBlockIo = {};
  if (r.BlkioWeight) b.weight = r.BlkioWeight;
  const weightDevice: OciWeightDevice[] = (r.BlkioWeightDevice ?? []).map((d) => ({ ...numbersOf(d.Path, numbers), weight: d.Weight ?? 0 }));
  const lists = {
    weightDevice,
    throttleReadBpsDevice: throttle(r.BlkioDeviceReadBps, numbers),
    throttleWriteBpsDevice: throttle(r.BlkioDeviceWriteBps, numbers),
    throttleReadIOPSDevice: throttle(r.BlkioDeviceReadIOps, numbers),
    throttleWriteIOPSDevice: throttle(r.BlkioDeviceWriteIOps, numbers),
  };
  for (const [key, list] of Object.entries(lists)) if (list.length > 0) Object.assign(b, { [key]: list });
  return b;
}
