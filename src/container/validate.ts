import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../errors/index.js';
import type { SysInfo } from '../sysinfo/index.js';
import type { ContainerConfig, HostConfig } from '../types/container.js';
import { parseSecurityOpts } from '../runtime/spec/security-opt.js';
import { normalizeCapabilities } from '../runtime/spec/index.js';
import { verifyResources } from './verify-resources.js';

const POLICIES = ['', 'no', 'always', 'unless-stopped', 'on-failure'];

/**
 * The checks dockerd makes on a create or update request (daemon/container.go
 * verifyContainerSettings and verifyPlatformContainerSettings), with its messages. Resources
 * the host cannot honour (`sysInfo`) are dropped from `host` in place. Returns warnings to show.
 */
export function validateCreate(config: ContainerConfig, host: HostConfig, runtimes: readonly string[], sysInfo: SysInfo, opts: { isUpdate?: boolean; hasNetwork?: (name: string) => boolean } = {}): string[] {
  const hasNetwork = opts.hasNetwork ?? (() => false);
  const warnings: string[] = [];
  // moby verifyContainerSettings normalizes capabilities at create: an unknown name is a 400
  // then (`invalid CapAdd: unknown capability: "CAP_../../X"`, as dockerd 20.10 words it), not
  // a failed start later.
  for (const [field, caps] of [['CapAdd', host.CapAdd], ['CapDrop', host.CapDrop]] as const) {
    try {
      normalizeCapabilities(caps ?? []);
    } catch (err) {
      throw new InvalidArgumentError(`invalid ${field}: ${(err as Error).message}`, { cause: err });
    }
  }
  const rp = host.RestartPolicy;
  if (rp) {
    const name = rp.Name ?? '';
    if (!POLICIES.includes(name)) throw new InvalidArgumentError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    const retries = rp.MaximumRetryCount ?? 0;
    if (retries < 0) throw new InvalidArgumentError('invalid restart policy: maximum retry count cannot be negative');
    if (retries > 0 && name !== 'on-failure') throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    if (host.AutoRemove && name !== '' && name !== 'no') throw new InvalidArgumentError(`can't create 'AutoRemove' container with restart policy`);
  }
  if ((host.Memory ?? 0) < 0) throw new InvalidArgumentError(`invalid memory limit: ${host.Memory}`);
  if ((host.CpuShares ?? 0) < 0) throw new InvalidArgumentError(`invalid CPU shares: ${host.CpuShares}`);
  warnings.push(...verifyResources(host, sysInfo, opts.isUpdate ?? false));
  const oomAdj = host.OomScoreAdj ?? 0;
  if (oomAdj < -1000 || oomAdj > 1000) throw new InvalidArgumentError(`Invalid value ${oomAdj}, range for oom score adj is [-1000, 1000]`);
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
  // The host-dependent warnings of dockerd's verifyPlatformContainerSettings.
  if (!sysInfo.ipv4Forwarding && net !== 'host' && net !== 'none') warnings.push('IPv4 forwarding is disabled. Networking will not work.');
  if (cgroupns === 'private' && !sysInfo.cgroupNamespaces) {
    warnings.push('Your kernel does not support cgroup namespaces.  Cgroup namespace setting discarded.');
    host.CgroupnsMode = 'host';
  }
  const uts = host.UTSMode ?? '';
  if (!['', 'host'].includes(uts)) throw new InvalidArgumentError(`invalid UTS mode: ${uts}`);
  if (host.UTSMode === 'host' && config.Hostname) throw new InvalidArgumentError('conflicting options: hostname and the UTS mode');
  if (config.Hostname && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(config.Hostname)) {
    throw new InvalidArgumentError(`invalid hostname format: ${config.Hostname}`);
  }
  return warnings;
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
