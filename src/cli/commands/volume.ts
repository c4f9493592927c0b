/**
 * The volume group: `berth volume create|ls|inspect|rm|prune` (and the hidden `update`),
 * as docker/cli cli/command/volume/*.go. docker has no top-level shortcuts for them.
 *
 * docker hides the cluster (swarm) flags of create and ls, and the update command, when
 * the daemon is not a swarm manager; berthd never is, so they are hidden here, but
 * accepted as docker accepts them: create sends a ClusterVolumeSpec and the daemon
 * refuses or ignores it, update finds no cluster volume.
 */
import { ExecError, compile, GO_JSON, asStruct, goJson, jsonString, type Template } from '../template/index.js';
import { isPlainObject } from '../template/value.js';
import type { Volume } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import type { FlagSpec } from '../framework/flags.js';
import { renderRows, TABLE } from '../format/formatter.js';
import { VOLUME_HEADER, volumeRow } from '../format/volume.js';
import { compactJson, indentJson } from '../inspect.js';
import { bytesFlag, mapFlag } from '../opts/flag-values.js';
import { validateLabel } from '../opts/validators.js';
import type { Cli } from '../context.js';
import { CancelledError, confirm, formatFlag, INSPECT_FORMAT_HELP, pathName, withConfigPruneFilters } from './common.js';
import { pruneVolumes, prunedText } from './prune.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/** A volume as GET /volumes lists it, with the swarm part docker's --cluster looks at. */
type ListedVolume = Volume & { ClusterVolume?: unknown };

interface VolumeListResponse {
  Volumes?: ListedVolume[] | null;
  Warnings?: string[] | null;
}


/** Go's sort of strings: by UTF-8 bytes. */
function byteCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** fvbommel/sortorder NaturalLess: digit runs compare as numbers, digits before other bytes. */
export function naturalLess(s1: string, s2: string): boolean {
  const a = Buffer.from(s1, 'utf8');
  const b = Buffer.from(s2, 'utf8');
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i]!;
    const c2 = b[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1 < c2;
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === 0x30) i++;
    while (j < b.length && b[j] === 0x30) j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a[i]!)) i++;
    while (j < b.length && isDigit(b[j]!)) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const cmp = Buffer.compare(a.subarray(nz1, i), b.subarray(nz2, j));
    if (cmp !== 0) return cmp < 0;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}

/* ---------------------------------------------------------------- create */

const CLUSTER_FLAGS = new Set(['group', 'scope', 'sharing', 'availability', 'type', 'limit-bytes', 'required-bytes']);

const CREATE_FLAGS: FlagSpec[] = [
  { name: 'driver', short: 'd', type: 'string', default: 'local', usage: 'Specify volume driver name' },
  { name: 'name', type: 'string', usage: 'Specify volume name', hidden: true },
  mapFlag({ name: 'opt', short: 'o', usage: 'Set driver specific options' }),
  { name: 'label', type: 'list', usage: 'Set metadata for a volume', validate: validateLabel },
  // Cluster volumes only: docker hides these unless the daemon is a swarm manager.
  { name: 'group', type: 'string', usage: 'Cluster Volume group (cluster volumes)', hidden: true },
  { name: 'scope', type: 'string', default: 'single', usage: 'Cluster Volume access scope ("single", "multi")', hidden: true },
  { name: 'sharing', type: 'string', default: 'none', usage: 'Cluster Volume access sharing ("none", "readonly", "onewriter", "all")', hidden: true },
  { name: 'availability', type: 'string', default: 'active', usage: 'Cluster Volume availability ("active", "pause", "drain")', hidden: true },
  { name: 'type', type: 'string', default: 'block', usage: 'Cluster Volume access type ("mount", "block")', hidden: true },
  mapFlag({ name: 'secret', usage: 'Cluster Volume secrets', hidden: true }),
  bytesFlag({ name: 'limit-bytes', usage: 'Minimum size of the Cluster Volume in bytes', hidden: true }),
  bytesFlag({ name: 'required-bytes', usage: 'Maximum size of the Cluster Volume in bytes', hidden: true }),
  { name: 'topology-required', type: 'list', usage: 'A topology that the Cluster Volume must be accessible from', hidden: true },
  { name: 'topology-preferred', type: 'list', usage: 'A topology that the Cluster Volume would be preferred in', hidden: true },
];

/** A Go map[string]string as json.Marshal writes it: keys sorted. */
function sortedMap(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(m).sort(byteCompare).map((k) => [k, m[k]!]));
}

