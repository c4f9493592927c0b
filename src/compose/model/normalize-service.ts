import path from 'node:path';
import { ComposeConfigError } from './errors.js';
import { isOverride, isReset, overrideMarker, overrideValue } from './markers.js';
import { splitShellWords } from './shellwords.js';
import { parsePort, parseServiceVolume, resolvePath } from './short-syntax.js';
import type { BuildConfig, DependsOn, Healthcheck, ServiceConfig, ServiceFileRef, ServiceNetwork } from './types.js';
import { parseBytes, toBool, toInt, toNumber } from './units.js';

/** An `env_file:` entry, resolved against its file's directory; read once files are merged. */
export interface EnvFileRef { path: string; required: boolean }

/**
 * A service as one file (or `extends`) gives it: only the keys written, each in its long form,
 * no defaults yet, so that merging files and `extends` overrides only what is written.
 */
export type ServiceDraft = Partial<Omit<ServiceConfig, 'name'>> & {
  env_file?: EnvFileRef[];
  extends?: { service: string; file?: string };
};

export interface PathContext {
  /** The directory relative paths resolve against. */
  dir: string;
  /** HOME, for `~`. */
  home: string | undefined;
}

type Raw = Record<string, unknown>;

const STRING_KEYS = new Set(['image', 'pull_policy', 'restart', 'user', 'working_dir', 'hostname', 'domainname',
  'container_name', 'stop_signal', 'stop_grace_period', 'network_mode', 'mac_address', 'pid', 'ipc', 'cgroup_parent']);
const BOOL_KEYS = new Set(['init', 'privileged', 'read_only', 'tty', 'stdin_open']);
const LIST_KEYS = new Set(['cap_add', 'cap_drop', 'security_opt', 'group_add', 'dns', 'dns_search', 'dns_opt', 'profiles',
  'links', 'volumes_from', 'expose', 'tmpfs']);

/** Reads one service of one file into its long form (see ServiceDraft). */
export function normalizeService(name: string, raw: Raw, ctx: PathContext): ServiceDraft {
  const d: ServiceDraft & Record<string, unknown> = {};
  const legacyLimits: { memory?: number; cpus?: number; pids?: number; reservation?: number } = {};
  for (const [key, v] of Object.entries(raw)) {
    const at = `services.${name}.${key}`;
    if (v === undefined || key.startsWith('x-')) continue;
    // `key: !reset` is kept for merging; `key: !override value` is read as `key: value`, marked.
    if (isReset(v)) { d[key] = v; continue; }
    if (isOverride(v)) { d[key] = overrideMarker(normalizeService(name, { [key]: overrideValue(v) }, ctx)[key as keyof ServiceDraft]); continue; }
    if (STRING_KEYS.has(key)) {
      // compose-go's normalization: if_not_present is the old spelling of missing.
      if (v !== null) d[key] = key === 'pull_policy' && v === 'if_not_present' ? 'missing' : String(v);
      continue;
    }
    if (BOOL_KEYS.has(key)) { if (v !== null) d[key] = toBool(v, at); continue; }
    if (LIST_KEYS.has(key)) { d[key] = toList(v).map(String); continue; }
    switch (key) {
      case 'command': case 'entrypoint':
        d[key] = v === null ? null : typeof v === 'string' ? splitShellWords(v) : (v as unknown[]).map(String);
        break;
      case 'environment': d.environment = toMap(v, true); break;
      case 'labels': d.labels = toMap(v, false) as Record<string, string>; break;
      case 'sysctls': d.sysctls = toMap(v, false) as Record<string, string>; break;
      case 'env_file': d.env_file = envFiles(v, ctx); break;
      case 'ports': d.ports = (v as unknown[]).flatMap((p, i) => parsePort(p, `${at}.${i}`)); break;
      case 'volumes': d.volumes = (v as unknown[]).map((x, i) => parseServiceVolume(x, `${at}.${i}`, ctx.dir, ctx.home)); break;
      case 'networks': d.networks = networks(v, at); break;
      case 'depends_on': d.depends_on = dependsOn(v, at); break;
      case 'healthcheck': d.healthcheck = healthcheck(v as Raw, at); break;
      case 'secrets': d.secrets = fileRefs(v as unknown[], at, (s) => `/run/secrets/${s}`); break;
      case 'configs': d.configs = fileRefs(v as unknown[], at, (s) => `/${s}`); break;
      case 'shm_size': d.shm_size = parseBytes(v, at); break;
      case 'ulimits': d.ulimits = ulimits(v as Raw, at); break;
      case 'devices': d.devices = (v as unknown[]).map(device); break;
      case 'extra_hosts': d.extra_hosts = extraHosts(v); break;
      case 'logging': d.logging = logging(v as Raw); break;
      case 'deploy': if (v !== null) d.deploy = deploy(v as Raw, at); break;
      case 'scale': d.scale = toInt(v, at); break;
      case 'build': d.build = build(v, at, ctx) as BuildConfig; break;
      case 'extends': d.extends = typeof v === 'string' ? { service: v } : { service: String((v as Raw).service), ...((v as Raw).file !== undefined ? { file: String((v as Raw).file) } : {}) }; break;
      case 'mem_limit': legacyLimits.memory = parseBytes(v, at); break;
      case 'mem_reservation': legacyLimits.reservation = parseBytes(v, at); break;
      case 'cpus': legacyLimits.cpus = toNumber(v, at); break;
      case 'pids_limit': legacyLimits.pids = toInt(v, at); break;
      // Other keys the schema allows (cpu_shares, oom_score_adj, ...) are not modelled: ADR 0017.
    }
  }
  applyLegacyLimits(name, d, legacyLimits);
  return d;
}

