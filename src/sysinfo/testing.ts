import type { SysInfo } from './probe.js';

/**
 * Test support: a host that supports everything (cgroup v1 with CFQ's blkio.weight, two CPUs,
 * one memory node), with `overrides` taking things away. Not used outside tests.
 */
export function fakeSysInfo(overrides: Partial<SysInfo> = {}): SysInfo {
  return {
    cgroupVersion: 1,
    memoryLimit: true, swapLimit: true, memoryReservation: true, oomKillDisable: true, memorySwappiness: true, kernelMemory: true, kernelMemoryTCP: true,
    cpuShares: true, cpuCfs: true, cpuRealtime: true, cpuset: true, cpus: '0-1', mems: '0', pidsLimit: true, freezer: true,
    blkioWeight: true, blkioWeightDevice: true, blkioReadBpsDevice: true, blkioWriteBpsDevice: true, blkioReadIOpsDevice: true, blkioWriteIOpsDevice: true,
    cgroupNamespaces: true, seccomp: true, appArmor: false, ipv4Forwarding: true, bridgeNfIptables: true, bridgeNfIp6tables: true,
    warnings: [],
    ...overrides,
  };
}