/** opts.ConvertKVStringsToMap. */
function kvMap(list: string[]): Record<string, string> {
  const m: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq < 0) m[kv] = '';
    else m[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return m;
}

function topologies(list: string[]): Array<{ Segments: Record<string, string> }> {
  return list.map((top) => ({ Segments: sortedMap(kvMap(top.split(','))) }));
}

/** volume.ClusterVolumeSpec from the cluster flags, omitempty as Go encodes it. */
function clusterVolumeSpec(flags: Inv['flags']): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (flags.string('group')) spec.Group = flags.string('group');
  const access: Record<string, unknown> = {};
  if (flags.string('scope')) access.Scope = flags.string('scope');
  if (flags.string('sharing')) access.Sharing = flags.string('sharing');
  if (flags.string('type') === 'mount') access.MountVolume = {};
  else if (flags.string('type') === 'block') access.BlockVolume = {};
  spec.AccessMode = access;
  const topology: Record<string, unknown> = {};
  const requisite = topologies(flags.list('topology-required'));
  const preferred = topologies(flags.list('topology-preferred'));
  if (requisite.length) topology.Requisite = requisite;
  if (preferred.length) topology.Preferred = preferred;
  spec.AccessibilityRequirements = topology;
  spec.CapacityRange = { RequiredBytes: flags.value<number>('required-bytes'), LimitBytes: flags.value<number>('limit-bytes') };
  const secrets = flags.value<Record<string, string>>('secret');
  const keys = Object.keys(secrets).sort(byteCompare);
  if (keys.length) spec.Secrets = keys.map((k) => ({ Key: k, Secret: secrets[k] }));
  if (flags.string('availability')) spec.Availability = flags.string('availability');
  return spec;
}

async function runCreate({ ctx, args, flags }: Inv): Promise<void> {
  let name = flags.string('name');
  if (args.length === 1) {
    if (name !== '') throw new Error('conflicting options: cannot specify a volume-name through both --name and as a positional arg');
    name = args[0]!;
  }
  // docker's hasClusterVolumeOptionSet (which looks for "secrets", a flag that does not exist).
  const cluster = [...CLUSTER_FLAGS].some((f) => flags.changed(f));
  const body: Record<string, unknown> = {};
  if (cluster) body.ClusterVolumeSpec = clusterVolumeSpec(flags);
  if (flags.string('driver')) body.Driver = flags.string('driver');
  const driverOpts = flags.value<Record<string, string>>('opt');
  if (Object.keys(driverOpts).length) body.DriverOpts = sortedMap(driverOpts);
  const labels = kvMap(flags.list('label'));
  if (Object.keys(labels).length) body.Labels = sortedMap(labels);
  if (name) body.Name = name;
  const vol = await ctx.client.json<Volume>('POST', '/volumes/create', { json: body, signal: ctx.signal });
  await ctx.out(`${vol?.Name ?? ''}\n`);
}

const createCommand: Cmd = {
  use: 'create [OPTIONS] [VOLUME]',
  short: 'Create a volume',
  args: { kind: 'max', n: 1 },
  flags: CREATE_FLAGS,
  run: runCreate,
};

/* ---------------------------------------------------------------- ls */

const DEFAULT_TABLE = 'table {{.Driver}}\t{{.Name}}';
const CLUSTER_TABLE = 'table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}';

/** formatter.NewVolumeFormat. */
export function volumeFormat(source: string, quiet: boolean): string {
  if (source === TABLE) return quiet ? '{{.Name}}' : DEFAULT_TABLE;
  if (source === 'raw') return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return source;
}

async function runList({ ctx, flags }: Inv): Promise<void> {
  const quiet = flags.bool('quiet');
  const cluster = flags.bool('cluster');
  const res = await ctx.client.json<VolumeListResponse>('GET', '/volumes', { query: { filters: flags.filters('filter').toQuery() }, signal: ctx.signal });
  let volumes = res?.Volumes ?? [];
  let format = flags.string('format');
  if (format === '' && !cluster) {
    const configured = ctx.config.file.volumesFormat;
    format = typeof configured === 'string' && configured !== '' && !quiet ? configured : TABLE;
  } else if (cluster) {
    volumes = volumes.filter((v) => v.ClusterVolume !== undefined && v.ClusterVolume !== null);
    format = quiet ? TABLE : CLUSTER_TABLE;
  }
  const sorted = [...volumes].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  await ctx.out(renderRows(volumeFormat(format, quiet), sorted.map(volumeRow), VOLUME_HEADER));
}