/**
 * mem_limit, cpus, pids_limit, mem_reservation: folded into deploy.resources. Both set to
 * different values is compose-go's error.
 */
function applyLegacyLimits(name: string, d: ServiceDraft, l: { memory?: number; cpus?: number; pids?: number; reservation?: number }): void {
  const set = (legacy: string, modern: string, value: number | undefined, target: Record<string, number | undefined>, key: string): void => {
    if (value === undefined) return;
    if (target[key] !== undefined && target[key] !== value) {
      throw new ComposeConfigError(`services.${name}: can't set distinct values on '${legacy}' and '${modern}': invalid compose project`);
    }
    target[key] = value;
  };
  if (l.memory === undefined && l.cpus === undefined && l.pids === undefined && l.reservation === undefined) return;
  const resources = ((d.deploy ??= {}).resources ??= {});
  if (l.memory !== undefined || l.cpus !== undefined || l.pids !== undefined) {
    const limits = (resources.limits ??= {}) as Record<string, number | undefined>;
    set('mem_limit', 'deploy.resources.limits.memory', l.memory, limits, 'memory');
    set('cpus', 'deploy.resources.limits.cpus', l.cpus, limits, 'cpus');
    set('pids_limit', 'deploy.resources.limits.pids', l.pids, limits, 'pids');
  }
  if (l.reservation !== undefined) {
    set('mem_reservation', 'deploy.resources.reservations.memory', l.reservation, (resources.reservations ??= {}) as Record<string, number | undefined>, 'memory');
  }
}

function toList(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function scalar(v: unknown): string {
  return typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
}

/**
 * `["K=V", "K"]` or `{K: V}` as a map. A variable without a value (`K` or `K: null`) is null when
 * `keepNull` (environment: resolved later from the project's environment), else "".
 */
export function toMap(v: unknown, keepNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const e of v) {
      const s = String(e);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = keepNull ? null : '';
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) out[k] = isReset(x) ? x as string : x === null ? (keepNull ? null : '') : scalar(x);
  }
  return out;
}

function envFiles(v: unknown, ctx: PathContext): EnvFileRef[] {
  return toList(v).map((e) => {
    if (e && typeof e === 'object') {
      const r = e as Raw;
      return { path: resolvePath(String(r.path), ctx.dir, ctx.home), required: r.required === undefined ? true : toBool(r.required, 'env_file.required') };
    }
    return { path: resolvePath(String(e), ctx.dir, ctx.home), required: true };
  });
}

