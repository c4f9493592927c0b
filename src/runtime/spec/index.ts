/**
 * OCI runtime-spec generation for a container, Docker-compatible and pure: callers do the host
 * lookups (stat, /etc/passwd, namespace paths, uname) and pass the results in; nothing here
 * touches the system except reading the default seccomp profile shipped beside this module.
 */
export { generateSpec, cgroupsPathFor, DEFAULT_CGROUP_PARENT } from './generate.js';
export type { SpecInput } from './input.js';
export { specToJson } from './serialize.js';
export { resolveCommand, type CommandConfig, type ResolvedCommand } from './command.js';
export { resolveUser, type ResolvedUser } from './user.js';
export { applyHostConfigDefaults, type HostConfigDefaults } from './hostconfig-defaults.js';
export { tweakCapabilities, normalizeCapabilities, type CapabilityOptions } from './capabilities.js';
export { parseSecurityOpts, type SecurityOptions } from './security-opt.js';
export {
  translateSeccomp, defaultSeccompProfile, parseSeccompProfile, parseKernelRelease, nativeArch,
  type SeccompProfile, type SeccompRule, type SeccompFilter, type SeccompTarget,
} from './seccomp.js';
export { parseUlimit, buildRlimits } from './rlimits.js';
export { validateSysctls } from './sysctls.js';
export { mergeTmpfsOptions } from './tmpfs.js';
export { parseDeviceCgroupRule, type ResolvedDevice } from './devices.js';
export type { DeviceNumbers } from './resources.js';
export { isValidIpcMode, type NetworkModeKind, type PeerNamespacePaths } from './namespaces.js';
export { containerEnv, replaceOrAppendEnv } from './env.js';
export {
  buildHostsFile, buildHostnameFile, parseExtraHosts, HOST_GATEWAY_NAME, type HostsFileInput, type ExtraHost,
} from './etc-files.js';
export {
  buildResolvConf, INTERNAL_RESOLVER_IP, type ResolvConfInput, type ResolvConfResult, type ResolvConfTransform,
  type ExtNameserver,
} from './resolv-conf.js';
export {
  OCI_VERSION, DEFAULT_PATH_ENV, DEFAULT_SHM_SIZE_BYTES, CONTAINER_INIT_PATH,
  defaultCapabilities, knownCapabilities, defaultMaskedPaths, defaultReadonlyPaths,
} from './defaults.js';
