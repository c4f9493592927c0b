import type { ContainerConfig, HostConfig, OciMount, Ulimit } from '../../types/container.js';
import type { ResolvedDevice } from './devices.js';
import type { NetworkModeKind, PeerNamespacePaths } from './namespaces.js';
import type { DeviceNumbers } from './resources.js';
import type { SeccompProfile } from './seccomp.js';
import type { ResolvedUser } from './user.js';

/**
 * Everything `generateSpec` needs, with every host lookup already done by the caller (stat,
 * /etc/passwd, namespace paths, uname), so that generation is a pure function of this value.
 */
export interface SpecInput {
  id: string;
  /** The container's Config with the image's config already merged in. */
  config: ContainerConfig;
  /** Legacy links' variables (`ALIAS_PORT_80_TCP=…`), between the defaults and Config.Env. */
  linkedEnv?: readonly string[];
  hostConfig: HostConfig;
  /** The mounted rootfs (overlay `merged`). */
  rootfsPath: string;
  /** argv: `[path, ...args]` from `resolveCommand`. */
  args: readonly string[];
  /** Config.User resolved against the image's files (`resolveUser`). */
  user: ResolvedUser;

  /** Per-container files bind-mounted at /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  hostsPath?: string;
  hostnamePath?: string;
  resolvConfPath?: string;
  /** Host directory for /dev/shm when the IPC namespace is shareable, the host's or a peer's. */
  shmPath?: string;

  networkMode: NetworkModeKind;
  /** The netns to join: prepared by berth for `default`, the peer's for `container`. */
  netnsPath?: string;
  /** Namespace paths of the containers named in `container:<id>` pid/ipc/network modes. */
  peerNamespacePaths?: PeerNamespacePaths;

  /** Host path of the static init binary (tini-static) for --init. */
  initPath?: string;
  /** daemon.json `init`: run the init when HostConfig.Init is unset. */
  defaultInit?: boolean;
  /** e.g. `/berth/<id>`; default: `cgroupsPathFor(id, HostConfig.CgroupParent)`. */
  cgroupsPath?: string;
  isCgroup2: boolean;
  /** Volumes and binds, computed by the caller; they replace a default mount at the same place. */
  mounts?: readonly OciMount[];

  /** `--device` entries, resolved to device nodes. */
  devices?: readonly ResolvedDevice[];
  /** The host's /dev devices, given to privileged containers. */
  hostDevices?: readonly ResolvedDevice[];
  /** major:minor of the block devices named in blkio options, by path. */
  blkioDeviceNumbers?: DeviceNumbers;

  /** daemon.json `default-ulimits`. */
  defaultUlimits?: readonly Ulimit[];
  /** `uname -r`: seccomp rules and some sysctls depend on the kernel version. */
  kernelRelease: string;
  /** The capabilities berthd holds (privileged and --cap-add ALL); default: all known. */
  allCapabilities?: readonly string[];
  /** Host-specific paths Docker masks too (each cpu's thermal_throttle that exists). */
  hostMaskedPaths?: readonly string[];
  /** daemon.json `seccomp-profile` (parsed), replacing Docker's default profile. */
  defaultSeccompProfile?: SeccompProfile;
  /** daemon.json `no-new-privileges`. */
  defaultNoNewPrivileges?: boolean;
  /** libseccomp arch name ("amd64"); default: this process's. */
  arch?: string;
}
