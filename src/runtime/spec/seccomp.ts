import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError, InvalidArgumentError } from '../../errors/index.js';
import type { OciSeccomp, OciSeccompArg, OciSyscall } from '../../types/container.js';

/**
 * Docker's seccomp profile format (moby/profiles `seccomp.Seccomp`): the OCI `linux.seccomp`
 * fields plus `archMap` and conditional rules, which `translateSeccomp` resolves for one
 * container on this host.
 */
export interface SeccompFilter {
  caps?: string[] | null;
  arches?: string[] | null;
  /** "<kernel>.<major>", e.g. "4.8". */
  minKernel?: string | null;
}

export interface SeccompRule {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: OciSeccompArg[] | null;
  comment?: string;
  includes?: SeccompFilter | null;
  excludes?: SeccompFilter | null;
}

export interface SeccompProfile {
  defaultAction?: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompRule[] | null;
}

export interface SeccompTarget {
  /** The container's capabilities (its bounding set). */
  capabilities: readonly string[];
  /** `uname -r` of the host, e.g. "6.1.0-18-amd64". */
  kernelRelease: string;
  /** libseccomp's name of the native arch ("amd64", "arm64", ...); default: this process's. */
  arch?: string;
}

/** libseccomp arch name → seccomp arch (moby/profiles `nativeToSeccomp`). */
const NATIVE_TO_SECCOMP: Record<string, string> = {
  x86: 'SCMP_ARCH_X86', amd64: 'SCMP_ARCH_X86_64', arm: 'SCMP_ARCH_ARM', arm64: 'SCMP_ARCH_AARCH64',
  mips64: 'SCMP_ARCH_MIPS64', mips64n32: 'SCMP_ARCH_MIPS64N32', mipsel64: 'SCMP_ARCH_MIPSEL64',
  mips3l64n32: 'SCMP_ARCH_MIPSEL64N32', mipsle: 'SCMP_ARCH_MIPSEL', ppc: 'SCMP_ARCH_PPC',
  ppc64: 'SCMP_ARCH_PPC64', ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64',
  s390: 'SCMP_ARCH_S390', s390x: 'SCMP_ARCH_S390X',
};

/** Node's process.arch → libseccomp's name, as moby's `goToNative` maps GOARCH. */
const NODE_TO_NATIVE: Record<string, string> = {
  ia32: 'x86', x64: 'amd64', arm: 'arm', arm64: 'arm64', mips: 'mips64', mipsel: 'mipsel64',
  ppc: 'ppc', ppc64: 'ppc64le', riscv64: 'riscv64', s390: 's390', s390x: 's390x',
};

export function nativeArch(): string {
  return NODE_TO_NATIVE[process.arch] ?? process.arch;
}

interface KernelVersion { kernel: number; major: number }

/** "%d.%d" of a kernel release, as moby/profiles `parseRelease` (distro suffixes ignored). */
export function parseKernelRelease(release: string): KernelVersion {
  const m = /^\s*(\d+)\.(\d+)/.exec(release);
  if (!m) throw new InternalError(`failed to parse kernel version ${JSON.stringify(release)}`);
  return { kernel: Number(m[1]), major: Number(m[2]) };
}

/** A profile's minKernel: exactly "<kernel>.<major>", not 0.0 (`KernelVersion.UnmarshalJSON`). */
function parseMinKernel(v: string): KernelVersion {
  const parts = v.split('.');
  const bad = (why = '') => new InvalidArgumentError(`invalid kernel version: ${JSON.stringify(v)}, expected "<kernel>.<major>"${why}`);
  if (parts.length !== 2 || !parts.every((p) => /^\d+$/.test(p) && Number(p) < 256)) throw bad();
  const k = { kernel: Number(parts[0]), major: Number(parts[1]) };
  if (k.kernel === 0 && k.major === 0) throw bad(': version cannot be 0.0');
  return k;
}

function kernelAtLeast(host: KernelVersion, min: KernelVersion): boolean {
  return host.kernel > min.kernel || (host.kernel === min.kernel && host.major >= min.major);
}