function networks(v: unknown, at: string): Record<string, ServiceNetwork | null> {
  const out: Record<string, ServiceNetwork | null> = {};
  if (Array.isArray(v)) { for (const n of v) out[String(n)] = null; return out; }
  for (const [k, x] of Object.entries((v ?? {}) as Raw)) {
    if (x === null || x === undefined) { out[k] = null; continue; }
    const r = x as Raw;
    const n: ServiceNetwork = {};
    if (r.aliases !== undefined) n.aliases = toList(r.aliases).map(String);
    if (r.ipv4_address !== undefined) n.ipv4_address = String(r.ipv4_address);
    if (r.ipv6_address !== undefined) n.ipv6_address = String(r.ipv6_address);
    if (r.priority !== undefined) n.priority = toInt(r.priority, `${at}.${k}.priority`);
    out[k] = n;
  }
  return out;
}

function dependsOn(v: unknown, at: string): Record<string, DependsOn> {
  const out: Record<string, DependsOn> = {};
  if (Array.isArray(v)) {
    for (const s of v) out[String(s)] = { condition: 'service_started', restart: false, required: true };
    return out;
  }
  for (const [k, x] of Object.entries((v ?? {}) as Raw)) {
    const r = (x ?? {}) as Raw;
    out[k] = {
      condition: (r.condition as DependsOn['condition'] | undefined) ?? 'service_started',
      restart: r.restart === undefined ? false : toBool(r.restart, `${at}.${k}.restart`),
      required: r.required === undefined ? true : toBool(r.required, `${at}.${k}.required`),
    };
  }
  return out;
}

function healthcheck(r: Raw, at: string): Healthcheck {
  const h: Healthcheck = {};
  if (r.test !== undefined) h.test = typeof r.test === 'string' ? ['CMD-SHELL', r.test] : (r.test as unknown[]).map(String);
  for (const k of ['interval', 'timeout', 'start_period', 'start_interval'] as const) if (r[k] !== undefined) h[k] = String(r[k]);
  if (r.retries !== undefined) h.retries = toInt(r.retries, `${at}.retries`);
  if (r.disable !== undefined && toBool(r.disable, `${at}.disable`)) { h.disable = true; h.test = ['NONE']; }
  return h;
}

function fileRefs(v: unknown[], at: string, defaultTarget: (source: string) => string): ServiceFileRef[] {
  return v.map((e, i) => {
    if (typeof e === 'string') return { source: e, target: defaultTarget(e) };
    const r = e as Raw;
    const source = String(r.source);
    const target = r.target === undefined || r.target === null ? defaultTarget(source)
      : String(r.target).startsWith('/') ? String(r.target) : defaultTarget(String(r.target));
    const ref: ServiceFileRef = { source, target };
    if (r.uid !== undefined) ref.uid = String(r.uid);
    if (r.gid !== undefined) ref.gid = String(r.gid);
    if (r.mode !== undefined) ref.mode = typeof r.mode === 'number' ? r.mode : toInt(parseInt(String(r.mode), 8), `${at}.${i}.mode`);
    return ref;
  });
}

function ulimits(r: Raw, at: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [k, x] of Object.entries(r)) {
    if (x && typeof x === 'object') {
      const o = x as Raw;
      out[k] = { soft: toInt(o.soft, `${at}.${k}.soft`), hard: toInt(o.hard, `${at}.${k}.hard`) };
    } else {
      const n = toInt(x, `${at}.${k}`);
      out[k] = { soft: n, hard: n };
    }
  }
  return out;
}

function device(e: unknown): string {
  if (e && typeof e === 'object') {
    const r = e as Raw;
    return [r.source, r.target ?? r.source, r.permissions].filter((x) => x !== undefined && x !== null).map(String).join(':');
  }
  return String(e);
}

/** `host:ip` for the Engine API; `host=ip` and the mapping form are accepted too. */
function extraHosts(v: unknown): string[] {
  if (Array.isArray(v)) {
    return v.map(String).map((s) => {
      const eq = s.indexOf('=');
      return eq > 0 ? `${s.slice(0, eq)}:${s.slice(eq + 1)}` : s;
    });
  }
  const out: string[] = [];
  for (const [host, ip] of Object.entries((v ?? {}) as Raw)) for (const i of toList(ip)) out.push(`${host}:${String(i)}`);
  return out;
}

