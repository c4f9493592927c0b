/**
 * docker/cli container/opts.go `parse`: the run/create flags become the body of
 * POST /containers/create, checked in docker's order with docker's messages. The body
 * is written field by field in the order and with the omitempty rules of docker's Go
 * structs, so berth sends what docker sends.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParsedFlags } from '../framework/flags.js';
import { compactJson } from '../inspect.js';
import { pathError } from '../commands/common.js';
import type { DeviceMapping, DeviceRequest, HealthConfig, Mount, RestartPolicy, ThrottleDevice, Ulimit, WeightDevice } from '../../types/container.js';
import { kvToMap, readKeyValueStrings } from './kvfile.js';
import { mountJson, parseVolumeSpec, sortKeys } from './mounts.js';
import { endpointJson, parseNetworks, type NetworkAttachment } from './network.js';
import { parsePorts } from './ports.js';
import { isValidMac } from './validators.js';
import { parseRestartPolicy } from './values.js';

export interface BuildOptions {
  image: string;
  args: string[];
  /** The CLI's environment, for `-e NAME` and env-file lines without a value. */
  env: NodeJS.ProcessEnv;
  /** config.json's "proxies" entry for this daemon, if any (docker's ParseProxyConfig). */
  proxies?: Record<string, unknown>;
  /** [height, width] of the terminal on stdout, or [0, 0]. */
  consoleSize: [number, number];
}

/** What run needs besides the body. */
export interface ContainerSpec {
  body: Record<string, unknown>;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  tty: boolean;
  openStdin: boolean;
  autoRemove: boolean;
  containerIdFile: string;
}

const PROXY_KEYS: Array<[string, string]> = [['HTTP_PROXY', 'httpProxy'], ['HTTPS_PROXY', 'httpsProxy'], ['NO_PROXY', 'noProxy'], ['FTP_PROXY', 'ftpProxy'], ['ALL_PROXY', 'allProxy']];

/**
 * `-e` values resolved as docker's ValidateEnv and ParseProxyConfig leave them: a name
 * alone takes the CLI's value when it has one, a repeated name keeps its last value, and
 * the configured proxies fill in the proxy variables not given.
 */
export function resolveEnv(values: string[], env: NodeJS.ProcessEnv, proxies?: Record<string, unknown>): string[] {
  const byKey = new Map<string, string | undefined>();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq >= 0) byKey.set(v.slice(0, eq), v.slice(eq + 1));
    else byKey.set(v, env[v]);
  }
  for (const [upper, field] of PROXY_KEYS) {
    const value = proxies?.[field];
    if (typeof value !== 'string' || value === '') continue;
    if (!byKey.has(upper)) byKey.set(upper, value);
    if (!byKey.has(upper.toLowerCase())) byKey.set(upper.toLowerCase(), value);
  }
  return [...byKey].map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
}

