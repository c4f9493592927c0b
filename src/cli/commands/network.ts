/**
 * The network group: `berth network create|ls|inspect|rm|prune|connect|disconnect`, as
 * docker/cli cli/command/network/*.go: the same flags, table, `--format`, messages and exit codes.
 */
import type { Command, Invocation } from '../framework/command.js';
import type { FlagSpec } from '../framework/flags.js';
import { makeRow, renderRows, TABLE } from '../format/formatter.js';
import { goTimeStringOf } from '../format/time.js';
import { runInspect } from '../inspect.js';
import { mapFlag } from '../opts/flag-values.js';
import { validateLabel } from '../opts/validators.js';
import type { Cli } from '../context.js';
import { CancelledError, confirm, formatFlag, INSPECT_FORMAT_HELP, pathName, withConfigPruneFilters } from './common.js';
import { pruneNetworks } from './prune.js';
import { naturalLess } from './volume.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

interface NetworkSummary {
  Name: string;
  Id: string;
  Created?: string;
  Scope?: string;
  Driver?: string;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

/* ---------------------------------------------------------------- create */

/** An IPv4 or IPv6 CIDR's first address and length, enough to tell containment (net.ParseCIDR). */
function parseCidr(s: string): { bytes: number[]; bits: number } | undefined {
  const [addr = '', bitsText] = s.split('/');
  if (bitsText === undefined || !/^\d+$/.test(bitsText)) return undefined;
  const v4 = addr.split('.');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    const bits = Number(bitsText);
    return bits <= 32 ? { bytes: v4.map(Number), bits } : undefined;
  }
  return undefined;
}

