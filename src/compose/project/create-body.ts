/**
 * A service of the resolved model as an Engine API `POST /containers/create` body, as
 * compose's pkg/compose/create.go (getCreateConfigs) builds it. Pure: everything the engine
 * must be asked first (the image ID, the container a `service:` network mode points at, the
 * anonymous volumes of the container being replaced) comes in `CreateContext`.
 */
import path from 'node:path';
import { parseGoDuration } from '../../util/index.js';
import type { Project, ServiceConfig, ServiceVolume } from '../model/types.js';
import { COMPOSE_VERSION, configHash, dependsOnLabel, LABEL } from './labels.js';

export interface CreateContext {
  project: Project;
  service: ServiceConfig;
  number: number;
  name: string;
  /** The image's ID (com.docker.compose.image). */
  imageId?: string;
  /** `service:x` network mode → the container it joins. */
  networkModeContainer?: string;
  /** Mounts of the replaced container to carry over (anonymous volumes), by target. */
  inherited?: Record<string, string>;
  oneoff?: boolean;
  /** run's overrides. */
  overrides?: { command?: string[]; entrypoint?: string[]; env?: string[]; tty?: boolean; stdinOpen?: boolean; user?: string; workdir?: string; ports?: string[] };
}

export interface CreateBody {
  [key: string]: unknown;
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, Record<string, unknown>> };
}

/** Compose's default image for a service that only builds: `<project>-<service>`. */
export function imageName(project: Project, service: ServiceConfig): string {
  return service.image ?? `${project.name}-${service.name}`;
}

/** Go duration text → nanoseconds, as the Engine API's Healthcheck takes it. */
function ns(d: string | undefined): number | undefined {
  return d === undefined ? undefined : Number(parseGoDuration(d));
}