function logging(r: Raw): NonNullable<ServiceConfig['logging']> {
  const l: NonNullable<ServiceConfig['logging']> = {};
  if (r.driver !== undefined && r.driver !== null) l.driver = String(r.driver);
  if (r.options) l.options = toMap(r.options, false) as Record<string, string>;
  return l;
}

function deploy(r: Raw, at: string): NonNullable<ServiceConfig['deploy']> {
  const d: NonNullable<ServiceConfig['deploy']> = {};
  if (r.replicas !== undefined && r.replicas !== null) d.replicas = toInt(r.replicas, `${at}.replicas`);
  const res = r.resources as Raw | undefined;
  if (res) {
    d.resources = {};
    const lim = res.limits as Raw | undefined;
    if (lim) {
      d.resources.limits = {};
      if (lim.cpus !== undefined) d.resources.limits.cpus = toNumber(lim.cpus, `${at}.resources.limits.cpus`);
      if (lim.memory !== undefined) d.resources.limits.memory = parseBytes(lim.memory, `${at}.resources.limits.memory`);
      if (lim.pids !== undefined) d.resources.limits.pids = toInt(lim.pids, `${at}.resources.limits.pids`);
    }
    const rsv = res.reservations as Raw | undefined;
    if (rsv) {
      d.resources.reservations = {};
      if (rsv.cpus !== undefined) d.resources.reservations.cpus = toNumber(rsv.cpus, `${at}.resources.reservations.cpus`);
      if (rsv.memory !== undefined) d.resources.reservations.memory = parseBytes(rsv.memory, `${at}.resources.reservations.memory`);
    }
  }
  const rp = r.restart_policy as Raw | undefined;
  if (rp) {
    d.restart_policy = {};
    if (rp.condition !== undefined) d.restart_policy.condition = String(rp.condition);
    if (rp.max_attempts !== undefined) d.restart_policy.max_attempts = toInt(rp.max_attempts, `${at}.restart_policy.max_attempts`);
  }
  return d;
}

/** A remote context (git URL, https) is kept as written; a local one is made absolute. */
function isRemoteContext(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith('git@') || s.startsWith('github.com/');
}

function build(v: unknown, at: string, ctx: PathContext): Partial<BuildConfig> {
  const r: Raw = typeof v === 'string' ? { context: v } : (v as Raw);
  const b: Partial<BuildConfig> = {};
  if (r.context !== undefined || typeof v === 'string') {
    const c = String(r.context ?? '.');
    b.context = isRemoteContext(c) ? c : resolvePath(c, ctx.dir, ctx.home);
  }
  if (r.dockerfile !== undefined) b.dockerfile = String(r.dockerfile);
  if (r.args !== undefined) b.args = toMap(r.args, true);
  if (r.target !== undefined) b.target = String(r.target);
  if (r.labels !== undefined) b.labels = toMap(r.labels, false) as Record<string, string>;
  if (r.network !== undefined) b.network = String(r.network);
  if (r.no_cache !== undefined) b.no_cache = toBool(r.no_cache, `${at}.no_cache`);
  if (r.pull !== undefined) b.pull = toBool(r.pull, `${at}.pull`);
  if (r.cache_from !== undefined) b.cache_from = toList(r.cache_from).map(String);
  return b;
}

/** The build's final form: context defaults to the project directory, dockerfile to "Dockerfile". */
export function finishBuild(b: Partial<BuildConfig>, projectDir: string): BuildConfig {
  const context = b.context ?? projectDir;
  let dockerfile = b.dockerfile ?? 'Dockerfile';
  // An absolute dockerfile inside a local context is given to the Engine relative to it.
  if (path.isAbsolute(dockerfile) && !isRemoteContext(context)) {
    const rel = path.relative(context, dockerfile);
    if (!rel.startsWith('..')) dockerfile = rel;
  }
  return {
    context, dockerfile, args: b.args ?? {}, labels: b.labels ?? {}, cache_from: b.cache_from ?? [],
    ...(b.target !== undefined ? { target: b.target } : {}),
    ...(b.network !== undefined ? { network: b.network } : {}),
    ...(b.no_cache !== undefined ? { no_cache: b.no_cache } : {}),
    ...(b.pull !== undefined ? { pull: b.pull } : {}),
  };
}
