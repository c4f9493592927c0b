import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import { formatDaemonHost, parseDaemonHost, type DaemonListen } from './hosts.js';

export { activatedFds, fdsFor, formatDaemonHost, parseDaemonHost, LISTEN_FDS_START, type DaemonListen } from './hosts.js';
export { takeBoolFlags } from './bool-flags.js';

/**
 * The daemon's configuration: defaults, then daemon.json (Docker's key names), then flags.
 * Built once and frozen; services receive the slice they use.
 */
export interface RuntimeConfig { path: string; runtimeArgs: string[] }

/**
 * The API's TLS on tcp:// and fd:// hosts (dockerd's --tls, --tlsverify, --tlscacert,
 * --tlscert, --tlskey). `verifyClient`: a client must present a certificate signed by the CA
 * in `caFile`, checked during the handshake.
 */
export interface ServerTls { verifyClient: boolean; caFile: string; certFile: string; keyFile: string }

export interface Config {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  /** `hosts`, parsed. */
  listens: DaemonListen[];
  /** TLS for tcp:// and fd:// hosts; undefined serves plain HTTP there. */
  tls: ServerTls | undefined;
  pidfile: string;
  debug: boolean;
  configFile: string;
  group: string;
  defaultRuntime: string;
  runtimes: Record<string, RuntimeConfig>;
  registryMirrors: string[];
  insecureRegistries: string[];
  logDriver: string;
  logOpts: Record<string, string>;
  /** daemon.json `default-address-pools`: where new networks' subnets come from. */
  defaultAddressPools: Array<{ base: string; size: number }>;
  /** daemon.json `bip`: the default bridge's gateway address and prefix (`192.168.1.5/24`); '' picks from the pools. */
  bip: string;
  /** daemon.json `bridge`: the default bridge network's device, berth0 (not docker0, so dockerd can run beside). */
  bridge: string;
  /** daemon.json `ip-forward` (dockerd's --ip-forward, default true): berthd turns on IPv4 forwarding at start, as dockerd's bridge driver does. */
  ipForward: boolean;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  initPath: string;
  labels: string[];
  /** Per-registry TLS files: `<certsDir>/<host[:port]>/{*.crt,client.cert,client.key}` (dockerd: /etc/docker/certs.d). */
  certsDir: string;
  /** daemon.json `userns-remap`: '' (off), `default` (the dockremap user) or `user[:group]`. */
  usernsRemap: string;
  /** Where subordinate id ranges are read (and, for `default`, added): /etc/subuid, /etc/subgid. */
  subuidFile: string;
  subgidFile: string;
}

export interface Flags {
  dataRoot?: string;
  execRoot?: string;
  hosts?: string[];
  pidfile?: string;
  debug?: boolean;
  configFile?: string;
  group?: string;
  certsDir?: string;
  usernsRemap?: string;
  subidDir?: string;
  /** --tls / --tlsverify as given (true, false) or absent: dockerd tells "not set" from "set to false". */
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const DEFAULT_CONFIG_FILE = '/etc/berth/daemon.json';

export function defaults(): Config {
  return {
    dataRoot: '/var/lib/berth',
    execRoot: '/run/berth',
    hosts: ['unix:///run/berth.sock'],
    listens: [{ proto: 'unix', path: '/run/berth.sock' }],
    tls: undefined,
    pidfile: '/run/berthd.pid',
    debug: false,
    configFile: DEFAULT_CONFIG_FILE,
    // '' is "not given": the socket's group is then docker, else berth (api/listen.ts).
    group: '',
    defaultRuntime: 'runc',
    runtimes: { runc: { path: 'runc', runtimeArgs: [] }, crun: { path: 'crun', runtimeArgs: [] } },
    registryMirrors: [],
    insecureRegistries: [],
    logDriver: 'json-file',
    logOpts: {},
    // dockerd's defaults (libnetwork ipamutils): 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s.
    defaultAddressPools: [
      ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
      { base: '192.168.0.0/16', size: 20 },
    ],
    bip: '',
    bridge: 'berth0',
    ipForward: true,
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    initPath: '/usr/bin/tini-static',
    labels: [],
    certsDir: '/etc/berth/certs.d',
    usernsRemap: '',
    subuidFile: '/etc/subuid',
    subgidFile: '/etc/subgid',
  };
}

type Json = Record<string, unknown>;

function expect<T>(obj: Json, key: string, kind: 'string' | 'boolean' | 'number' | 'array' | 'object'): T | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  const ok = kind === 'array' ? Array.isArray(v) : kind === 'object' ? typeof v === 'object' && v !== null && !Array.isArray(v) : typeof v === kind;
  if (!ok) throw new InvalidArgumentError(`invalid daemon configuration: "${key}" must be ${kind === 'array' || kind === 'object' ? `an ${kind}` : `a ${kind}`}`);
  return v as T;
}