/** Go's path.Clean. */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function isValidDeviceMode(mode: string): boolean {
  if (mode === '') return false;
  const seen = new Set<string>();
  for (const c of mode) {
    if (!'rwm'.includes(c) || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

/** validateLinuxPath then parseLinuxDevice: "host[:container][:mode]". */
export function parseDevice(device: string): Required<DeviceMapping> {
  if (device.split(':').length - 1 > 2) throw new Error(`bad format for path: ${device}`);
  const split = device.split(':');
  if (split[0] === '') throw new Error(`bad format for path: ${device}`);
  let containerPath: string;
  let val: string;
  switch (split.length) {
    case 1:
      containerPath = split[0]!;
      val = cleanPath(containerPath);
      break;
    case 2:
      if (isValidDeviceMode(split[1]!)) {
        containerPath = split[0]!;
        val = `${cleanPath(containerPath)}:${split[1]}`;
      } else {
        containerPath = split[1]!;
        val = `${split[0]}:${cleanPath(containerPath)}`;
      }
      break;
    default:
      containerPath = split[1]!;
      if (!isValidDeviceMode(split[2]!)) throw new Error(`bad mode specified: ${split[2]}`);
      val = device;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  const arr = val.split(':');
  const src = arr[0]!;
  let dst = '';
  let permissions = arr.length === 3 ? arr[2]! : 'rwm';
  if (arr.length >= 2) {
    if (isValidDeviceMode(arr[1]!)) permissions = arr[1]!;
    else dst = arr[1]!;
  }
  return { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: permissions };
}

/** cdi.IsQualifiedName: "vendor.com/class=name". */
function isCdiName(device: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9._-]*\/[a-zA-Z0-9][a-zA-Z0-9._-]*=[a-zA-Z0-9_.:-]+$/.test(device);
}

/** parseSecurityOpts: checks each option and inlines a seccomp profile file. */
export function parseSecurityOpts(opts: string[]): string[] {
  return opts.map((opt) => {
    let sep = opt.indexOf('=');
    let key = sep >= 0 ? opt.slice(0, sep) : opt;
    if (sep < 0 && key !== 'no-new-privileges') {
      sep = opt.indexOf(':');
      key = sep >= 0 ? opt.slice(0, sep) : opt;
    }
    const value = sep >= 0 ? opt.slice(sep + 1) : '';
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    if (key !== 'seccomp' || value === 'builtin' || value === 'unconfined') return opt;
    let text: string;
    try {
      text = readFileSync(value, 'utf8');
    } catch (e) {
      throw new Error(`opening seccomp profile (${value}) failed: ${pathError('open', value, e).message}`);
    }
    try {
      JSON.parse(text);
    } catch (e) {
      throw new Error(`compacting json for seccomp profile (${value}) failed: ${(e as Error).message}`);
    }
    return `seccomp=${compactJson(text)}`;
  });
}

function parseHealthcheck(flags: ParsedFlags): HealthConfig | undefined {
  const cmd = flags.string('health-cmd');
  const interval = flags.value<number>('health-interval');
  const timeout = flags.value<number>('health-timeout');
  const startPeriod = flags.value<number>('health-start-period');
  const startInterval = flags.value<number>('health-start-interval');
  const retries = flags.int('health-retries');
  const haveSettings = cmd !== '' || interval !== 0 || timeout !== 0 || startPeriod !== 0 || retries !== 0 || startInterval !== 0;
  if (flags.bool('no-healthcheck')) {
    if (haveSettings) throw new Error('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!haveSettings) return undefined;
  if (interval < 0) throw new Error('--health-interval cannot be negative');
  if (timeout < 0) throw new Error('--health-timeout cannot be negative');
  if (retries < 0) throw new Error('--health-retries cannot be negative');
  if (startPeriod < 0) throw new Error('--health-start-period cannot be negative');
  if (startInterval < 0) throw new Error('--health-start-interval cannot be negative');
  return {
    Test: cmd !== '' ? ['CMD-SHELL', cmd] : undefined,
    Interval: interval || undefined,
    Timeout: timeout || undefined,
    StartPeriod: startPeriod || undefined,
    StartInterval: startInterval || undefined,
    Retries: retries || undefined,
  };
}

const PID_OR_IPC_CONTAINER = /^container:/;

function checkModes(flags: ParsedFlags): void {
  const pid = flags.string('pid');
  if (!(pid === '' || pid === 'host' || (PID_OR_IPC_CONTAINER.test(pid) && pid.length > 'container:'.length))) throw new Error('--pid: invalid PID mode');
  const uts = flags.string('uts');
  if (!(uts === '' || uts === 'host')) throw new Error('--uts: invalid UTS mode');
  const userns = flags.string('userns');
  if (!(userns === '' || userns === 'host')) throw new Error('--userns: invalid USER mode');
  const cgroupns = flags.string('cgroupns');
  if (!['', 'private', 'host'].includes(cgroupns)) throw new Error('--cgroupns: invalid CGROUP mode');
}

function parseLogOpts(driver: string, opts: string[]): Record<string, string> {
  if (driver === 'none' && opts.length > 0) throw new Error(`invalid logging opts for driver ${driver}`);
  return kvToMap(opts);
}

function parseStorageOpts(opts: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    m[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return m;
}

/** The client's normalizeCapabilities: upper case, "CAP_" prefixed (but ALL), unique, sorted. */
export function normalizeCapabilities(caps: string[]): string[] | null {
  const set = new Set(caps.map((c) => {
    const u = c.toUpperCase();
    return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
  }));
  return set.size ? [...set].sort() : null;
}

const ulimitJson = (u: Ulimit): object => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft });
const throttleJson = (t: ThrottleDevice): object => ({ Path: t.Path, Rate: t.Rate });
const weightJson = (w: WeightDevice): object => ({ Path: w.Path, Weight: w.Weight });
const deviceRequestJson = (r: DeviceRequest): object => ({ Driver: r.Driver ?? '', Count: r.Count ?? 0, DeviceIDs: r.DeviceIDs ?? null, Capabilities: r.Capabilities ?? null, Options: r.Options ?? null });
const nonEmpty = <T>(o: Record<string, T>): Record<string, T> | undefined => (Object.keys(o).length ? sortKeys(o) : undefined);
const orNull = <T>(a: T[]): T[] | null => (a.length ? a : null);

interface AttachStreams { attachStdin: boolean; attachStdout: boolean; attachStderr: boolean }

/** -a and -i: without -a, stdout and stderr are attached. */
function parseAttach(flags: ParsedFlags): AttachStreams {
  const attach = flags.list('attach');
  const none = attach.length === 0;
  return {
    attachStdin: attach.includes('stdin') || flags.bool('interactive'),
    attachStdout: none || attach.includes('stdout'),
    attachStderr: none || attach.includes('stderr'),
  };
}

/** -v: specs with a source are binds (a relative "./x" made absolute), the rest anonymous volumes. */
function parseVolumes(specs: string[]): { binds: string[]; volumes: Record<string, object> } {
  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of new Set(specs)) {
    const parsed = parseVolumeSpec(spec);
    if (parsed.source === '') {
      volumes[spec] = {};
      continue;
    }
    let bind = spec;
    if (parsed.type === 'bind') {
      const colon = spec.indexOf(':');
      let host = spec.slice(0, colon);
      if (!path.isAbsolute(host) && host.startsWith('.')) host = path.resolve(host);
      bind = `${host}:${spec.slice(colon + 1)}`;
    }
    binds.push(bind);
  }
  return { binds, volumes };
}

/** --tmpfs "path[:options]". */
function parseTmpfs(values: string[]): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  for (const t of values) {
    const colon = t.indexOf(':');
    tmpfs[colon >= 0 ? t.slice(0, colon) : t] = colon >= 0 ? t.slice(colon + 1) : '';
  }
  return tmpfs;
}

/** --device: host devices, and CDI names that become a device request. */
function parseDevices(values: string[], gpus: DeviceRequest[]): { devices: Array<Required<DeviceMapping>>; requests: DeviceRequest[] } {
  const devices: Array<Required<DeviceMapping>> = [];
  const cdi: string[] = [];
  for (const d of values) {
    if (isCdiName(d)) cdi.push(d);
    else devices.push(parseDevice(d));
  }
  const requests = [...gpus];
  if (cdi.length) requests.push({ Driver: 'cdi', DeviceIDs: cdi });
  return { devices, requests };
}

/** parseSystemPaths: "systempaths=unconfined" is the client's: it empties the masked and read-only paths. */
function parseSystemPaths(securityOpts: string[]): { securityOpts: string[]; maskedPaths: string[] | null; readonlyPaths: string[] | null } {
  if (!securityOpts.includes('systempaths=unconfined')) return { securityOpts, maskedPaths: null, readonlyPaths: null };
  return { securityOpts: securityOpts.filter((o) => o !== 'systempaths=unconfined'), maskedPaths: [], readonlyPaths: [] };
}

/** The Resources part of HostConfig, in docker's field order. */
function resourcesJson(flags: ParsedFlags, devices: Array<Required<DeviceMapping>>, deviceRequests: DeviceRequest[]): Record<string, unknown> {
  return {
    CpuShares: flags.int('cpu-shares'),
    Memory: flags.value<number>('memory'),
    NanoCpus: flags.value<number>('cpus'),
    CgroupParent: flags.string('cgroup-parent'),
    BlkioWeight: flags.value<number>('blkio-weight'),
    BlkioWeightDevice: flags.value<WeightDevice[]>('blkio-weight-device').map(weightJson),
    BlkioDeviceReadBps: flags.value<ThrottleDevice[]>('device-read-bps').map(throttleJson),
    BlkioDeviceWriteBps: flags.value<ThrottleDevice[]>('device-write-bps').map(throttleJson),
    BlkioDeviceReadIOps: flags.value<ThrottleDevice[]>('device-read-iops').map(throttleJson),
    BlkioDeviceWriteIOps: flags.value<ThrottleDevice[]>('device-write-iops').map(throttleJson),
    CpuPeriod: flags.int('cpu-period'),
    CpuQuota: flags.int('cpu-quota'),
    CpuRealtimePeriod: flags.int('cpu-rt-period'),
    CpuRealtimeRuntime: flags.int('cpu-rt-runtime'),
    CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: orNull(flags.list('device-cgroup-rule')),
    DeviceRequests: deviceRequests.length ? deviceRequests.map(deviceRequestJson) : null,
    KernelMemory: flags.value<number>('kernel-memory') || undefined,
    MemoryReservation: flags.value<number>('memory-reservation'),
    MemorySwap: flags.value<number>('memory-swap'),
    MemorySwappiness: flags.int('memory-swappiness'),
    OomKillDisable: flags.bool('oom-kill-disable'),
    PidsLimit: flags.int('pids-limit'),
    Ulimits: [...flags.value<Map<string, Ulimit>>('ulimit').values()].sort((a, b) => (a.Name! < b.Name! ? -1 : 1)).map(ulimitJson),
    CpuCount: flags.int('cpu-count'),
    CpuPercent: flags.int('cpu-percent'),
    IOMaximumIOps: flags.value<number>('io-maxiops'),
    IOMaximumBandwidth: flags.value<number>('io-maxbandwidth'),
  };
}

/** What the HostConfig needs besides plain flag values. */
interface HostParts {
  binds: string[];
  networkMode: string;
  bindings: Record<string, unknown>;
  restartPolicy: RestartPolicy;
  logConfig: Record<string, string>;
  consoleSize: [number, number];
  security: ReturnType<typeof parseSystemPaths>;
  storageOpts: Record<string, string>;
  tmpfs: Record<string, string>;
  resources: Record<string, unknown>;
}

function hostConfigJson(flags: ParsedFlags, p: HostParts): Record<string, unknown> {
  const mounts = flags.value<Mount[]>('mount');
  return {
    Binds: orNull(p.binds),
    ContainerIDFile: flags.string('cidfile'),
    LogConfig: { Type: flags.string('log-driver'), Config: sortKeys(p.logConfig) },
    NetworkMode: p.networkMode,
    PortBindings: sortKeys(p.bindings),
    RestartPolicy: { Name: p.restartPolicy.Name ?? '', MaximumRetryCount: p.restartPolicy.MaximumRetryCount ?? 0 },
    AutoRemove: flags.bool('rm'),
    VolumeDriver: flags.string('volume-driver'),
    VolumesFrom: orNull(flags.list('volumes-from')),
    ConsoleSize: p.consoleSize,
    Annotations: nonEmpty(flags.value<Record<string, string>>('annotation')),
    CapAdd: normalizeCapabilities(flags.list('cap-add')),
    CapDrop: normalizeCapabilities(flags.list('cap-drop')),
    CgroupnsMode: flags.string('cgroupns'),
    Dns: flags.list('dns'),
    DnsOptions: flags.list('dns-option'),
    DnsSearch: flags.list('dns-search'),
    ExtraHosts: orNull(flags.list('add-host')),
    GroupAdd: orNull(flags.list('group-add')),
    IpcMode: flags.string('ipc'),
    Cgroup: '',
    Links: orNull(flags.list('link')),
    OomScoreAdj: flags.int('oom-score-adj'),
    PidMode: flags.string('pid'),
    Privileged: flags.bool('privileged'),
    PublishAllPorts: flags.bool('publish-all'),
    ReadonlyRootfs: flags.bool('read-only'),
    SecurityOpt: orNull(p.security.securityOpts),
    StorageOpt: nonEmpty(p.storageOpts),
    Tmpfs: nonEmpty(p.tmpfs),
    UTSMode: flags.string('uts'),
    UsernsMode: flags.string('userns'),
    ShmSize: flags.value<number>('shm-size'),
    Sysctls: nonEmpty(flags.value<Record<string, string>>('sysctl')),
    Runtime: flags.string('runtime') || undefined,
    Isolation: flags.string('isolation'),
    ...p.resources,
    Mounts: mounts.length ? mounts.map(mountJson) : undefined,
    MaskedPaths: p.security.maskedPaths,
    ReadonlyPaths: p.security.readonlyPaths,
    Init: flags.changed('init') ? flags.bool('init') : undefined,
  };
}

function endpointsJson(endpoints: ReturnType<typeof parseNetworks>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ep] of Object.entries(sortKeys(endpoints))) {
    const json = endpointJson(ep);
    if (ep.IPAMConfig) {
      json.IPAMConfig = {
        IPv4Address: ep.IPAMConfig.IPv4Address || undefined,
        IPv6Address: ep.IPAMConfig.IPv6Address || undefined,
        LinkLocalIPs: ep.IPAMConfig.LinkLocalIPs?.length ? ep.IPAMConfig.LinkLocalIPs : undefined,
      };
    }
    out[name] = json;
  }
  return out;
}

