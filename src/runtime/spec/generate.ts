import { posix } from 'node:path';
import { InternalError } from '../../errors/index.js';
import type { HostConfig, OciLinux, OciMount, OciProcess, OciSeccomp, OciSpec } from '../../types/container.js';
import { tweakCapabilities } from './capabilities.js';
import { CONTAINER_INIT_PATH, OCI_VERSION, defaultCapabilities, defaultMaskedPaths, defaultReadonlyPaths } from './defaults.js';
import { buildDevices } from './devices.js';
import { containerEnv } from './env.js';
import { applyHostConfigDefaults } from './hostconfig-defaults.js';
import type { SpecInput } from './input.js';
import { buildMounts } from './mounts.js';
import { buildNamespaces, isPrivatePidMode } from './namespaces.js';
import { blockIoResources, cpuResources, memoryResources, pidsResources } from './resources.js';
import { buildRlimits } from './rlimits.js';
import { defaultSeccompProfile, parseKernelRelease, parseSeccompProfile, translateSeccomp, type SeccompProfile } from './seccomp.js';
import { parseSecurityOpts, type SecurityOptions } from './security-opt.js';
import { buildSysctls } from './sysctls.js';

/** Default parent of containers' cgroups: Docker's `/docker`, renamed so the two never mix. */
export const DEFAULT_CGROUP_PARENT = '/berth';

/** `<parent>/<id>` as Docker's cgroupfs driver names it (moby `withCgroups`, filepath.Join). */
export function cgroupsPathFor(id: string, cgroupParent?: string): string {
  return posix.join(cgroupParent || DEFAULT_CGROUP_PARENT, id);
}

/** What one generation works from: the input with HostConfig defaults and security options applied. */
interface Plan {
  input: SpecInput;
  hc: HostConfig;
  sec: SecurityOptions;
  caps: string[];
  hasInit: boolean;
  warnings: string[];
}

/**
 * --init runs tini as PID 1 in front of the command, only in the container's own pid namespace:
 * with the host's or another container's there already is an init (moby `withCommonOptions`).
 */
function initApplies(input: SpecInput, hc: HostConfig): boolean {
  const wanted = hc.Init ?? input.defaultInit ?? false;
  if (!wanted || !isPrivatePidMode(hc.PidMode ?? '')) return false;
  if (!input.initPath) throw new InternalError('--init requested but no init binary is configured');
  return true;
}

function makePlan(input: SpecInput): Plan {
  const hc = applyHostConfigDefaults(input.hostConfig, { isCgroup2: input.isCgroup2, hostMaskedPaths: input.hostMaskedPaths });
  const sec = parseSecurityOpts(hc.SecurityOpt ?? [], { hasNoNewPrivileges: input.defaultNoNewPrivileges });
  const caps = tweakCapabilities(defaultCapabilities(), {
    add: hc.CapAdd, drop: hc.CapDrop, isPrivileged: hc.Privileged, available: input.allCapabilities,
  });
  return { input, hc, sec, caps, hasInit: initApplies(input, hc), warnings: [...sec.warnings] };
}

/** The process, its fields in runtime-spec's order so config.json reads like Docker's. */
function buildProcess(p: Plan): OciProcess {
  const { input, hc } = p;
  const config = input.config;
  const proc: Partial<OciProcess> = {};
  if (config.Tty) {
    proc.terminal = true;
    const [height = 0, width = 0] = hc.ConsoleSize ?? [];
    if (height > 0 || width > 0) proc.consoleSize = { height, width };
  }
  proc.user = { uid: input.user.uid, gid: input.user.gid, additionalGids: [...input.user.additionalGids] };
  proc.args = p.hasInit ? [CONTAINER_INIT_PATH, '--', ...input.args] : [...input.args];
  proc.env = containerEnv({ hostname: config.Hostname ?? '', hasTty: config.Tty === true, env: config.Env ?? [], linkedEnv: input.linkedEnv ?? [] });
  proc.cwd = config.WorkingDir || '/';
  proc.capabilities = { bounding: [...p.caps], effective: [...p.caps], permitted: [...p.caps] };
  const rlimits = buildRlimits(hc.Ulimits ?? [], input.defaultUlimits ?? []);
  if (rlimits.length > 0) proc.rlimits = rlimits;
  if (p.sec.hasNoNewPrivileges) proc.noNewPrivileges = true;
  // Always written, 0 included, as Docker passes &HostConfig.OomScoreAdj.
  proc.oomScoreAdj = hc.OomScoreAdj ?? 0;
  return proc as OciProcess;
}

function buildContainerMounts(p: Plan): OciMount[] {
  const { input, hc } = p;
  const initMount: OciMount | undefined = p.hasInit
    ? { destination: CONTAINER_INIT_PATH, type: 'bind', source: input.initPath!, options: ['bind', 'ro'] }
    : undefined;
  // Docker binds a shm directory only when the IPC namespace is not the container's private one.
  const ipc = hc.IpcMode ?? 'private';
  const usesShmPath = ipc !== 'private' && ipc !== 'none';
  return buildMounts({
    callerMounts: input.mounts ?? [],
    tmpfs: hc.Tmpfs ?? {},
    shmPath: usesShmPath ? input.shmPath : undefined,
    shmSizeBytes: hc.ShmSize!,
    isIpcNone: ipc === 'none',
    initMount,
    resolvConfPath: input.resolvConfPath,
    hostnamePath: input.hostnamePath,
    hostsPath: input.hostsPath,
    isReadonlyRootfs: hc.ReadonlyRootfs === true,
    isPrivileged: hc.Privileged === true,
    hasWritableCgroups: p.sec.hasWritableCgroups ?? hc.Privileged === true,
  });
}