function stringArray(obj: Json, key: string): string[] | undefined {
  const v = expect<unknown[]>(obj, key, 'array');
  if (v && !v.every((s) => typeof s === 'string')) throw new InvalidArgumentError(`invalid daemon configuration: "${key}" must be a list of strings`);
  return v as string[] | undefined;
}

/** Docker's daemon.json keys that berth reads; any other key is refused as dockerd does. */
const KNOWN_KEYS = new Set([
  'data-root', 'exec-root', 'hosts', 'pidfile', 'debug', 'group', 'default-runtime', 'runtimes',
  'registry-mirrors', 'insecure-registries', 'log-driver', 'log-opts', 'default-address-pools',
  'max-concurrent-downloads', 'max-concurrent-uploads', 'init-path', 'labels', 'live-restore',
  'storage-driver', 'log-level', 'userns-remap', 'bip', 'bridge', 'ip-forward',
  'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey',
]);

/** An IPv4 CIDR's prefix length, or undefined when `s` is not one (`a.b.c.d/n`). */
function cidrBits(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) return undefined;
  return Number(m[5]);
}

/** Applies a parsed daemon.json to `base`; every error names the key. */
export function applyDaemonJson(base: Config, json: unknown): Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new InvalidArgumentError('invalid daemon configuration: the file must hold a JSON object');
  const obj = json as Json;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.has(key)) throw new InvalidArgumentError(`the following directives don't match any configuration option: ${key}`);
  }
  const c: Config = { ...base };
  c.dataRoot = expect<string>(obj, 'data-root', 'string') ?? c.dataRoot;
  c.execRoot = expect<string>(obj, 'exec-root', 'string') ?? c.execRoot;
  c.hosts = stringArray(obj, 'hosts') ?? c.hosts;
  c.pidfile = expect<string>(obj, 'pidfile', 'string') ?? c.pidfile;
  c.debug = expect<boolean>(obj, 'debug', 'boolean') ?? c.debug;
  c.group = expect<string>(obj, 'group', 'string') ?? c.group;
  c.defaultRuntime = expect<string>(obj, 'default-runtime', 'string') ?? c.defaultRuntime;
  const runtimes = expect<Json>(obj, 'runtimes', 'object');
  if (runtimes) {
    c.runtimes = { ...c.runtimes };
    for (const [name, r] of Object.entries(runtimes)) {
      const rt = r as Json;
      const p = typeof rt === 'object' && rt !== null ? rt.path : undefined;
      if (typeof p !== 'string') throw new InvalidArgumentError(`invalid daemon configuration: "runtimes.${name}.path" must be a string`);
      const args = rt.runtimeArgs ?? [];
      if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) throw new InvalidArgumentError(`invalid daemon configuration: "runtimes.${name}.runtimeArgs" must be a list of strings`);
      c.runtimes[name] = { path: p, runtimeArgs: args as string[] };
    }
  }
  if (!c.runtimes[c.defaultRuntime]) throw new InvalidArgumentError(`invalid daemon configuration: default-runtime "${c.defaultRuntime}" is not a configured runtime`);
  c.registryMirrors = stringArray(obj, 'registry-mirrors') ?? c.registryMirrors;
  for (const m of c.registryMirrors) {
    let u: URL | undefined;
    try { u = new URL(m); } catch { u = undefined; }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw new InvalidArgumentError(`invalid mirror: "${m}" is not a valid URI`);
    if (u.pathname !== '/' && u.pathname !== '') throw new InvalidArgumentError(`invalid mirror: path, query, or fragment at end of the URI "${m}"`);
  }
  c.insecureRegistries = stringArray(obj, 'insecure-registries') ?? c.insecureRegistries;
  c.logDriver = expect<string>(obj, 'log-driver', 'string') ?? c.logDriver;
  const logOpts = expect<Json>(obj, 'log-opts', 'object');
  if (logOpts) {
    for (const [k, v] of Object.entries(logOpts)) if (typeof v !== 'string') throw new InvalidArgumentError(`invalid daemon configuration: "log-opts.${k}" must be a string`);
    c.logOpts = logOpts as Record<string, string>;
  }
  const pools = expect<Array<Json>>(obj, 'default-address-pools', 'array');
  if (pools) {
    c.defaultAddressPools = pools.map((p, i) => {
      if (typeof p?.base !== 'string' || typeof p?.size !== 'number') throw new InvalidArgumentError(`invalid daemon configuration: "default-address-pools[${i}]" needs "base" (string) and "size" (number)`);
      const bits = cidrBits(p.base);
      if (bits === undefined) throw new InvalidArgumentError(`invalid daemon configuration: "default-address-pools[${i}].base": invalid CIDR address: ${p.base}`);
      if (!Number.isInteger(p.size) || p.size < bits || p.size > 32) throw new InvalidArgumentError(`invalid daemon configuration: "default-address-pools[${i}].size": ${p.size} must be between ${bits} and 32`);
      return { base: p.base, size: p.size };
    });
  }
  const bip = expect<string>(obj, 'bip', 'string');
  if (bip !== undefined && bip !== '') {
    if (cidrBits(bip) === undefined || cidrBits(bip)! > 30) throw new InvalidArgumentError(`invalid daemon configuration: "bip": invalid CIDR address: ${bip}`);
    c.bip = bip;
  }
  const bridge = expect<string>(obj, 'bridge', 'string');
  if (bridge !== undefined && bridge !== '') {
    if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(bridge)) throw new InvalidArgumentError(`invalid daemon configuration: "bridge": invalid interface name ${JSON.stringify(bridge)} (at most 15 letters, digits, '_', '.' or '-')`);
    c.bridge = bridge;
  }
  for (const [key, field] of [['max-concurrent-downloads', 'maxConcurrentDownloads'], ['max-concurrent-uploads', 'maxConcurrentUploads']] as const) {
    const n = expect<number>(obj, key, 'number');
    if (n !== undefined) {
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`invalid daemon configuration: "${key}" must be a positive integer`);
      c[field] = n;
    }
  }
  c.initPath = expect<string>(obj, 'init-path', 'string') ?? c.initPath;
  c.usernsRemap = expect<string>(obj, 'userns-remap', 'string') ?? c.usernsRemap;
  c.labels = stringArray(obj, 'labels') ?? c.labels;
  c.ipForward = expect<boolean>(obj, 'ip-forward', 'boolean') ?? c.ipForward;
  const driver = expect<string>(obj, 'storage-driver', 'string');
  if (driver !== undefined && driver !== 'overlay2') throw new InvalidArgumentError(`invalid daemon configuration: storage-driver "${driver}" is not supported; berth uses overlay2`);
  const liveRestore = expect<boolean>(obj, 'live-restore', 'boolean');
  if (liveRestore === false) throw new InvalidArgumentError('invalid daemon configuration: live-restore cannot be turned off in berth');
  return c;
}

