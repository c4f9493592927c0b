/**
 * The host's kernel and cgroup support (dockerd's pkg/sysinfo): probed once at berthd's start
 * from files under configurable roots, so tests can point it at a fake tree.
 */
export { probeSysInfo, HOST_ROOTS, type ProbeRoots, type SysInfo } from './probe.js';
export { infoWarnings } from './info-warnings.js';
/** Test support: a host that supports everything, minus what a test takes away. */
export { fakeSysInfo } from './testing.js';