/** Builds the create request from run/create's flags (docker's parse, same order of checks), or throws docker's message. */
export function buildContainerSpec(flags: ParsedFlags, opts: BuildOptions): ContainerSpec {
  const streams = parseAttach(flags);
  const macAddress = flags.string('mac-address');
  if (macAddress !== '' && !isValidMac(macAddress)) throw new Error(`${macAddress} is not a valid mac address`);
  const swappiness = flags.int('memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  const { binds, volumes } = parseVolumes(flags.list('volume'));
  const tmpfs = parseTmpfs(flags.list('tmpfs'));
  let entrypoint: string[] | null = null;
  if (flags.string('entrypoint') !== '') entrypoint = [flags.string('entrypoint')];
  else if (flags.changed('entrypoint')) entrypoint = [''];
  const { exposed, bindings } = parsePorts(flags.list('publish'), []);
  for (const p of parsePorts([], flags.list('expose')).exposed) if (!exposed.includes(p)) exposed.push(p);
  const { devices, requests } = parseDevices(flags.list('device'), flags.value<DeviceRequest[]>('gpus'));
  const env = readKeyValueStrings(flags.list('env-file'), resolveEnv(flags.list('env'), opts.env, opts.proxies), (k) => opts.env[k]);
  const labels = readKeyValueStrings(flags.list('label-file'), flags.list('label'));
  checkModes(flags);
  const restartPolicy = parseRestartPolicy(flags.string('restart'));
  const logConfig = parseLogOpts(flags.string('log-driver'), flags.list('log-opt'));
  const security = parseSystemPaths(parseSecurityOpts(flags.list('security-opt')));
  const storageOpts = parseStorageOpts(flags.list('storage-opt'));
  const healthcheck = parseHealthcheck(flags);
  const networks = flags.value<NetworkAttachment[]>('network');
  const networkMode = networks[0]?.target ?? 'default';
  const autoRemove = flags.bool('rm');
  if (autoRemove && !(restartPolicy.Name === undefined || restartPolicy.Name === 'no' || restartPolicy.Name === '')) {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }
  const openStdin = flags.bool('interactive');
  const endpoints = parseNetworks(networks, {
    aliases: flags.list('network-alias'), links: flags.list('link'), ipv4Address: flags.string('ip'),
    ipv6Address: flags.string('ip6'), macAddress, linkLocalIps: flags.list('link-local-ip'),
  });
  const mainNetwork = networkMode.startsWith('container:') ? 'container' : networkMode;
  const hostConfig = hostConfigJson(flags, {
    binds, networkMode, bindings, restartPolicy, logConfig, consoleSize: opts.consoleSize, security, storageOpts, tmpfs,
    resources: resourcesJson(flags, devices, requests),
  });
  const body: Record<string, unknown> = {
    Hostname: flags.string('hostname'),
    Domainname: flags.string('domainname'),
    User: flags.string('user'),
    AttachStdin: streams.attachStdin,
    AttachStdout: streams.attachStdout,
    AttachStderr: streams.attachStderr,
    ExposedPorts: exposed.length ? sortKeys(Object.fromEntries(exposed.map((p) => [p, {}]))) : undefined,
    Tty: flags.bool('tty'),
    OpenStdin: openStdin,
    // When allocating stdin in attached mode, close stdin at client disconnect.
    StdinOnce: openStdin && streams.attachStdin,
    Env: env.length ? env : null,
    Cmd: opts.args.length > 0 ? opts.args : null,
    Healthcheck: healthcheck,
    Image: opts.image,
    Volumes: sortKeys(volumes),
    WorkingDir: flags.string('workdir'),
    Entrypoint: entrypoint,
    MacAddress: endpoints[mainNetwork]?.MacAddress || undefined,
    OnBuild: null,
    Labels: sortKeys(kvToMap(labels)),
    StopSignal: flags.string('stop-signal') || undefined,
    StopTimeout: flags.changed('stop-timeout') ? flags.int('stop-timeout') : undefined,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpointsJson(endpoints) },
  };
  return {
    body, ...streams, tty: flags.bool('tty'), openStdin, autoRemove, containerIdFile: flags.string('cidfile'),
  };
}
