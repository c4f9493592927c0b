/**
 * `berth info` / `berth system info`: docker's layout (cli/command/system/info.go) for the
 * fields /info returns. With --format the template sees docker's dockerInfo: the server's
 * fields at the top level plus ClientInfo; a template that only reads ClientInfo works
 * without a daemon.
 */
import { ConnectionError, type SystemInfo } from '../../client/index.js';
import type { Command } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import { bytesSize } from '../format/units.js';
import { asStruct, compile, ExecError, formatValue, goJson } from '../template/index.js';
import type { Cli } from '../context.js';
import { formatFlag, INSPECT_FORMAT_HELP } from './common.js';
import { clientVersion } from './version.js';

type Info = Record<string, unknown>;

/** fmt.Println: operands separated by spaces. */
const ln = (...parts: unknown[]): string => `${parts.map((p) => formatValue(p ?? '')).join(' ')}\n`;
const nonEmpty = (label: string, value: unknown): string => (typeof value === 'string' && value !== '' ? ln(label, value) : '');
const obj = (v: unknown): Info => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Info) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strs = (v: unknown): string[] => arr(v).map((x) => String(x));

function clientInfo(cli: Cli, apiVersion: string): Info {
  const v = clientVersion(apiVersion);
  const fields = { Debug: cli.debug, ...v, Plugins: [] as unknown[], Warnings: null };
  return asStruct(fields, '*system.clientInfo', () => {
    const inner = JSON.parse(goJson(v)) as Info;
    return goJson({ Debug: cli.debug, ...inner, Plugins: [], Warnings: null });
  });
}

/** The Docker Hub user from config.json, as docker shows it. */
function hubUser(cli: Cli): string {
  const auths = obj(cli.config.file.auths);
  const auth = obj(auths['https://index.docker.io/v1/']);
  if (typeof auth.username === 'string') return auth.username;
  if (typeof auth.auth !== 'string') return '';
  const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : '';
}

function printSwarm(info: Info): string {
  const swarm = obj(info.Swarm);
  if (swarm.LocalNodeState === 'inactive' || swarm.LocalNodeState === 'locked') return '';
  let s = ln('  NodeID:', swarm.NodeID ?? '');
  if (swarm.Error) s += ln('  Error:', swarm.Error);
  s += ln('  Is Manager:', swarm.ControlAvailable ?? false);
  s += ln('  Node Address:', swarm.NodeAddr ?? '');
  const managers = arr(swarm.RemoteManagers).map((m) => String(obj(m).Addr ?? '')).sort();
  if (managers.length) s += `  Manager Addresses:\n${managers.map((m) => `   ${m}\n`).join('')}`;
  return s;
}