function parseIp(s: string): number[] | undefined {
  const v4 = s.split('.');
  if (v4.length === 4 && v4.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return v4.map(Number);
  return undefined;
}

function cidrContains(net: { bytes: number[]; bits: number }, ip: number[]): boolean {
  if (ip.length !== net.bytes.length) return false;
  for (let bit = 0; bit < net.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((net.bytes[byte]! & mask) !== (ip[byte]! & mask)) return false;
  }
  return true;
}

/**
 * docker's consolidateIpam: each --ip-range, --gateway and --aux-address goes to the --subnet
 * that contains it, with docker's messages when none or two do.
 */
export function consolidateIpam(subnets: string[], ranges: string[], gateways: string[], aux: Record<string, string>): Array<Record<string, unknown>> {
  if (subnets.length < ranges.length || subnets.length < gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
  const iData = new Map<string, { Subnet: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }>();
  for (const s of subnets) {
    const net = parseCidr(s);
    // docker 28 sends a subnet it cannot parse as given: the daemon refuses it in its words.
    if (!net) { iData.set(s, { Subnet: s }); continue; }
    for (const k of iData.keys()) {
      const other = parseCidr(k);
      if (other && (cidrContains(other, net.bytes) || cidrContains(net, other.bytes))) throw new Error(`multiple overlapping subnet configuration is not supported`);
    }
    iData.set(s, { Subnet: s });
  }
  const owner = (ipText: string, what: string): string => {
    const ip = parseCidr(ipText)?.bytes ?? parseIp(ipText);
    if (!ip) throw new Error(`invalid ${what}: ${ipText}`);
    for (const s of iData.keys()) {
      const net = parseCidr(s);
      if (net && cidrContains(net, ip)) return s;
    }
    throw new Error(`no matching subnet for ${what} ${ipText}`);
  };
  for (const r of ranges) {
    const s = owner(r, 'range');
    const d = iData.get(s)!;
    if (d.IPRange) throw new Error(`cannot configure multiple ranges (${r}, ${d.IPRange}) on the same subnet (${s})`);
    d.IPRange = r;
  }
  for (const g of gateways) {
    const s = owner(g, 'gateway');
    const d = iData.get(s)!;
    if (d.Gateway) throw new Error(`cannot configure multiple gateways (${g}, ${d.Gateway}) for the same subnet (${s})`);
    d.Gateway = g;
  }
  for (const [key, ip] of Object.entries(aux)) {
    const s = owner(ip, 'aux-address');
    (iData.get(s)!.AuxiliaryAddresses ??= {})[key] = ip;
  }
  return [...iData.values()];
}

const CREATE_FLAGS: FlagSpec[] = [
  { name: 'driver', short: 'd', type: 'string', default: 'bridge', usage: 'Driver to manage the Network' },
  mapFlag({ name: 'opt', short: 'o', usage: 'Set driver specific options' }),
  { name: 'label', type: 'list', usage: 'Set metadata on a network', validate: validateLabel },
  { name: 'internal', type: 'bool', usage: 'Restrict external access to the network' },
  { name: 'ipv6', type: 'bool', usage: 'Enable or disable IPv6 networking' },
  { name: 'ipv4', type: 'bool', default: true, usage: 'Enable or disable IPv4 address assignment' },
  { name: 'attachable', type: 'bool', usage: 'Enable manual container attachment' },
  { name: 'ingress', type: 'bool', usage: 'Create swarm routing-mesh network' },
  { name: 'scope', type: 'string', usage: "Control the network's scope" },
  { name: 'config-only', type: 'bool', usage: 'Create a configuration only network' },
  { name: 'config-from', type: 'string', usage: 'The network from which to copy the configuration' },
  { name: 'ipam-driver', type: 'string', default: 'default', usage: 'IP Address Management Driver' },
  { name: 'subnet', type: 'list', usage: 'Subnet in CIDR format that represents a network segment' },
  { name: 'ip-range', type: 'list', usage: 'Allocate container ip from a sub-range' },
  { name: 'gateway', type: 'list', usage: 'IPv4 or IPv6 Gateway for the master subnet' },
  mapFlag({ name: 'aux-address', usage: 'Auxiliary IPv4 or IPv6 addresses used by Network driver' }),
  mapFlag({ name: 'ipam-opt', usage: 'Set IPAM driver specific options' }),
];

function kvMap(list: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) m[kv] = '';
    else m[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return m;
}

async function runCreate({ ctx, args, flags }: Inv): Promise<void> {
  const ipamConfig = consolidateIpam(flags.list('subnet'), flags.list('ip-range'), flags.list('gateway'), flags.value<Record<string, string>>('aux-address'));
  const body: Record<string, unknown> = {
    Name: args[0]!,
    Driver: flags.string('driver'),
    Options: flags.value<Record<string, string>>('opt'),
    IPAM: { Driver: flags.string('ipam-driver'), Config: ipamConfig, Options: flags.value<Record<string, string>>('ipam-opt') },
    Internal: flags.bool('internal'),
    Attachable: flags.bool('attachable'),
    Ingress: flags.bool('ingress'),
    Scope: flags.string('scope'),
    ConfigOnly: flags.bool('config-only'),
    Labels: kvMap(flags.list('label')),
  };
  if (flags.changed('ipv6')) body.EnableIPv6 = flags.bool('ipv6');
  if (flags.changed('ipv4')) body.EnableIPv4 = flags.bool('ipv4');
  if (flags.string('config-from')) body.ConfigFrom = { Network: flags.string('config-from') };
  const res = await ctx.client.json<{ Id: string; Warning?: string }>('POST', '/networks/create', { json: body, signal: ctx.signal });
  if (res?.Warning) ctx.err(`${res.Warning}\n`);
  await ctx.out(`${res?.Id ?? ''}\n`);
}

const createCommand: Cmd = {
  use: 'create [OPTIONS] NETWORK',
  short: 'Create a network',
  args: { kind: 'exact', n: 1 },
  flags: CREATE_FLAGS,
  run: runCreate,
};

/* ---------------------------------------------------------------- ls */

export const NETWORK_HEADER: Record<string, string> = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT',
};
const DEFAULT_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

/** formatter.NewNetworkFormat. */
export function networkFormat(source: string, quiet: boolean): string {
  if (source === TABLE) return quiet ? '{{.ID}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'network_id: {{.ID}}' : 'network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n';
  return source;
}

/** docker's *formatter.networkContext. */
export function networkRow(n: NetworkSummary, trunc: boolean) {
  const labels = n.Labels ?? {};
  return makeRow('*formatter.networkContext', {
    ID: trunc ? n.Id.slice(0, 12) : n.Id,
    Name: n.Name,
    Driver: n.Driver ?? '',
    Scope: n.Scope ?? '',
    IPv6: String(n.EnableIPv6 ?? false),
    Internal: String(n.Internal ?? false),
    Labels: Object.keys(labels).map((k) => `${k}=${labels[k]}`).join(','),
    Label: (name: string) => labels[name] ?? '',
    CreatedAt: n.Created ? goTimeStringOf(n.Created) : '',
  });
}

async function runList({ ctx, flags }: Inv): Promise<void> {
  const quiet = flags.bool('quiet');
  const list = await ctx.client.json<NetworkSummary[]>('GET', '/networks', { query: { filters: flags.filters('filter').toQuery() }, signal: ctx.signal });
  let format = flags.string('format');
  if (format === '') {
    const configured = ctx.config.file.networksFormat;
    format = typeof configured === 'string' && configured !== '' && !quiet ? configured : TABLE;
  }
  const sorted = [...(list ?? [])].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  await ctx.out(renderRows(networkFormat(format, quiet), sorted.map((n) => networkRow(n, !flags.bool('no-trunc'))), NETWORK_HEADER));
}

const listCommand: Cmd = {
  use: 'ls [OPTIONS]',
  short: 'List networks',
  aliases: ['list'],
  args: { kind: 'none' },
  flags: [
    { name: 'filter', short: 'f', type: 'filter', usage: 'Provide filter values (e.g. "driver=bridge")' },
    formatFlag(),
    { name: 'no-trunc', type: 'bool', usage: 'Do not truncate the output' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display network IDs' },
  ],
  run: runList,
};

/* ---------------------------------------------------------------- inspect */

const inspectCommand: Cmd = {
  use: 'inspect [OPTIONS] NETWORK [NETWORK...]',
  short: 'Display detailed information on one or more networks',
  args: { kind: 'min', n: 1 },
  flags: [
    formatFlag('f', INSPECT_FORMAT_HELP),
    { name: 'verbose', short: 'v', type: 'bool', usage: 'Verbose output for diagnostics' },
  ],
  run: async ({ ctx, args, flags }) => {
    await runInspect(ctx, args, flags.string('format'), async (ref) => {
      return ctx.client.text('GET', `/networks/${pathName(ref)}`, { query: flags.bool('verbose') ? { verbose: 'true' } : undefined, signal: ctx.signal });
    });
  },
};

/* ---------------------------------------------------------------- rm */

async function runRemove({ ctx, args, flags }: Inv): Promise<void> {
  const errors: string[] = [];
  for (const name of args) {
    try {
      await ctx.client.call('DELETE', `/networks/${pathName(name)}`, { signal: ctx.signal });
    } catch (e) {
      if (flags.bool('force') && (e as { isNotFound?: boolean }).isNotFound) continue;
      errors.push((e as Error).message);
      continue;
    }
    await ctx.out(`${name}\n`);
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

const removeCommand: Cmd = {
  use: 'rm NETWORK [NETWORK...]',
  short: 'Remove one or more networks',
  aliases: ['remove'],
  args: { kind: 'min', n: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Do not error if the network does not exist' }],
  run: runRemove,
};

/* ---------------------------------------------------------------- prune */

const PRUNE_WARNING = 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?';

async function runPrune({ ctx, flags }: Inv): Promise<void> {
  const filters = flags.filters('filter').clone();
  withConfigPruneFilters(ctx, filters);
  if (!flags.bool('force') && !(await confirm(ctx, PRUNE_WARNING))) throw new CancelledError('network prune has been cancelled');
  const { output } = await pruneNetworks(ctx, filters);
  if (output) await ctx.out(`${output}\n`);
}

const pruneCommand: Cmd = {
  use: 'prune [OPTIONS]',
  short: 'Remove all unused networks',
  args: { kind: 'none' },
  flags: [
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: runPrune,
};

/* ---------------------------------------------------------------- connect, disconnect */

async function runConnect({ ctx, args, flags }: Inv): Promise<void> {
  const ipam: Record<string, unknown> = {};
  if (flags.string('ip')) ipam.IPv4Address = flags.string('ip');
  if (flags.string('ip6')) ipam.IPv6Address = flags.string('ip6');
  if (flags.list('link-local-ip').length) ipam.LinkLocalIPs = flags.list('link-local-ip');
  const endpoint: Record<string, unknown> = {
    IPAMConfig: ipam,
    Links: flags.list('link'),
    Aliases: flags.list('alias'),
    DriverOpts: kvMap(flags.list('driver-opt')),
  };
  if (flags.changed('gw-priority')) endpoint.GwPriority = flags.value<number>('gw-priority');
  await ctx.client.call('POST', `/networks/${pathName(args[0]!)}/connect`, { json: { Container: args[1]!, EndpointConfig: endpoint }, signal: ctx.signal });
}

const connectCommand: Cmd = {
  use: 'connect [OPTIONS] NETWORK CONTAINER',
  short: 'Connect a container to a network',
  args: { kind: 'exact', n: 2 },
  flags: [
    { name: 'ip', type: 'string', usage: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', type: 'string', usage: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', type: 'list', usage: 'Add link to another container' },
    { name: 'alias', type: 'list', usage: 'Add network-scoped alias for the container' },
    { name: 'link-local-ip', type: 'list', usage: 'Add a link-local address for the container' },
    { name: 'driver-opt', type: 'list', usage: 'driver options for the network' },
    { name: 'gw-priority', type: 'int', usage: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
  ],
  run: runConnect,
};

const disconnectCommand: Cmd = {
  use: 'disconnect [OPTIONS] NETWORK CONTAINER',
  short: 'Disconnect a container from a network',
  args: { kind: 'exact', n: 2 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the container to disconnect from a network' }],
  run: async ({ ctx, args, flags }) => {
    await ctx.client.call('POST', `/networks/${pathName(args[0]!)}/disconnect`, { json: { Container: args[1]!, Force: flags.bool('force') }, signal: ctx.signal });
  },
};

export const networkGroup: Cmd = {
  use: 'network COMMAND',
  short: 'Manage networks',
  subcommands: [connectCommand, createCommand, disconnectCommand, inspectCommand, listCommand, pruneCommand, removeCommand],
};