/** Whether a rule applies to this container (moby/profiles `setupSeccomp`'s filter loop). */
function ruleApplies(rule: SeccompRule, caps: readonly string[], arch: string, kernel: () => KernelVersion): boolean {
  const ex = rule.excludes;
  if (ex) {
    if (ex.arches?.length && ex.arches.includes(arch)) return false;
    if (ex.caps?.length && ex.caps.some((c) => caps.includes(c))) return false;
    if (ex.minKernel && kernelAtLeast(kernel(), parseMinKernel(ex.minKernel))) return false;
  }
  const inc = rule.includes;
  if (inc) {
    if (inc.arches?.length && !inc.arches.includes(arch)) return false;
    if (inc.caps?.length && !inc.caps.every((c) => caps.includes(c))) return false;
    if (inc.minKernel && !kernelAtLeast(kernel(), parseMinKernel(inc.minKernel))) return false;
  }
  return true;
}

function toOciSyscall(rule: SeccompRule): OciSyscall {
  if (rule.name && rule.names?.length) {
    throw new InvalidArgumentError("both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'");
  }
  const out: OciSyscall = { names: rule.name ? [rule.name] : [...(rule.names ?? [])], action: rule.action };
  if (rule.errnoRet !== undefined && rule.errnoRet !== null) out.errnoRet = rule.errnoRet;
  if (rule.args?.length) {
    out.args = rule.args.map((a) => {
      const arg: OciSeccompArg = { index: a.index, value: a.value, op: a.op };
      if (a.valueTwo) arg.valueTwo = a.valueTwo; // omitempty in runtime-spec's Go types
      return arg;
    });
  }
  return out;
}

/** The profile's top-level OCI fields, copied as moby copies the embedded LinuxSeccomp. */
function baseSeccomp(profile: SeccompProfile): OciSeccomp {
  const out: OciSeccomp = { defaultAction: profile.defaultAction ?? '' };
  if (profile.defaultErrnoRet !== undefined && profile.defaultErrnoRet !== null) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.architectures?.length) out.architectures = [...profile.architectures];
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  return out;
}

/**
 * The OCI `linux.seccomp` for one container, exactly as moby/profiles `setupSeccomp`: the
 * native arch and its sub-arches from `archMap`; each rule kept only when its `excludes`
 * (arch, any cap, kernel ≥ minKernel) do not match and its `includes` (arch, all caps,
 * kernel ≥ minKernel) do. undefined when the profile disables seccomp (no default action, no
 * rules).
 */
export function translateSeccomp(profile: SeccompProfile, target: SeccompTarget): OciSeccomp | undefined {
  if (!profile.defaultAction && !profile.syscalls?.length) return undefined;
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new InvalidArgumentError("both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  const arch = target.arch ?? nativeArch();
  const out = baseSeccomp(profile);
  const native = NATIVE_TO_SECCOMP[arch];
  const entry = native ? profile.archMap?.find((a) => a.architecture === native) : undefined;
  if (entry) out.architectures = [...(out.architectures ?? []), entry.architecture, ...(entry.subArchitectures ?? [])];
  let kernel: KernelVersion | undefined;
  const kernelOnce = () => (kernel ??= parseKernelRelease(target.kernelRelease));
  const syscalls = (profile.syscalls ?? [])
    .filter((rule) => ruleApplies(rule, target.capabilities, arch, kernelOnce))
    .map(toOciSyscall);
  if (syscalls.length > 0) out.syscalls = syscalls;
  return out;
}

/** A profile sent with `--security-opt seccomp=<json>` (moby/profiles `LoadProfile`). */
export function parseSeccompProfile(json: string): SeccompProfile {
  try {
    return JSON.parse(json) as SeccompProfile;
  } catch (err) {
    throw new InvalidArgumentError(`Decoding seccomp profile failed: ${(err as Error).message}`, { cause: err });
  }
}

let defaultProfile: SeccompProfile | undefined;

/**
 * Docker's default profile, a copy of moby's kept beside this file (see README.md here). tsc
 * does not copy JSON into dist/, so when running compiled code the file is found from the
 * package root: the nearest directory above this module that holds package.json.
 */
export function defaultSeccompProfile(): SeccompProfile {
  defaultProfile ??= parseSeccompProfile(readFileSync(defaultProfilePath(), 'utf8'));
  return defaultProfile;
}

function defaultProfilePath(): string {
  const beside = fileURLToPath(new URL('./seccomp-default.json', import.meta.url));
  if (existsSync(beside)) return beside;
  for (let dir = dirname(beside); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'src', 'runtime', 'spec', 'seccomp-default.json');
  }
  throw new InternalError(`seccomp-default.json not found beside ${beside} nor under a package root`);
}
