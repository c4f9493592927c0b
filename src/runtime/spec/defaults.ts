import type { OciDeviceCgroup, OciMount, OciNamespaceType } from '../../types/container.js';

/**
 * Docker's defaults for a Linux container, as moby v28.5 writes them (daemon/pkg/oci/defaults.go,
 * oci/caps/defaults.go). Each function returns a fresh copy: callers edit what they get.
 */

/**
 * The runtime-spec version stamped on config.json. Docker 28 writes 1.2.1 (its vendored
 * runtime-spec), but crun 1.8 (Debian 12) refuses that with "unknown version specified";
 * 1.1.0 is accepted by runc 1.1 and crun 1.8, and berth writes no field newer than it.
 */
export const OCI_VERSION = '1.1.0';

/** PATH for a container whose image sets none (moby `oci.DefaultPathEnv`). */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** /dev/shm size when HostConfig.ShmSize is 0 (moby `config.DefaultShmSize`). */
export const DEFAULT_SHM_SIZE_BYTES = 64 * 1024 * 1024;

/** Where `--init` puts the init binary inside the container (moby `inContainerInitPath`). */
export const CONTAINER_INIT_PATH = '/sbin/docker-init';

/** The 14 capabilities every unprivileged container gets. */
export function defaultCapabilities(): string[] {
  return [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
    'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
    'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ];
}

/**
 * Every capability name the kernel knows, in number order (containerd `pkg/cap.Known()`, up
 * to CAP_CHECKPOINT_RESTORE of Linux 5.9). Docker's "all capabilities" is this list cut to what
 * the daemon itself holds; berthd runs as full root, so by default it is the whole list.
 */
export function knownCapabilities(): string[] {
  return [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
    'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
    'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
    'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
    'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
    'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
    'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
    'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  ];
}

/** The mounts every container starts with, in Docker's order. */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    {
      destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777'] },
  ];
}

/**
 * Paths masked in unprivileged containers. /proc/interrupts and powercap come from moby's
 * advisories GHSA-6fw5-f8r9-fgfm and GHSA-jq35-85cj-fj4p (in Docker 28.2); the first also masks each
 * `/sys/devices/system/cpu/cpuN/thermal_throttle` that exists on the host, which the caller
 * finds (stat) and passes as `hostMaskedPaths`.
 */
export function defaultMaskedPaths(hostMaskedPaths: readonly string[] = []): string[] {
  return [
    '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys',
    '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug',
    '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
    ...hostMaskedPaths,
  ];
}

export function defaultReadonlyPaths(): string[] {
  return ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
}

/**
 * Docker's namespaces before the modes are applied. Docker 29 adds `time` on kernels that have
 * it; Docker 28 does not, and runc 1.1 (this host's) predates time namespaces.
 */
export function defaultNamespaceTypes(): OciNamespaceType[] {
  return ['mount', 'network', 'uts', 'pid', 'ipc'];
}

/**
 * The device cgroup: deny all, then allow null, zero, full, urandom, tty, console (5:1), and
 * deny /dev/rtc0 (10:229) again. runc appends its own allow list after these (`c *:* m`,
 * `b *:* m`, /dev/pts, ptmx, tun, ...), as libcontainer/specconv `AllowedDevices`.
 */
export function defaultDeviceCgroupRules(): OciDeviceCgroup[] {
  const allow = (major: number, minor: number): OciDeviceCgroup => ({ allow: true, type: 'c', major, minor, access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    allow(1, 5), allow(1, 3), allow(1, 9), allow(1, 8), allow(5, 0), allow(5, 1),
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ];
}
