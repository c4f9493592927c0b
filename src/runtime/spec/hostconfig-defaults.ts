import type { HostConfig } from '../../types/container.js';
import { DEFAULT_SHM_SIZE_BYTES, defaultMaskedPaths, defaultReadonlyPaths } from './defaults.js';

export interface HostConfigDefaults {
  isCgroup2: boolean;
  /** daemon.json `default-shm-size`. */
  shmSizeBytes?: number;
  /** daemon.json `default-ipc-mode`: Docker's default is `private`. */
  ipcMode?: 'private' | 'shareable';
  /** daemon.json `default-cgroupns-mode`; by default private on cgroup v2, host on v1. */
  cgroupnsMode?: 'private' | 'host';
  /** Host-specific masked paths (thermal_throttle), see `defaultMaskedPaths`. */
  hostMaskedPaths?: readonly string[];
}

/**
 * The defaults dockerd writes into a container's HostConfig when it is created (moby
 * daemon/daemon_unix.go `adaptContainerSettings`, create_unix.go), so that `docker inspect`
 * shows them and later starts do not depend on daemon settings that changed since. Pure and
 * idempotent: `generateSpec` applies it too.
 */
export function applyHostConfigDefaults(hc: HostConfig, d: HostConfigDefaults): HostConfig {
  const out: HostConfig = { ...hc };
  if ((out.Memory ?? 0) > 0 && (out.MemorySwap ?? 0) === 0) out.MemorySwap = out.Memory! * 2;
  if (!out.ShmSize) out.ShmSize = d.shmSizeBytes ?? DEFAULT_SHM_SIZE_BYTES;
  if (!out.IpcMode) out.IpcMode = d.ipcMode ?? 'private';
  if (!out.CgroupnsMode) {
    // On cgroup v1 a privileged container keeps the host's cgroup namespace; on v2 it gets its own.
    if (out.Privileged && !d.isCgroup2) out.CgroupnsMode = 'host';
    else out.CgroupnsMode = d.cgroupnsMode ?? (d.isCgroup2 ? 'private' : 'host');
  }
  if (out.OomKillDisable === undefined || out.OomKillDisable === null) out.OomKillDisable = false;
  if (out.MemorySwappiness === -1) out.MemorySwappiness = null;
  if ((out.MaskedPaths === undefined || out.MaskedPaths === null) && !out.Privileged) {
    out.MaskedPaths = defaultMaskedPaths(d.hostMaskedPaths);
  }
  if ((out.ReadonlyPaths === undefined || out.ReadonlyPaths === null) && !out.Privileged) {
    out.ReadonlyPaths = defaultReadonlyPaths();
  }
  return out;
}