/**
 * Which seccomp filter applies (moby daemon/seccomp_linux.go `WithSeccomp`): none when
 * unconfined; for privileged containers only a profile given explicitly; otherwise the one
 * given, else the daemon's, else Docker's default — each resolved against the container's
 * capabilities and the host's kernel.
 */
function buildSeccomp(p: Plan): OciSeccomp | undefined {
  const chosen = p.sec.seccompProfile;
  if (chosen === 'unconfined') return undefined;
  if (p.hc.Privileged && (chosen === undefined || chosen === '')) return undefined;
  let profile: SeccompProfile;
  if (chosen === 'builtin') profile = defaultSeccompProfile();
  else if (chosen) profile = parseSeccompProfile(chosen);
  else profile = p.input.defaultSeccompProfile ?? defaultSeccompProfile();
  return translateSeccomp(profile, { capabilities: p.caps, kernelRelease: p.input.kernelRelease, arch: p.input.arch });
}

function buildLinux(p: Plan): OciLinux {
  const { input, hc } = p;
  const namespaces = buildNamespaces({
    networkMode: input.networkMode,
    netnsPath: input.netnsPath,
    isNetworkDisabled: input.config.NetworkDisabled === true,
    ipcMode: hc.IpcMode ?? '',
    pidMode: hc.PidMode ?? '',
    utsMode: hc.UTSMode ?? '',
    cgroupnsMode: hc.CgroupnsMode ?? '',
    peers: input.peerNamespacePaths ?? {},
  });
  const sysctl = buildSysctls({
    requested: hc.Sysctls ?? {},
    domainname: input.config.Domainname ?? '',
    hasPrivateNetwork: input.networkMode === 'default' || input.networkMode === 'none',
    kernel: parseKernelRelease(input.kernelRelease),
  }, namespaces);
  const dev = buildDevices({
    devices: input.devices ?? [], hostDevices: input.hostDevices ?? [], cgroupRules: hc.DeviceCgroupRules ?? [],
    requests: hc.DeviceRequests ?? [], isPrivileged: hc.Privileged === true,
  });
  p.warnings.push(...dev.warnings);
  const linux: OciLinux = {};
  if (Object.keys(sysctl).length > 0) linux.sysctl = sysctl;
  linux.resources = withoutUndefined({
    devices: dev.cgroup,
    memory: memoryResources(hc, input.isCgroup2, p.warnings),
    cpu: cpuResources(hc),
    pids: pidsResources(hc),
    blockIO: blockIoResources(hc, input.blkioDeviceNumbers ?? {}),
  });
  linux.cgroupsPath = input.cgroupsPath ?? cgroupsPathFor(input.id, hc.CgroupParent);
  linux.namespaces = namespaces;
  if (dev.devices.length > 0) linux.devices = dev.devices;
  const seccomp = buildSeccomp(p);
  if (seccomp) linux.seccomp = seccomp;
  // Privileged containers mask nothing unless the request names paths itself.
  const masked = hc.MaskedPaths ?? (hc.Privileged ? [] : defaultMaskedPaths(input.hostMaskedPaths));
  const readonly = hc.ReadonlyPaths ?? (hc.Privileged ? [] : defaultReadonlyPaths());
  if (masked.length > 0) linux.maskedPaths = [...masked];
  if (readonly.length > 0) linux.readonlyPaths = [...readonly];
  return linux;
}

/** Leaves out absent parts, as Go's `omitempty` does, so deepEqual sees what config.json holds. */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The OCI config.json for a container, as dockerd 28 builds it (moby daemon/oci_linux.go
 * `createSpec`), plus warnings for the caller to log. Pure: every host fact comes in `input`
 * (the default seccomp profile is read once from the file beside this module).
 */
export function generateSpec(input: SpecInput): { spec: OciSpec; warnings: string[] } {
  const p = makePlan(input);
  const process = buildProcess(p);
  const mounts = buildContainerMounts(p);
  const linux = buildLinux(p);
  const spec: OciSpec = { ociVersion: OCI_VERSION, process, root: { path: input.rootfsPath } };
  if (p.hc.ReadonlyRootfs) spec.root!.readonly = true;
  // With the host's UTS namespace the hostname is the host's own (moby clears it).
  const hostname = p.hc.UTSMode === 'host' ? '' : input.config.Hostname ?? '';
  if (hostname !== '') spec.hostname = hostname;
  spec.mounts = mounts;
  const annotations = p.hc.Annotations ?? {};
  if (Object.keys(annotations).length > 0) spec.annotations = { ...annotations };
  spec.linux = linux;
  return { spec, warnings: p.warnings };
}
