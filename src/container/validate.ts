import os from 'node:os';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../errors/index.js';
import type { ContainerConfig, HostConfig } from '../types/container.js';
import { parseSecurityOpts } from '../runtime/spec/security-opt.js';

const POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/**
 * The checks dockerd makes on a create request (daemon/container.go verifyContainerSettings
 * and verifyPlatformContainerSettings), with its messages. Returns warnings to show.
 */
export function validateCreate(config: ContainerConfig, host: HostConfig, runtimes: readonly string[], hasNetwork: (name: string) => boolean = () => false): string[] {
  const warnings: string[] = [];
  const rp = host.RestartPolicy;
  if (rp) {
    const name = rp.Name ?? '';
    if (!POLICIES.includes(name)) throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    const retries = rp.MaximumRetryCount ?? 0;
    if (retries < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
    if (retries > 0 && name !== 'on-failure') throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (host.AutoRemove && name !== '' && name !== 'no') throw new InvalidArgumentError(`can't create 'AutoRemove' container with restart policy`);
  }
  const mem = host.Memory ?? 0;
  if (mem < 0) throw new InvalidArgumentError(`invalid memory limit: ${mem}`);
  if (mem > 0 && mem < 6 * 1024 * 1024) throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  const swap = host.MemorySwap ?? 0;
  if (swap > 0 && mem === 0) throw new InvalidArgumentError('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (swap > 0 && swap < mem) throw new InvalidArgumentError('Minimum memoryswap limit should be larger than memory limit, see usage');
  const reservation = host.MemoryReservation ?? 0;
  if (mem > 0 && reservation > 0 && reservation > mem) throw new InvalidArgumentError('Minimum memory limit can not be less than memory reservation limit, see usage');
  const swappiness = host.MemorySwappiness;
  if (swappiness !== undefined && swappiness !== null && swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new InvalidArgumentError(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  const nano = host.NanoCpus ?? 0;
  if (nano > 0 && ((host.CpuPeriod ?? 0) > 0 || (host.CpuQuota ?? 0) > 0)) {
    throw new InvalidArgumentError(`Conflicting options: Nano CPUs and CPU ${(host.CpuPeriod ?? 0) > 0 ? 'Period' : 'Quota'} cannot both be set`);
  }
  const ncpu = os.cpus().length;
  if (nano < 0 || nano > ncpu * 1e9) throw new InvalidArgumentError(`Range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`);
  const period = host.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1_000_000)) throw new InvalidArgumentError('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  const quota = host.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw new InvalidArgumentError('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((host.CpuShares ?? 0) < 0) throw new InvalidArgumentError(`invalid CPU shares: ${host.CpuShares}`);
  if (host.CpusetCpus && !validCpuset(host.CpusetCpus, ncpu)) throw new InvalidArgumentError(`Requested CPUs are not available - requested ${host.CpusetCpus}, available: 0-${ncpu - 1}`);
  if (host.CpusetMems && !validCpuset(host.CpusetMems, 1)) throw new InvalidArgumentError(`Requested memory nodes are not available - requested ${host.CpusetMems}, available: 0`);
  const oomAdj = host.OomScoreAdj ?? 0;
  if (oomAdj < -1000 || oomAdj > 1000) throw new InvalidArgumentError(`Invalid value ${oomAdj}, range for oom score adj is [-1000, 1000]`);
  const bw = host.BlkioWeight ?? 0;
  if (bw > 0 && (bw < 10 || bw > 1000)) throw new InvalidArgumentError('Range of blkio weight is from 10 to 1000');
  if (bw > 0) warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
  if ((host.KernelMemory ?? 0) > 0) warnings.push('Specifying a kernel memory limit is deprecated and will be removed in a future release.');
  if (host.Runtime && !runtimes.includes(host.Runtime)) throw new InvalidArgumentError(`unknown or invalid runtime name: ${host.Runtime}`);
  const hc = config.Healthcheck;
  if (hc) {
    // moby daemon/container.go verifyContainerSettings.
    for (const [k, label] of [['Interval', 'Interval'], ['Timeout', 'Timeout'], ['StartPeriod', 'StartPeriod'], ['StartInterval', 'StartInterval']] as const) {
      const v = hc[k] ?? 0;
      if (v !== 0 && v < 1e6) throw new InvalidArgumentError(`${label} in Healthcheck cannot be less than 1ms`);
    }
    if ((hc.Retries ?? 0) < 0) throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
  }
  // AppArmor and SELinux options are accepted, with a warning that they do nothing here.
  warnings.push(...parseSecurityOpts(host.SecurityOpt ?? []).warnings);
  if (config.StopSignal) parseSignal(config.StopSignal);
  if (config.StopTimeout !== undefined && config.StopTimeout !== null && !Number.isInteger(config.StopTimeout)) throw new InvalidArgumentError(`invalid StopTimeout: ${config.StopTimeout}`);
  const net = host.NetworkMode ?? 'default';
  if (!['default', 'bridge', 'none', 'host'].includes(net) && !net.startsWith('container:') && !hasNetwork(net)) {
    throw new InvalidArgumentError(`network ${net} not found`);
  }
  if (net === 'host' && config.Hostname) { /* Docker ignores it silently for host networking. */ }
  const ipc = host.IpcMode ?? '';
  if (!['', 'none', 'private', 'shareable', 'host'].includes(ipc) && !/^container:./.test(ipc)) throw new InvalidArgumentError(`invalid IPC mode: ${ipc}`);
  const pid = host.PidMode ?? '';
  if (!['', 'host'].includes(pid) && !/^container:./.test(pid)) throw new InvalidArgumentError(`invalid PID mode: ${pid}`);
  const cgroupns = host.CgroupnsMode ?? '';
  if (!['', 'private', 'host'].includes(cgroupns)) throw new InvalidArgumentError(`invalid cgroup namespace mode: ${cgroupns}, only private and host are supported`);
  const uts = host.UTSMode ?? '';
  if (!['', 'host'].includes(uts)) throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  if (host.UTSMode === 'host' && config.Hostname) throw new InvalidArgumentError('conflicting options: hostname and the UTS mode');
  if (config.Hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(config.Hostname)) {
    throw new InvalidArgumentError(`invalid hostname format: ${config.Hostname}`);
  }
  return warnings;
}

function validCpuset(spec: string, count: number): boolean {
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    if (hi < lo || hi >= count) return false;
  }
  return true;
}

/** A signal given as a name (`SIGTERM`, `TERM`) or a number, as Docker's signal.ParseSignal. */
export function parseSignal(s: string | number): number {
  if (typeof s === 'number' || /^\d+$/.test(s)) {
    const n = Number(s);
    if (n <= 0 || n > 64) throw new InvalidArgumentError(`Invalid signal: ${s}`);
    return n;
  }
  const name = s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[1] ?? 0);
  const n = (osConstants.signals as Record<string, number>)[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${s}`);
  return n;
}