/**
 * Defaults, then the config file (missing is fine unless it was named explicitly), then flags.
 * Flags given both on the command line and in the file are a conflict, as in dockerd.
 * `env` supplies DOCKER_CERT_PATH, the one variable dockerd reads for TLS defaults.
 */
export function loadConfig(flags: Flags, env: NodeJS.ProcessEnv = {}): Readonly<Config> {
  let c = defaults();
  const file = flags.configFile ?? DEFAULT_CONFIG_FILE;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT') && flags.configFile === undefined) json = undefined;
    else if (isErrno(err, 'ENOENT')) throw new InvalidArgumentError(`unable to configure the daemon: open ${file}: no such file or directory`);
    else if (err instanceof SyntaxError) throw new InvalidArgumentError(`unable to configure the daemon with file ${file}: ${err.message}`);
    else throw err;
  }
  let fileTls: TlsKeys = {};
  if (json !== undefined) {
    const obj = json as Json;
    const conflicts: string[] = [];
    const pairs: Array<[keyof Flags, string]> = [
      ['dataRoot', 'data-root'], ['execRoot', 'exec-root'], ['hosts', 'hosts'], ['pidfile', 'pidfile'], ['group', 'group'],
      ['tls', 'tls'], ['tlsVerify', 'tlsverify'], ['tlsCaCert', 'tlscacert'], ['tlsCert', 'tlscert'], ['tlsKey', 'tlskey'],
    ];
    for (const [flag, key] of pairs) if (flags[flag] !== undefined && obj && typeof obj === 'object' && key in obj) conflicts.push(key);
    if (conflicts.length) throw new InvalidArgumentError(`unable to configure the daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: ${conflicts.join(', ')}`);
    c = applyDaemonJson(c, json);
    fileTls = tlsKeys(obj);
  }
  c.configFile = file;
  if (flags.dataRoot !== undefined) c.dataRoot = flags.dataRoot;
  if (flags.execRoot !== undefined) c.execRoot = flags.execRoot;
  if (flags.hosts !== undefined && flags.hosts.length > 0) c.hosts = flags.hosts;
  if (flags.pidfile !== undefined) c.pidfile = flags.pidfile;
  if (flags.debug) c.debug = true;
  if (flags.group !== undefined) c.group = flags.group;
  if (flags.certsDir !== undefined) c.certsDir = path.resolve(flags.certsDir);
  if (flags.usernsRemap !== undefined) c.usernsRemap = flags.usernsRemap;
  if (flags.subidDir !== undefined) {
    c.subuidFile = path.join(path.resolve(flags.subidDir), 'subuid');
    c.subgidFile = path.join(path.resolve(flags.subidDir), 'subgid');
  }
  c.dataRoot = path.resolve(c.dataRoot);
  c.execRoot = path.resolve(c.execRoot);
  const tlsSettings: TlsKeys = {
    tls: flags.tls ?? fileTls.tls, tlsVerify: flags.tlsVerify ?? fileTls.tlsVerify,
    caFile: flags.tlsCaCert ?? fileTls.caFile, certFile: flags.tlsCert ?? fileTls.certFile, keyFile: flags.tlsKey ?? fileTls.keyFile,
  };
  c.tls = resolveTls(tlsSettings, env.DOCKER_CERT_PATH || path.dirname(path.resolve(file)));
  c.listens = normalizeHosts(c.hosts, c.tls !== undefined);
  c.hosts = c.listens.map(formatDaemonHost);
  for (const l of c.listens) {
    if (l.proto === 'tcp' && !c.tls?.verifyClient && !explicitlyUnauthenticated(tlsSettings)) {
      throw new InvalidArgumentError(`invalid host "${formatDaemonHost(l)}": ${TCP_WITHOUT_TLSVERIFY}`);
    }
  }
  return Object.freeze(c);
}