/** The networks a service joins, in Compose's order: priority first (higher wins), then name. */
export function serviceNetworks(service: ServiceConfig): string[] {
  return Object.keys(service.networks).sort((a, b) => {
    const pa = service.networks[a]?.priority ?? 0;
    const pb = service.networks[b]?.priority ?? 0;
    return pa !== pb ? pb - pa : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** One network's endpoint settings: the service name among the aliases, as Compose adds it. */
export function endpointConfig(ctx: CreateContext, key: string): Record<string, unknown> {
  const attach = ctx.service.networks[key] ?? {};
  const aliases = ctx.oneoff ? [...(attach.aliases ?? [])] : [ctx.service.name, ...(attach.aliases ?? [])];
  const ep: Record<string, unknown> = { Aliases: aliases };
  if (attach.ipv4_address || attach.ipv6_address) ep.IPAMConfig = { IPv4Address: attach.ipv4_address, IPv6Address: attach.ipv6_address };
  if (ctx.service.mac_address) ep.MacAddress = ctx.service.mac_address;
  return ep;
}

function restartPolicy(service: ServiceConfig): { Name: string; MaximumRetryCount?: number } {
  const r = service.restart;
  if (r) {
    const [name, count] = r.split(':');
    if (name === 'on-failure') return { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
    return { Name: name === 'no' ? '' : name! };
  }
  const p = service.deploy?.restart_policy;
  if (p?.condition === 'any') return { Name: 'always' };
  if (p?.condition === 'on-failure') return { Name: 'on-failure', MaximumRetryCount: p.max_attempts ?? 0 };
  return { Name: '' };
}

function volumeMount(project: Project, v: ServiceVolume, inherited: Record<string, string>): Record<string, unknown> {
  switch (v.type) {
    case 'volume': {
      const source = v.source ? (project.volumes[v.source]?.name ?? v.source) : inherited[v.target];
      return {
        Type: 'volume', Source: source, Target: v.target, ReadOnly: v.read_only === true,
        VolumeOptions: v.volume ? { NoCopy: v.volume.nocopy === true, Subpath: v.volume.subpath } : undefined,
      };
    }
    case 'tmpfs':
      return { Type: 'tmpfs', Target: v.target, ReadOnly: v.read_only === true, TmpfsOptions: v.tmpfs ? { SizeBytes: v.tmpfs.size, Mode: v.tmpfs.mode } : undefined };
    default:
      return {
        Type: v.type, Source: v.source, Target: v.target, ReadOnly: v.read_only === true,
        BindOptions: v.bind?.propagation ? { Propagation: v.bind.propagation } : undefined,
      };
  }
}

/** A bind the engine creates the source of when missing (Compose's create_host_path, the default): the legacy Binds form. */
function bindString(v: ServiceVolume): string {
  const opts = [v.read_only ? 'ro' : '', v.bind?.propagation ?? '', v.bind?.selinux ?? ''].filter(Boolean);
  return `${v.source}:${v.target}${opts.length ? `:${opts.join(',')}` : ''}`;
}

/** Secrets and configs: file-based ones are read-only binds (at /run/secrets/<target>, and the config target). */
function fileObjectMounts(project: Project, service: ServiceConfig): Array<Record<string, unknown>> {
  const mounts: Array<Record<string, unknown>> = [];
  for (const [kind, refs, defs] of [['secret', service.secrets, project.secrets], ['config', service.configs, project.configs]] as const) {
    for (const ref of refs) {
      const def = defs[ref.source];
      if (!def?.file) continue;
      const target = kind === 'secret' && !path.isAbsolute(ref.target) ? path.posix.join('/run/secrets', ref.target) : ref.target;
      mounts.push({ Type: 'bind', Source: def.file, Target: target, ReadOnly: true });
    }
  }
  return mounts;
}

/** `host:container[:perm]` → the Engine API's DeviceMapping. */
function deviceMapping(spec: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const [host, container, perm] = spec.split(':');
  return { PathOnHost: host!, PathInContainer: container ?? host!, CgroupPermissions: perm ?? 'rwm' };
}

function portBindings(service: ServiceConfig, extra: string[]): { exposed: Record<string, object>; bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> } {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of service.ports) {
    const key = `${p.target}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.host_ip ?? '', HostPort: p.published ?? '' });
  }
  for (const e of service.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  for (const spec of extra) {
    // run -p [ip:]host:container[/proto]
    const [portPart, proto = 'tcp'] = spec.split('/');
    const parts = portPart!.split(':');
    const target = parts.pop()!;
    const host = parts.pop() ?? '';
    const ip = parts.join(':');
    const key = `${target}/${proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: ip, HostPort: host });
  }
  return { exposed, bindings };
}

function networkMode(ctx: CreateContext, first: string | undefined): string | undefined {
  const mode = ctx.service.network_mode;
  if (mode?.startsWith('service:')) return `container:${ctx.networkModeContainer ?? mode.slice('service:'.length)}`;
  if (mode) return mode;
  return first ? ctx.project.networks[first]?.name ?? first : undefined;
}

function envList(service: ServiceConfig, extra: string[]): string[] {
  const env = Object.entries(service.environment).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
  return [...env, ...extra];
}

export function labelsOf(ctx: CreateContext): Record<string, string> {
  const { project, service } = ctx;
  return {
    ...service.labels,
    [LABEL.project]: project.name,
    [LABEL.service]: service.name,
    [LABEL.number]: String(ctx.number),
    [LABEL.oneoff]: ctx.oneoff ? 'True' : 'False',
    [LABEL.configHash]: configHash(service),
    [LABEL.workingDir]: project.workingDir,
    [LABEL.configFiles]: project.configFiles.join(','),
    [LABEL.dependsOn]: dependsOnLabel(service),
    [LABEL.version]: COMPOSE_VERSION,
    ...(ctx.imageId ? { [LABEL.image]: ctx.imageId } : {}),
  };
}

function healthcheck(service: ServiceConfig): Record<string, unknown> | undefined {
  const h = service.healthcheck;
  if (!h) return undefined;
  if (h.disable) return { Test: ['NONE'] };
  return {
    Test: h.test, Interval: ns(h.interval), Timeout: ns(h.timeout), StartPeriod: ns(h.start_period),
    StartInterval: ns(h.start_interval), Retries: h.retries,
  };
}

function resources(service: ServiceConfig): Record<string, unknown> {
  const limits = service.deploy?.resources?.limits;
  const reservations = service.deploy?.resources?.reservations;
  return {
    Memory: limits?.memory, NanoCpus: limits?.cpus !== undefined ? Math.round(limits.cpus * 1e9) : undefined,
    PidsLimit: limits?.pids, MemoryReservation: reservations?.memory,
  };
}

export function createBody(ctx: CreateContext): CreateBody {
  const { project, service } = ctx;
  const o = ctx.overrides ?? {};
  const nets = service.network_mode ? [] : serviceNetworks(service);
  const { exposed, bindings } = portBindings(service, o.ports ?? []);
  const inherited = ctx.inherited ?? {};
  const binds: string[] = [];
  const mounts: Array<Record<string, unknown>> = [];
  for (const v of service.volumes) {
    if (v.type === 'bind' && v.bind?.create_host_path !== false) binds.push(bindString(v));
    else mounts.push(volumeMount(project, v, inherited));
  }
  // Anonymous volumes of the replaced container that the service no longer lists (the image's VOLUMEs) are kept too.
  const targets = new Set(service.volumes.map((v) => v.target));
  for (const [target, name] of Object.entries(inherited)) {
    if (!targets.has(target)) mounts.push({ Type: 'volume', Source: name, Target: target });
  }
  mounts.push(...fileObjectMounts(project, service));
  const tmpfs = Object.fromEntries(service.tmpfs.map((t) => {
    const i = t.indexOf(':');
    return i < 0 ? [t, ''] : [t.slice(0, i), t.slice(i + 1)];
  }));
  const logging = service.logging;
  const first = nets[0];
  const hostConfig: Record<string, unknown> = {
    Binds: binds, Mounts: mounts, Tmpfs: tmpfs, PortBindings: bindings,
    NetworkMode: networkMode(ctx, first),
    RestartPolicy: ctx.oneoff ? { Name: '' } : restartPolicy(service),
    Init: service.init, Privileged: service.privileged === true, ReadonlyRootfs: service.read_only === true,
    ShmSize: service.shm_size, CapAdd: service.cap_add, CapDrop: service.cap_drop, SecurityOpt: service.security_opt,
    GroupAdd: service.group_add, PidMode: service.pid, IpcMode: service.ipc, CgroupParent: service.cgroup_parent,
    Ulimits: Object.entries(service.ulimits).map(([Name, l]) => ({ Name, Soft: l.soft, Hard: l.hard })),
    Sysctls: service.sysctls, Devices: service.devices.map(deviceMapping),
    ExtraHosts: service.extra_hosts.map((h) => h.replace(/^([^=:]+)=/, '$1:')),
    Dns: service.dns, DnsSearch: service.dns_search, DnsOptions: service.dns_opt,
    LogConfig: logging ? { Type: logging.driver ?? '', Config: logging.options ?? {} } : undefined,
    ...resources(service),
  };
  const endpoints: Record<string, Record<string, unknown>> = {};
  if (first) endpoints[project.networks[first]?.name ?? first] = endpointConfig(ctx, first);
  const stopGrace = service.stop_grace_period ? Math.round(Number(parseGoDuration(service.stop_grace_period)) / 1e9) : undefined;
  return {
    Image: imageName(project, service),
    Cmd: o.command ?? service.command ?? undefined,
    Entrypoint: o.entrypoint ?? service.entrypoint ?? undefined,
    Env: envList(service, o.env ?? []),
    Labels: labelsOf(ctx),
    ExposedPorts: exposed,
    Tty: o.tty ?? service.tty === true,
    OpenStdin: o.stdinOpen ?? service.stdin_open === true,
    AttachStdin: o.stdinOpen ?? false,
    AttachStdout: true,
    AttachStderr: true,
    StdinOnce: o.stdinOpen ?? false,
    User: o.user ?? service.user,
    WorkingDir: o.workdir ?? service.working_dir,
    Hostname: service.hostname,
    Domainname: service.domainname,
    StopSignal: service.stop_signal,
    StopTimeout: stopGrace,
    Healthcheck: healthcheck(service),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
}
