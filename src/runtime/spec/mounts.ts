import { posix } from 'node:path';
import type { OciMount } from '../../types/container.js';
import { defaultMounts } from './defaults.js';
import { tmpfsMount } from './tmpfs.js';

export interface MountPlan {
  /** Volumes and binds as the caller computed them. */
  callerMounts: readonly OciMount[];
  /** HostConfig.Tmpfs. */
  tmpfs: Readonly<Record<string, string>>;
  /** Host directory bound at /dev/shm (shareable, host or another container's IPC). */
  shmPath: string | undefined;
  shmSizeBytes: number;
  isIpcNone: boolean;
  /** Bind mount of the init binary, when --init applies. */
  initMount: OciMount | undefined;
  resolvConfPath: string | undefined;
  hostnamePath: string | undefined;
  hostsPath: string | undefined;
  isReadonlyRootfs: boolean;
  isPrivileged: boolean;
  hasWritableCgroups: boolean;
}

/** A bind in Docker's form: rbind, "ro" unless writable, then the default propagation. */
function bindMount(destination: string, source: string, isWritable: boolean): OciMount {
  return { destination, type: 'bind', source, options: isWritable ? ['rbind', 'rprivate'] : ['rbind', 'ro', 'rprivate'] };
}

/**
 * The mounts the container gets besides Docker's defaults, sorted so that a parent is mounted
 * before what lies under it (moby `sortMounts`, by the number of path components; a stable
 * sort, which Go's sort.Sort is too for the short lists containers have).
 */
function userMounts(plan: MountPlan): OciMount[] {
  const tmpfsDests = new Set(Object.keys(plan.tmpfs));
  const mounts: OciMount[] = [];
  // A volume at /dev/shm wins over the shm directory (moby `IpcMounts`).
  const hasShmVolume = plan.callerMounts.some((m) => m.destination === '/dev/shm');
  if (plan.shmPath !== undefined && !hasShmVolume) mounts.push(bindMount('/dev/shm', plan.shmPath, true));
  for (const [dest, data] of Object.entries(plan.tmpfs)) mounts.push(tmpfsMount(dest, data));
  // A --tmpfs destination wins over a volume at the same place (moby `setupMounts`).
  mounts.push(...plan.callerMounts.filter((m) => !tmpfsDests.has(m.destination)));
  // The network files, unless the user mounted something there (moby `NetworkMounts`).
  const taken = new Set(mounts.map((m) => m.destination));
  const files: Array<[string, string | undefined]> = [
    ['/etc/resolv.conf', plan.resolvConfPath], ['/etc/hostname', plan.hostnamePath], ['/etc/hosts', plan.hostsPath],
  ];
  for (const [dest, source] of files) {
    if (source !== undefined && !taken.has(dest)) mounts.push(bindMount(dest, source, !plan.isReadonlyRootfs));
  }
  const depth = (m: OciMount) => (posix.normalize(m.destination).match(/\//g) ?? []).length;
  return mounts.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map(({ m }) => m);
}

/**
 * Docker's defaults that survive the user's mounts (moby `withMounts`): one at a user's
 * destination goes, everything under /dev goes when the user mounts /dev, /dev/shm goes with
 * `--ipc none` and otherwise gets its size.
 */
function keptDefaults(plan: MountPlan, user: ReadonlySet<string>): OciMount[] {
  const defaults = defaultMounts();
  if (plan.initMount) defaults.push(plan.initMount);
  const hasDev = user.has('/dev');
  return defaults.flatMap((m) => {
    if (user.has(m.destination)) return [];
    if (hasDev && m.destination.startsWith('/dev/')) return [];
    if (m.destination !== '/dev/shm') return [m];
    if (plan.isIpcNone) return [];
    return [{ ...m, options: [...(m.options ?? []), `size=${plan.shmSizeBytes}`] }];
  });
}

function withoutRo(m: OciMount): OciMount {
  return { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') };
}

/** Mounts a read-only rootfs leaves writable (moby `withMounts`). */
const READONLY_ROOT_EXEMPT = new Set(['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev']);

/** The container's mounts in order: kept defaults (and init), then the user's sorted mounts. */
export function buildMounts(plan: MountPlan): OciMount[] {
  const user = userMounts(plan);
  const userDests = new Set(user.map((m) => m.destination));
  let mounts = [...keptDefaults(plan, userDests), ...user];
  if (plan.isReadonlyRootfs) {
    mounts = mounts.map((m) => {
      if (READONLY_ROOT_EXEMPT.has(m.destination) || userDests.has(m.destination) || m.options?.includes('ro')) return m;
      return { ...m, options: [...(m.options ?? []), 'ro'] };
    });
  }
  // Privileged containers get a writable /sys, and the cgroup tree too unless told otherwise.
  if (plan.isPrivileged) mounts = mounts.map((m) => (m.destination === '/sys' ? withoutRo(m) : m));
  if (plan.hasWritableCgroups) mounts = mounts.map((m) => (m.type === 'cgroup' ? withoutRo(m) : m));
  return mounts;
}