const listCommand: Cmd = {
  use: 'ls [OPTIONS]',
  short: 'List volumes',
  aliases: ['list'],
  args: { kind: 'none' },
  flags: [
    { name: 'cluster', type: 'bool', usage: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
    { name: 'filter', short: 'f', type: 'filter', usage: 'Provide filter values (e.g. "dangling=true")' },
    formatFlag(),
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display volume names' },
  ],
  run: runList,
};

/* ---------------------------------------------------------------- inspect */

/** json.Marshal of a decoded map[string]interface{}: keys sorted at every level. */
function mapJson(v: unknown, escapeHTML: boolean): string {
  if (Array.isArray(v)) return `[${v.map((e) => mapJson(e, escapeHTML)).join(',')}]`;
  if (!isPlainObject(v)) return goJson(v, escapeHTML);
  const keys = Object.keys(v).sort(byteCompare);
  return `{${keys.map((k) => `${jsonString(k, escapeHTML)}:${mapJson(v[k], escapeHTML)}`).join(',')}}`;
}

const VOLUME_FIELDS = ['ClusterVolume', 'CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope', 'Status', 'UsageData'] as const;
/** Fields docker's volume.Volume leaves out of its JSON when empty. */
const OMIT_EMPTY = new Set(['ClusterVolume', 'CreatedAt', 'Status', 'UsageData']);

type Decoded = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const map = (v: unknown): Decoded | null => (isPlainObject(v) ? v : null);

/** The daemon's answer read into docker's volume.Volume: unknown fields dropped. */
function decodeVolume(raw: Decoded): Record<(typeof VOLUME_FIELDS)[number], unknown> {
  const usage = map(raw.UsageData);
  return {
    ClusterVolume: map(raw.ClusterVolume),
    CreatedAt: str(raw.CreatedAt),
    Driver: str(raw.Driver),
    Labels: map(raw.Labels),
    Mountpoint: str(raw.Mountpoint),
    Name: str(raw.Name),
    Options: map(raw.Options),
    Scope: str(raw.Scope),
    Status: map(raw.Status),
    UsageData: usage ? { RefCount: Number(usage.RefCount ?? 0), Size: Number(usage.Size ?? 0) } : null,
  };
}

/** json.Marshal of a volume.Volume: struct order, omitempty, maps sorted. */
function volumeJson(v: ReturnType<typeof decodeVolume>, escapeHTML: boolean): string {
  const parts: string[] = [];
  for (const f of VOLUME_FIELDS) {
    const value = v[f];
    if (OMIT_EMPTY.has(f) && (value === null || value === '' || (f === 'Status' && Object.keys(value as Decoded).length === 0))) continue;
    let text: string;
    if (f === 'ClusterVolume') text = goJson(value, escapeHTML);
    else if (f === 'UsageData') text = goJson(value, escapeHTML);
    else text = value === null ? 'null' : mapJson(value, escapeHTML);
    parts.push(`${jsonString(f, escapeHTML)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/** A Go map for templates: nil prints as "map[]", `{{json}}` of it is sorted (or null). */
function templateMap(m: Decoded | null): Decoded {
  const obj: Decoded = m ? { ...m } : {};
  Object.defineProperty(obj, GO_JSON, { value: () => (m ? mapJson(m, false) : 'null'), enumerable: false });
  return obj;
}

/** The volume as the Go struct docker's templates see ("can't evaluate field X in type volume.Volume"). */
function templateVolume(v: ReturnType<typeof decodeVolume>): object {
  const usage = v.UsageData as { RefCount: number; Size: number } | null;
  return asStruct({
    ClusterVolume: v.ClusterVolume,
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: templateMap(v.Labels as Decoded | null),
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Options: templateMap(v.Options as Decoded | null),
    Scope: v.Scope,
    Status: templateMap(v.Status as Decoded | null),
    UsageData: usage ? asStruct({ RefCount: usage.RefCount, Size: usage.Size }, '*volume.UsageData') : null,
  }, 'volume.Volume', () => volumeJson(v, false));
}

/**
 * docker's inspect.Inspect with a typed element (no raw JSON): the default output is
 * json.MarshalIndent of the volumes, a template that fails is reported for that volume.
 */
async function runInspect({ ctx, args, flags }: Inv): Promise<void> {
  const format = flags.string('format');
  let tmpl: Template | undefined;
  if (format !== '' && format !== 'json') {
    try {
      tmpl = compile(format);
    } catch (e) {
      throw new StatusError(64, `template parsing error: ${(e as Error).message}`);
    }
  }
  const errors: string[] = [];
  const elements: string[] = [];
  let text = '';
  for (const name of args) {
    let vol: ReturnType<typeof decodeVolume>;
    try {
      const raw = await ctx.client.json<Decoded>('GET', `/volumes/${pathName(name)}`, { signal: ctx.signal });
      vol = decodeVolume(raw ?? {});
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    if (!tmpl) {
      elements.push(volumeJson(vol, true));
      continue;
    }
    try {
      text += `${tmpl.execute(templateVolume(vol))}\n`;
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      errors.push(`template parsing error: ${e.message}`);
    }
  }
  if (!tmpl) {
    if (elements.length === 0) text = '[]\n';
    else if (format === 'json') text = `${compactJson(`[${elements.join(',')}]`)}\n`;
    else text = `${indentJson(`[${elements.join(',')}]`, '    ')}\n`;
  } else if (text === '') {
    text = '\n';
  }
  await ctx.out(text);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
}

const inspectCommand: Cmd = {
  use: 'inspect [OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  args: { kind: 'min', n: 1 },
  flags: [formatFlag('f', INSPECT_FORMAT_HELP)],
  run: runInspect,
};

/* ---------------------------------------------------------------- rm */

/** Removes each volume in turn, printing its name; the failures together at the end (exit 1). */
async function runRemove({ ctx, args, flags }: Inv): Promise<void> {
  const force = flags.bool('force');
  const errors: string[] = [];
  for (const name of args) {
    try {
      await ctx.client.call('DELETE', `/volumes/${pathName(name)}`, { query: { force: force || undefined }, signal: ctx.signal });
    } catch (e) {
      errors.push((e as Error).message);
      continue;
    }
    await ctx.out(`${name}\n`);
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

const removeCommand: Cmd = {
  use: 'rm [OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  long: 'Remove one or more volumes. You cannot remove a volume that is in use by a container.',
  aliases: ['remove'],
  args: { kind: 'min', n: 1 },
  flags: [{ name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of one or more volumes' }],
  run: runRemove,
};

/* ---------------------------------------------------------------- prune */

const ANONYMOUS_WARNING = 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue?';


async function runPrune({ ctx, flags }: Inv): Promise<void> {
  const filters = flags.filters('filter').clone();
  withConfigPruneFilters(ctx, filters);
  let warning = ANONYMOUS_WARNING;
  if (flags.bool('all')) {
    if (filters.get('all').length > 0) throw new Error('conflicting options: cannot specify both --all and --filter all=1');
    filters.add('all', 'true');
    warning = ALL_WARNING;
  }
  if (!flags.bool('force') && !(await confirm(ctx, warning))) throw new CancelledError('volume prune has been cancelled');
  await ctx.out(prunedText(await pruneVolumes(ctx, filters)));
}

const pruneCommand: Cmd = {
  use: 'prune [OPTIONS]',
  short: 'Remove unused local volumes',
  args: { kind: 'none' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: runPrune,
};

/* ---------------------------------------------------------------- update (cluster volumes only) */

interface ClusterVolume { ID?: string; Version?: { Index?: number }; Spec?: Record<string, unknown> }

async function runUpdate({ ctx, args, flags }: Inv): Promise<void> {
  const vol = await ctx.client.json<{ ClusterVolume?: ClusterVolume | null }>('GET', `/volumes/${pathName(args[0]!)}`, { signal: ctx.signal });
  const cv = vol?.ClusterVolume;
  if (!cv) throw new Error('can only update cluster volumes');
  const spec = { ...(cv.Spec ?? {}) };
  if (flags.changed('availability')) spec.Availability = flags.string('availability');
  await ctx.client.call('PUT', `/volumes/${pathName(cv.ID ?? '')}`, {
    query: { version: String(cv.Version?.Index ?? 0) },
    json: { Spec: spec },
    signal: ctx.signal,
  });
}

const updateCommand: Cmd = {
  use: 'update [OPTIONS] [VOLUME]',
  short: 'Update a volume (cluster volumes only)',
  hidden: true,
  args: { kind: 'exact', n: 1 },
  flags: [{ name: 'availability', type: 'string', default: 'active', usage: 'Cluster Volume availability ("active", "pause", "drain")', hidden: true }],
  run: runUpdate,
};

export const volumeGroup: Cmd = {
  use: 'volume COMMAND',
  short: 'Manage volumes',
  subcommands: [createCommand, inspectCommand, listCommand, pruneCommand, removeCommand, updateCommand],
};