/** "name=seccomp,profile=builtin" → "  seccomp\n   Profile: builtin". */
function securityOptions(opts: string[]): string {
  let s = ' Security Options:\n';
  for (const o of opts) {
    const kv = Object.fromEntries(o.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    s += `  ${kv.name ?? o}\n`;
    if (kv.profile !== undefined) s += ln('   Profile:', kv.profile);
  }
  return s;
}

function printRegistry(info: Info): string {
  const reg = obj(info.RegistryConfig);
  const index = Object.values(obj(reg.IndexConfigs)).map(obj);
  const cidrs = strs(reg.InsecureRegistryCIDRs);
  let s = '';
  if (cidrs.length || index.length) {
    s += ' Insecure Registries:\n';
    for (const r of index) if (!r.Secure) s += `  ${String(r.Name)}\n`;
    for (const c of cidrs) s += `  ${c}\n`;
  }
  const mirrors = strs(reg.Mirrors);
  if (mirrors.length) s += ` Registry Mirrors:\n${mirrors.map((m) => `  ${m}\n`).join('')}`;
  return s;
}

function printServer(info: Info, debug: boolean, userName: string): string {
  const plugins = obj(info.Plugins);
  let s = ln(' Containers:', info.Containers ?? 0) + ln('  Running:', info.ContainersRunning ?? 0) + ln('  Paused:', info.ContainersPaused ?? 0)
    + ln('  Stopped:', info.ContainersStopped ?? 0) + ln(' Images:', info.Images ?? 0)
    + nonEmpty(' Server Version:', info.ServerVersion) + nonEmpty(' Storage Driver:', info.Driver);
  for (const pair of arr(info.DriverStatus)) s += `  ${String(arr(pair)[0])}: ${String(arr(pair)[1])}\n`;
  for (const pair of arr(info.SystemStatus)) s += ` ${String(arr(pair)[0])}: ${String(arr(pair)[1])}\n`;
  s += nonEmpty(' Logging Driver:', info.LoggingDriver) + nonEmpty(' Cgroup Driver:', info.CgroupDriver) + nonEmpty(' Cgroup Version:', info.CgroupVersion);
  s += ' Plugins:\n' + ln('  Volume:', strs(plugins.Volume).join(' ')) + ln('  Network:', strs(plugins.Network).join(' '));
  if (strs(plugins.Authorization).length) s += ln('  Authorization:', strs(plugins.Authorization).join(' '));
  s += ln('  Log:', strs(plugins.Log).join(' '));
  if (strs(info.CDISpecDirs).length) s += ` CDI spec directories:\n${strs(info.CDISpecDirs).map((d) => `  ${d}\n`).join('')}`;
  const devices = arr(info.DiscoveredDevices).map(obj);
  if (devices.length) s += ` Discovered Devices:\n${devices.map((d) => `  ${String(d.Source)}: ${String(d.ID)}\n`).join('')}`;
  s += ln(' Swarm:', obj(info.Swarm).LocalNodeState ?? '') + printSwarm(info);
  const runtimes = Object.keys(obj(info.Runtimes));
  if (runtimes.length) s += ln(' Runtimes:', runtimes.join(' ')) + ln(' Default Runtime:', info.DefaultRuntime ?? '');
  if (info.OSType === 'linux') {
    s += ln(' Init Binary:', info.InitBinary ?? '') + ln(' containerd version:', obj(info.ContainerdCommit).ID ?? '')
      + ln(' runc version:', obj(info.RuncCommit).ID ?? '') + ln(' init version:', obj(info.InitCommit).ID ?? '');
    if (strs(info.SecurityOptions).length) s += securityOptions(strs(info.SecurityOptions));
  }
  if (info.OSType === 'windows') s += ln(' Default Isolation:', info.Isolation ?? '');
  s += nonEmpty(' Kernel Version:', info.KernelVersion) + nonEmpty(' Operating System:', info.OperatingSystem) + nonEmpty(' OSType:', info.OSType)
    + nonEmpty(' Architecture:', info.Architecture) + ln(' CPUs:', info.NCPU ?? 0) + ln(' Total Memory:', bytesSize(Number(info.MemTotal ?? 0)))
    + nonEmpty(' Name:', info.Name) + nonEmpty(' ID:', info.ID) + ln(' Docker Root Dir:', info.DockerRootDir ?? '') + ln(' Debug Mode:', info.Debug ?? false);
  if (info.Debug || debug) {
    s += ln('  File Descriptors:', info.NFd ?? 0) + ln('  Goroutines:', info.NGoroutines ?? 0) + ln('  System Time:', info.SystemTime ?? '')
      + ln('  EventsListeners:', info.NEventsListener ?? 0);
  }
  s += nonEmpty(' HTTP Proxy:', info.HttpProxy) + nonEmpty(' HTTPS Proxy:', info.HttpsProxy) + nonEmpty(' No Proxy:', info.NoProxy) + nonEmpty(' Username:', userName);
  if (strs(info.Labels).length) s += ` Labels:\n${strs(info.Labels).map((l) => `  ${l}\n`).join('')}`;
  s += ln(' Experimental:', info.ExperimentalBuild ?? false) + printRegistry(info) + ln(' Live Restore Enabled:', info.LiveRestoreEnabled ?? false);
  if (info.ProductLicense) s += ln(' Product License:', info.ProductLicense);
  const pools = arr(info.DefaultAddressPools).map(obj);
  if (pools.length) s += ` Default Address Pools:\n${pools.map((p) => `   Base: ${String(p.Base)}, Size: ${String(p.Size)}\n`).join('')}`;
  return `${s}\n`;
}

async function prettyPrint(cli: Cli): Promise<void> {
  let apiVersion = '';
  let info: Info | undefined;
  let failure: Error | undefined;
  try {
    apiVersion = await cli.client.apiVersion(cli.signal);
    info = await cli.client.json<SystemInfo>('GET', '/info', { signal: cli.signal });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    failure = e;
  }
  const client = clientVersion(apiVersion);
  let out = 'Client:\n' + nonEmpty(' Version:   ', client.Version) + ln(' Context:   ', client.Context) + ln(' Debug Mode:', cli.debug);
  out += '\nServer:\n';
  if (info) out += printServer(info, cli.debug, hubUser(cli));
  await cli.out(out);
  if (info) for (const w of strs(info.Warnings)) cli.err(`${w}\n`);
  if (failure instanceof ConnectionError) throw failure;
  if (failure) {
    cli.err(`ERROR: ${failure.message}\n`);
    throw new Error('errors pretty printing info');
  }
}

/** docker's needsServerInfo: does the template read anything but ClientInfo? */
function needsServer(format: string, client: Info): boolean {
  if (format === 'json' || format === '{{json .}}' || !/\.[a-zA-Z]/.test(format)) return true;
  try {
    compile(format).execute(asStruct({ ClientInfo: client, ClientErrors: null }, 'system.sparseInfo'));
    return false;
  } catch (e) {
    if (e instanceof ExecError) return true;
    throw e;
  }
}

async function formatted(cli: Cli, format: string): Promise<void> {
  const src = format === 'json' ? '{{json .}}' : format;
  let tmpl;
  try {
    tmpl = compile(src);
  } catch (e) {
    throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
  }
  const client = clientInfo(cli, '');
  let server: Info = {};
  let failure: Error | undefined;
  if (needsServer(format, client)) {
    try {
      server = await cli.client.json<SystemInfo>('GET', '/info', { signal: cli.signal }) ?? {};
    } catch (e) {
      if (e instanceof ConnectionError) failure = e;
      else if (e instanceof Error) cli.err(`${e.message}\n`);
      else throw e;
    }
  }
  const data = { ...server, ClientInfo: client };
  let text: string;
  try {
    text = tmpl.execute(data, { missingKey: 'struct' });
  } catch (e) {
    if (!(e instanceof ExecError)) throw e;
    await cli.out(`${e.partial}\n`);
    throw failure ?? new Error(e.message);
  }
  await cli.out(`${text}\n`);
  if (failure) throw failure;
}

export const infoCommand = (use: string, categoryTop?: number): Command<Cli> => ({
  use,
  short: 'Display system-wide information',
  categoryTop,
  aliasesText: 'berth system info, berth info',
  args: { kind: 'none' },
  flags: [formatFlag('f', INSPECT_FORMAT_HELP)],
  run: ({ ctx, flags }) => (flags.string('format') ? formatted(ctx, flags.string('format')) : prettyPrint(ctx)),
});
