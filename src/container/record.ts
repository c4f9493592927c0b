import type { ContainerConfig, HostConfig } from '../types/container.js';
import type { MountPoint } from './mounts.js';
import type { ContainerIdMappings } from './userns.js';

/** State.Health as inspect shows it. */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** The container's state as Docker's inspect shows it (times RFC 3339; zero time when unset). */
export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  conmonPid: number;
  exitCode: number;
  error: string;
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  /** Set by `docker stop`/`kill` so that restart policies do not bring it back. */
  hasBeenManuallyStopped: boolean;
  /** The health check's state, for containers that have one. */
  health?: HealthState;
  /** Paused by berthd for a commit (not by a user): a restart of berthd during the commit thaws it. */
  pausedForCommit?: boolean;
}

/**
 * berth's record of a container, `containers/<id>/config.json`, replaced atomically on every
 * change. Config is the merged config (image defaults + create request), as Docker stores it.
 */
export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  imageId: string;
  runtime: string;
  state: ContainerState;
  restartCount: number;
  /** The image's top chain id: the container's rootfs stacks on it. */
  imageChainId: string | undefined;
  platform: 'linux';
  /** Volumes, binds and tmpfs mounts decided at create (absent in records older than volumes). */
  mountPoints?: MountPoint[];
  /** Set when the container was made under userns-remap: its root is this host range's. */
  idMappings?: ContainerIdMappings;
  /**
   * The bridge networks it joins at start, by network name, in interface order (dockerd's
   * NetworkSettings.Networks as configured). Absent in records older than connect: then the
   * NetworkMode's network alone (container/network.ts `networksOf`).
   */
  networks?: Record<string, ContainerEndpointConfig>;
  /** Legacy links (`--link child:alias`, default bridge only), each known as `/<name>/<alias>`. */
  links?: ContainerLink[];
}

export interface ContainerLink {
  childId: string;
  alias: string;
}

/** One network as the container asked for it (create's EndpointsConfig, `network connect`). */
export interface ContainerEndpointConfig {
  /** '' until known (a record older than connect). */
  networkId: string;
  aliases?: string[];
  /** `--ip`. */
  ipv4Address?: string;
  /** `--ip6` (networks with IPv6). */
  ipv6Address?: string;
  /** `--mac-address`. */
  macAddress?: string;
  /** `--link-local-ip`. */
  linkLocalIps?: string[];
  /** `--link` given to `network connect` (kept as dockerd keeps them; not acted on off the default bridge). */
  links?: string[];
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return { status: 'created', pid: 0, conmonPid: 0, exitCode: 0, error: '', startedAt: ZERO_TIME, finishedAt: ZERO_TIME, oomKilled: false, hasBeenManuallyStopped: false };
}
