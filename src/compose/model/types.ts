/**
 * The resolved Compose project: what `docker compose config --format json` prints (compose-go's
 * normalized model), after discovery, merging of several files, interpolation, `.env`,
 * profiles, `extends` and `include`. Field names are the Compose Specification's, so this is
 * the wire shape of `berth compose config` too. Everything short-syntax is expanded to its
 * long form here; the engine side (compose/project) never sees a short form.
 *
 * This file is the contract between compose/model (loads it) and compose/project (runs it).
 */

export interface Project {
  /** -p, COMPOSE_PROJECT_NAME, `name:` or the directory's name, normalized as Compose does. */
  name: string;
  /** The directory relative paths resolve against (the first file's directory, or --project-directory). */
  workingDir: string;
  /** The files read, absolute, in order (com.docker.compose.project.config_files). */
  configFiles: string[];
  /** Services enabled by the active profiles, by name. */
  services: Record<string, ServiceConfig>;
  /** Services left out by profiles: kept so `down` and `--remove-orphans` know them. */
  disabledServices: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, FileObjectConfig>;
  configs: Record<string, FileObjectConfig>;
  /** The variables interpolation used (.env, --env-file, the process environment). */
  environment: Record<string, string>;
}

export interface ServiceConfig {
  name: string;
  profiles?: string[];
  image?: string;
  build?: BuildConfig;
  pull_policy?: 'always' | 'never' | 'missing' | 'build' | 'if_not_present';
  /** Exec form, always (a string command is split as a shell would, as Compose does). */
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** Merged from env_file and environment; a variable without a value is null. */
  environment: Record<string, string | null>;
  labels: Record<string, string>;
  ports: ServicePort[];
  expose: string[];
  volumes: ServiceVolume[];
  tmpfs: string[];
  /** Network name (key of Project.networks) → attachment; absent when network_mode is set. */
  networks: Record<string, ServiceNetwork | null>;
  network_mode?: string;
  /** Always the long form. */
  depends_on: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  restart?: string;
  init?: boolean;
  user?: string;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  container_name?: string;
  stop_signal?: string;
  /** Duration in Go's syntax as written ("10s", "1m30s"). */
  stop_grace_period?: string;
  secrets: ServiceFileRef[];
  configs: ServiceFileRef[];
  cap_add: string[];
  cap_drop: string[];
  privileged?: boolean;
  read_only?: boolean;
  shm_size?: number;
  ulimits: Record<string, { soft: number; hard: number }>;
  sysctls: Record<string, string>;
  devices: string[];
  extra_hosts: string[];
  dns: string[];
  dns_search: string[];
  dns_opt: string[];
  mac_address?: string;
  logging?: { driver?: string; options?: Record<string, string> };
  deploy?: {
    replicas?: number;
    resources?: { limits?: { cpus?: number; memory?: number; pids?: number }; reservations?: { cpus?: number; memory?: number } };
    restart_policy?: { condition?: string; max_attempts?: number };
  };
  /** --scale and deploy.replicas resolved: how many containers (default 1). */
  scale: number;
  tty?: boolean;
  stdin_open?: boolean;
  security_opt: string[];
  group_add: string[];
  pid?: string;
  ipc?: string;
  cgroup_parent?: string;
  /** Legacy links ("db" or "db:alias"); each also implies a depends_on entry. */
  links?: string[];
  /** "service[:ro]" or "container:name[:ro]"; a service also implies a depends_on entry. */
  volumes_from?: string[];
  /** Compose's `x-*` extension fields are dropped here; anything else unknown is a schema error. */
}

export interface BuildConfig {
  /** Absolute. */
  context: string;
  /** Relative to the context, as the Engine API takes it. */
  dockerfile: string;
  args: Record<string, string | null>;
  target?: string;
  labels: Record<string, string>;
  network?: string;
  no_cache?: boolean;
  pull?: boolean;
  cache_from: string[];
}

export interface ServicePort {
  /** Empty: any address. */
  host_ip?: string;
  target: number;
  /** A single port or a range "8000-8010"; absent: an ephemeral port. */
  published?: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
}

export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster';
  /** Volume name (key of Project.volumes) or absolute host path; absent for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z' };
  volume?: { nocopy?: boolean; subpath?: string };
  tmpfs?: { size?: number; mode?: number };
}

export interface ServiceNetwork {
  aliases?: string[];
  ipv4_address?: string;
  ipv6_address?: string;
  priority?: number;
}

export interface DependsOn {
  condition: 'service_started' | 'service_healthy' | 'service_completed_successfully';
  restart: boolean;
  required: boolean;
}

export interface Healthcheck {
  /** ["CMD", ...], ["CMD-SHELL", "..."] or ["NONE"]. */
  test?: string[];
  /** Durations as written ("30s"). */
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface ServiceFileRef {
  /** Key of Project.secrets / Project.configs. */
  source: string;
  /** Secrets: a name under /run/secrets, or absolute; configs: absolute (default /<source>). */
  target: string;
  uid?: string;
  gid?: string;
  mode?: number;
}

export interface NetworkConfig {
  /** The engine's name: `<project>_<key>`, or `name:`, or the external name. */
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  external: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv6?: boolean;
  ipam?: { driver?: string; config?: Array<{ subnet?: string; ip_range?: string; gateway?: string; aux_addresses?: Record<string, string> }>; options?: Record<string, string> };
  labels: Record<string, string>;
}

export interface VolumeConfig {
  /** The engine's name: `<project>_<key>`, or `name:`, or the external name. */
  name: string;
  driver?: string;
  driver_opts: Record<string, string>;
  external: boolean;
  labels: Record<string, string>;
}

export interface FileObjectConfig {
  name: string;
  /** Absolute path of the file (file-based secrets and configs). */
  file?: string;
  /** `environment:` secrets: the variable's value, resolved at load. */
  environment?: string;
  /** `content:` configs. */
  content?: string;
  external: boolean;
}

/** What loading takes: the CLI's global compose flags and the process environment. */
export interface LoadOptions {
  /** -f files as given (relative to cwd); empty: discovery from workingDir upwards. */
  files: string[];
  projectName?: string;
  projectDirectory?: string;
  envFiles: string[];
  profiles: string[];
  /** The process environment (COMPOSE_PROJECT_NAME, COMPOSE_FILE, COMPOSE_PROFILES, variables). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Services named on the command line: their own profiles are turned on, as Compose does. */
  services?: string[];
  /** --scale service=n: overrides `scale`/`deploy.replicas`. */
  scale?: Record<string, number>;
  /** Compose's warnings (an unset variable, several candidate files); default: dropped. */
  onWarning?: (message: string) => void;
}
