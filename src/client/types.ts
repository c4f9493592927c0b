/**
 * The Engine API shapes the client reads (docker-engine-api-v1.50.yaml), loosely typed:
 * fields a daemon may omit are optional. Only what the CLI uses is spelled out.
 */

export interface ImageSummary {
  Id: string;
  ParentId?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  VirtualSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ImageHistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageDeleteItem {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneReport {
  ImagesDeleted?: ImageDeleteItem[] | null;
  SpaceReclaimed?: number;
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string> | null;
}

export interface SystemVersion {
  Platform?: { Name: string };
  Components?: ComponentVersion[] | null;
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
  [key: string]: unknown;
}

/** GET /info: printed field by field, so kept open. */
export type SystemInfo = Record<string, unknown>;

export interface Port { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

export interface MountPoint { Type?: string; Name?: string; Source?: string; Destination?: string; Driver?: string }

export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image?: string;
  ImageID?: string;
  Command?: string;
  Created?: number;
  Ports?: Port[] | null;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Status?: string;
  Mounts?: MountPoint[] | null;
  NetworkSettings?: { Networks?: Record<string, unknown> | null } | null;
}

export interface Volume {
  Name: string;
  Driver?: string;
  Mountpoint?: string;
  Labels?: Record<string, string> | null;
  Scope?: string;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface BuildCacheRecord {
  ID: string;
  Parent?: string;
  Parents?: string[] | null;
  Type?: string;
  Description?: string;
  InUse?: boolean;
  Shared?: boolean;
  Size?: number;
  CreatedAt?: string;
  LastUsedAt?: string | null;
  UsageCount?: number;
}

export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageSummary[] | null;
  Containers?: ContainerSummary[] | null;
  Volumes?: Volume[] | null;
  BuildCache?: BuildCacheRecord[] | null;
}

export interface EventActor {
  ID?: string;
  Attributes?: Record<string, string> | null;
}

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type?: string;
  Action?: string;
  Actor?: EventActor;
  scope?: string;
  time?: number;
  timeNano?: number;
}

/** GET /containers/{id}/json: what the CLI reads; the raw JSON is printed by inspect. */
export interface ContainerInspect {
  Id: string;
  Name?: string;
  State?: { Status?: string; Running?: boolean; Paused?: boolean; Restarting?: boolean; ExitCode?: number } | null;
  Config?: { Tty?: boolean; OpenStdin?: boolean; [key: string]: unknown } | null;
  HostConfig?: { AutoRemove?: boolean; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** POST /containers/{id}/wait. */
export interface ContainerWaitResponse {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** GET /containers/{id}/top. */
export interface ContainerTopResponse {
  Titles?: string[] | null;
  Processes?: string[][] | null;
}

/** GET /containers/{id}/changes: Kind 0 modified, 1 added, 2 deleted. */
export interface FilesystemChange {
  Path: string;
  Kind: number;
}

export interface ContainerPruneReport {
  ContainersDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

export interface ContainerUpdateResponse {
  Warnings?: string[] | null;
}

export interface ContainerCreateResult {
  Id: string;
  Warnings?: string[] | null;
}

/** One entry of GET /containers/{id}/stats (Linux fields the CLI computes with). */
export interface ContainerStatsResponse {
  id?: string;
  name?: string;
  read?: string;
  preread?: string;
  pids_stats?: { current?: number; limit?: number } | null;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ major?: number; minor?: number; op: string; value: number }> | null } | null;
  num_procs?: number;
  cpu_stats?: StatsCpu | null;
  precpu_stats?: StatsCpu | null;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> | null; privateworkingset?: number } | null;
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  storage_stats?: { read_size_bytes?: number; write_size_bytes?: number } | null;
}

export interface StatsCpu {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null } | null;
  system_cpu_usage?: number;
  online_cpus?: number;
}