/**
 * Refused, where dockerd 26 still only warned and slowed start-up by 15 seconds: the API is
 * root on this host, so a plain tcp:// socket needs the user to say so. dockerd's sentences.
 */
export const TCP_WITHOUT_TLSVERIFY = 'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network. '
  + 'Pass --tlsverify with --tlscacert, --tlscert and --tlskey, or override this by explicitly specifying \'--tls=false\' or \'--tlsverify=false\'';

interface TlsKeys { tls?: boolean; tlsVerify?: boolean; caFile?: string; certFile?: string; keyFile?: string }

function tlsKeys(obj: Json): TlsKeys {
  return {
    tls: expect<boolean>(obj, 'tls', 'boolean'), tlsVerify: expect<boolean>(obj, 'tlsverify', 'boolean'),
    caFile: expect<string>(obj, 'tlscacert', 'string'), certFile: expect<string>(obj, 'tlscert', 'string'), keyFile: expect<string>(obj, 'tlskey', 'string'),
  };
}

/**
 * dockerd's rules (cmd/dockerd/options.go setDefaultOptions, daemon.go loadDaemonCliConfig):
 * setting --tlsverify at all, true or false, turns TLS on; --tls alone verifies clients
 * unless --tlsverify=false says otherwise. Files default to ca.pem, cert.pem and key.pem in
 * DOCKER_CERT_PATH or else beside the daemon configuration file (/etc/berth), where dockerd
 * has $DOCKER_CONFIG or ~/.docker (its own comment calls that a leftover to move to /etc).
 */
export function resolveTls(t: TlsKeys, certDir: string): ServerTls | undefined {
  const isOn = t.tlsVerify !== undefined ? true : (t.tls ?? false);
  if (!isOn) return undefined;
  return {
    verifyClient: t.tlsVerify ?? true,
    caFile: path.resolve(t.caFile ?? path.join(certDir, 'ca.pem')),
    certFile: path.resolve(t.certFile ?? path.join(certDir, 'cert.pem')),
    keyFile: path.resolve(t.keyFile ?? path.join(certDir, 'key.pem')),
  };
}

/** dockerd's checkTLSAuthOK: `--tls=false` or `--tlsverify=false` given is consent to plain TCP. */
function explicitlyUnauthenticated(t: TlsKeys): boolean {
  return t.tls === false || t.tlsVerify === false;
}

/** Parses every host and drops duplicates, as dockerd's normalizeHosts does. */
function normalizeHosts(hosts: string[], useTls: boolean): DaemonListen[] {
  const seen = new Set<string>();
  const out: DaemonListen[] = [];
  for (const h of hosts) {
    let l: DaemonListen;
    try {
      l = parseDaemonHost(h, useTls);
    } catch (err) {
      throw new InvalidArgumentError(`invalid host "${h}": ${(err as Error).message}`, { cause: err });
    }
    const key = formatDaemonHost(l);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(l);
  }
  return out;
}
