import { InvalidArgumentError } from '../../errors/index.js';
import type { OciNamespace } from '../../types/container.js';
import { goQuote } from './go-format.js';

/** IPC sysctls that the kernel namespaces (runc libcontainer/configs/validate `sysctl`). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem',
  'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

export interface SysctlPlan {
  /** HostConfig.Sysctls; they override the defaults. */
  requested: Readonly<Record<string, string>>;
  domainname: string;
  /** The container gets its own network namespace (Docker's `NetworkMode.IsPrivate`). */
  hasPrivateNetwork: boolean;
  /** Host kernel, for sysctls that older kernels lack. */
  kernel: { kernel: number; major: number };
}

/**
 * Sysctls Docker sets itself (moby daemon/oci_linux.go `withCommonOptions`,
 * `setLinuxDomainname`): in a private netns, unprivileged ping and binding ports below 1024;
 * the NIS domain name through `kernel.domainname`, which has the effect of setdomainname(2).
 */
function defaultSysctls(plan: SysctlPlan): Record<string, string> {
  const out: Record<string, string> = {};
  if (plan.hasPrivateNetwork) {
    out['net.ipv4.ping_group_range'] = '0 2147483647';
    // Added in Linux 4.11; Docker writes it only where /proc/sys has it.
    const { kernel, major } = plan.kernel;
    if (kernel > 4 || (kernel === 4 && major >= 11)) out['net.ipv4.ip_unprivileged_port_start'] = '0';
  }
  if (plan.domainname !== '') out['kernel.domainname'] = plan.domainname;
  return out;
}

/** runc accepts "net/ipv4/ip_forward" as well as dots; it checks the dotted form. */
function dotted(name: string): string {
  const i = name.search(/[./]/);
  if (i < 0 || name[i] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

/**
 * Refuses sysctls that are not namespaced, or whose namespace the container shares with the
 * host, with runc's messages: dockerd passes any sysctl through and runc rejects it at start,
 * so berth rejects it here with the same words.
 */
export function validateSysctls(names: Iterable<string>, namespaces: readonly OciNamespace[]): void {
  const has = (type: string) => namespaces.some((n) => n.type === type);
  for (const raw of names) {
    const s = dotted(raw);
    if (IPC_SYSCTLS.has(s) || s.startsWith('fs.mqueue.')) {
      if (has('ipc')) continue;
      throw new InvalidArgumentError(`sysctl ${goQuote(s)} is not allowed in the hosts ipc namespace`);
    }
    if (s.startsWith('net.')) {
      if (has('network')) continue;
      throw new InvalidArgumentError(`sysctl ${goQuote(s)} not allowed in host network namespace`);
    }
    if (has('uts') && s === 'kernel.domainname') continue;
    if (has('uts') && s === 'kernel.hostname') {
      throw new InvalidArgumentError(`sysctl ${goQuote(s)} is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw new InvalidArgumentError(`sysctl ${goQuote(s)} is not in a separate kernel namespace`);
  }
}

/** linux.sysctl: Docker's defaults, then the requested ones, validated against the namespaces. */
export function buildSysctls(plan: SysctlPlan, namespaces: readonly OciNamespace[]): Record<string, string> {
  const out = { ...defaultSysctls(plan), ...plan.requested };
  validateSysctls(Object.keys(out), namespaces);
  return out;
}
