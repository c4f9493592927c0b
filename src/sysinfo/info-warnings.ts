import type { SysInfo } from './probe.js';

/**
 * The `Warnings` of `GET /info` about missing kernel support, in dockerd's order and words
 * (daemon/info_unix.go `fillPlatformInfo`, since 20.10.4). dockerd leaves out what no user
 * can act on: blkio weight on cgroup v1 (gone with CFQ in Linux 5.0), and on v2 the kernel
 * memory and OOM-killer switches v2 does not have (moby#41894).
 */
export function infoWarnings(s: SysInfo): string[] {
  const w: string[] = [];
  const v2 = s.cgroupVersion === 2;
  if (!s.memoryLimit) w.push('WARNING: No memory limit support');
  if (!s.swapLimit) w.push('WARNING: No swap limit support');
  if (!s.kernelMemoryTCP && !v2) w.push('WARNING: No kernel memory TCP limit support');
  if (!s.oomKillDisable && !v2) w.push('WARNING: No oom kill disable support');
  if (!s.cpuCfs) w.push('WARNING: No cpu cfs quota support', 'WARNING: No cpu cfs period support');
  if (!s.cpuShares) w.push('WARNING: No cpu shares support');
  if (!s.cpuset) w.push('WARNING: No cpuset support');
  if (!s.blkioWeight && v2) w.push('WARNING: No io.weight support');
  if (!s.blkioWeightDevice && v2) w.push('WARNING: No io.weight (per device) support');
  if (!s.blkioReadBpsDevice) w.push(v2 ? 'WARNING: No io.max (rbps) support' : 'WARNING: No blkio throttle.read_bps_device support');
  if (!s.blkioWriteBpsDevice) w.push(v2 ? 'WARNING: No io.max (wbps) support' : 'WARNING: No blkio throttle.write_bps_device support');
  if (!s.blkioReadIOpsDevice) w.push(v2 ? 'WARNING: No io.max (riops) support' : 'WARNING: No blkio throttle.read_iops_device support');
  if (!s.blkioWriteIOpsDevice) w.push(v2 ? 'WARNING: No io.max (wiops) support' : 'WARNING: No blkio throttle.write_iops_device support');
  if (!s.ipv4Forwarding) w.push('WARNING: IPv4 forwarding is disabled');
  if (!s.bridgeNfIptables) w.push('WARNING: bridge-nf-call-iptables is disabled');
  if (!s.bridgeNfIp6tables) w.push('WARNING: bridge-nf-call-ip6tables is disabled');
  return w;
}
