/**
 * Reading containers (docker/cli container/list.go, inspect.go, logs.go, top.go, diff.go,
 * export.go, commit.go): `ps` with docker's table and templates, inspect, logs
 * (demultiplexed unless the container has a TTY), top, diff, export and commit.
 */
import { pipeline } from 'node:stream/promises';
import {
  demultiplex, type ContainerInspect, type ContainerSummary, type ContainerTopResponse, type FilesystemChange,
} from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { CONTAINER_HEADER, containerRow } from '../format/container.js';
import { makeRow, renderRows, TABLE } from '../format/formatter.js';
import { tabulate } from '../format/tabwriter.js';
import { getTimestamp } from '../format/timestamp.js';
import { runInspect } from '../inspect.js';
import { parseNormalizedNamed } from '../reference.js';
import { compile, ExecError } from '../template/index.js';
import type { Cli } from '../context.js';
import { formatFlag, INSPECT_FORMAT_HELP, pathName } from './common.js';
import { writeTarOutput } from './image-archive.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const containerPath = (name: string, rest = ''): string => `/containers/${pathName(name)}${rest}`;

// --- ps ------------------------------------------------------------------------------------

const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';
const RAW_FORMAT = 'container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n';

/** formatter.NewContainerFormat. */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === TABLE || source === '') return quiet ? '{{.ID}}' : DEFAULT_TABLE + (size ? '\t{{.Size}}' : '');
  if (source === 'raw') return quiet ? 'container_id: {{.ID}}' : RAW_FORMAT + (size ? 'size: {{.Size}}\n' : '');
  return quiet ? '{{.ID}}' : source;
}

/**
 * buildContainerListOptions' template check: the format must parse and run on an empty
 * container; a template that reads .Size asks the daemon for sizes.
 */
function checkPsTemplate(format: string): boolean {
  let tmpl;
  try {
    tmpl = compile(format);
  } catch (e) {
    throw new Error(`failed to parse template: ${(e as Error).message}`);
  }
  let usesSize = false;
  const probe = containerRow({ Id: '' }, { trunc: true }) as Record<string, unknown>;
  const watched = new Proxy(probe, {
    get(target, key, receiver) {
      if (key === 'Size') usesSize = true;
      return Reflect.get(target, key, receiver);
    },
  });
  try {
    tmpl.execute(watched);
  } catch (e) {
    if (e instanceof ExecError) throw new Error(`failed to execute template: ${e.message}`);
    throw e;
  }
  return usesSize || /\.Size\b/.test(format);
}

async function runPs({ ctx, flags }: Inv): Promise<void> {
  const quiet = flags.bool('quiet');
  let format = flags.string('format');
  if (format === '') format = typeof ctx.config.file.psFormat === 'string' ? ctx.config.file.psFormat : '';
  else if (quiet) ctx.err('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
  let size = flags.bool('size');
  let limit = flags.int('last');
  if (flags.bool('latest') && limit === -1) limit = 1;
  if (flags.string('format') !== '' || format !== '') {
    const usesSize = checkPsTemplate(format);
    if (!quiet && !size && !flags.changed('size') && usesSize) size = true;
  }
  const containers = await ctx.client.json<ContainerSummary[]>('GET', '/containers/json', {
    query: {
      all: flags.bool('all') || undefined, limit: limit > 0 ? limit : undefined, size: size || undefined, filters: flags.filters('filter').toQuery(),
    },
    signal: ctx.signal,
  }) ?? [];
  const source = containerFormat(format, quiet, size);
  const rows = containers.map((c) => containerRow(c, { trunc: !flags.bool('no-trunc') }));
  await ctx.out(renderRows(source, rows, CONTAINER_HEADER));
}

const psCommand = (use: string, aliases?: string[]): Cmd => ({
  use,
  short: 'List containers',
  aliases,
  aliasesText: 'berth container ls, berth container list, berth container ps, berth ps',
  args: { kind: 'none' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', type: 'filter', usage: 'Filter output based on conditions provided' },
    formatFlag(),
    { name: 'last', short: 'n', type: 'int', usage: 'Show n last created containers (includes all states)', default: -1 },
    { name: 'latest', short: 'l', type: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes' },
  ],
  run: runPs,
});

// --- inspect -------------------------------------------------------------------------------

export async function containerInspectRaw(cli: Cli, ref: string, size: boolean): Promise<string> {
  return cli.client.text('GET', containerPath(ref, '/json'), { query: { size: size || undefined }, signal: cli.signal });
}

const inspectCommand: Cmd = {
  use: 'inspect [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  args: { kind: 'min', n: 1 },
  flags: [
    formatFlag('f', INSPECT_FORMAT_HELP),
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes' },
  ],
  run: async ({ ctx, args, flags }) => {
    await runInspect(ctx, args, flags.string('format'), (ref) => containerInspectRaw(ctx, ref, flags.bool('size')));
  },
};

// --- logs ----------------------------------------------------------------------------------

function timestampParam(name: string, value: string): string | undefined {
  if (!value) return undefined;
  try {
    return getTimestamp(value);
  } catch (e) {
    throw new Error(`invalid value for "${name}": ${(e as Error).message}`);
  }
}

async function runLogs({ ctx, args, flags }: Inv): Promise<void> {
  const c = await ctx.client.json<ContainerInspect>('GET', containerPath(args[0]!, '/json'), { signal: ctx.signal });
  const query = {
    details: flags.bool('details') || undefined,
    follow: flags.bool('follow') || undefined,
    since: timestampParam('since', flags.string('since')),
    stderr: true,
    stdout: true,
    tail: flags.string('tail') || undefined,
    timestamps: flags.bool('timestamps') || undefined,
    until: timestampParam('until', flags.string('until')),
  };
  const res = await ctx.client.request('GET', containerPath(c.Id, '/logs'), { query, signal: ctx.signal });
  if (c.Config?.Tty) await pipeline(res.body, ctx.io.stdout, { end: false });
  else await demultiplex(res.body, ctx.io.stdout, ctx.io.stderr);
}

const logsCommand: Cmd = {
  use: 'logs [OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  aliasesText: 'berth container logs, berth logs',
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'details', type: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', type: 'bool', usage: 'Follow log output' },
    { name: 'since', type: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', type: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', type: 'bool', usage: 'Show timestamps' },
    { name: 'until', type: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  run: runLogs,
};

// --- top, diff -----------------------------------------------------------------------------

const topCommand: Cmd = {
  use: 'top CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  aliasesText: 'berth container top, berth top',
  args: { kind: 'min', n: 1 },
  interspersed: false,
  run: async ({ ctx, args }) => {
    const psArgs = args.slice(1);
    const top = await ctx.client.json<ContainerTopResponse>('GET', containerPath(args[0]!, '/top'), {
      query: { ps_args: psArgs.length ? psArgs.join(' ') : undefined }, signal: ctx.signal,
    });
    const lines = [(top?.Titles ?? []).join('\t'), ...(top?.Processes ?? []).map((p) => p.join('\t'))];
    await ctx.out(tabulate(`${lines.join('\n')}\n`, 20, 3));
  },
};

const CHANGE_KINDS = ['C', 'A', 'D'];

const diffCommand: Cmd = {
  use: 'diff CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  aliasesText: 'berth container diff, berth diff',
  args: { kind: 'exact', n: 1 },
  run: async ({ ctx, args }) => {
    if (args[0] === '') throw new Error('Container name cannot be empty');
    const changes = await ctx.client.json<FilesystemChange[] | null>('GET', containerPath(args[0]!, '/changes'), { signal: ctx.signal }) ?? [];
    const rows = changes.map((c) => makeRow('*container.diffContext', { Type: CHANGE_KINDS[c.Kind] ?? '', Path: c.Path }));
    await ctx.out(renderRows('{{.Type}} {{.Path}}', rows, { Type: 'CHANGE TYPE', Path: 'PATH' }));
  },
};

// --- export, commit ------------------------------------------------------------------------

const exportCommand: Cmd = {
  use: 'export [OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  aliasesText: 'berth container export, berth export',
  args: { kind: 'exact', n: 1 },
  flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' }],
  run: async ({ ctx, args, flags }) => {
    await writeTarOutput(ctx, flags.string('output'), 'failed to export container', () =>
      ctx.client.request('GET', containerPath(args[0]!, '/export'), { signal: ctx.signal }));
  },
};

async function runCommit({ ctx, args, flags }: Inv): Promise<void> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (args[1]) {
    const ref = parseNormalizedNamed(args[1]);
    if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
    repo = ref.name;
    tag = ref.tag ?? 'latest';
  }
  const res = await ctx.client.json<{ Id: string }>('POST', '/commit', {
    query: {
      author: flags.string('author') || undefined,
      changes: flags.list('change'),
      comment: flags.string('message') || undefined,
      container: args[0],
      pause: flags.bool('pause') ? undefined : '0',
      repo,
      tag,
    },
    signal: ctx.signal,
  });
  await ctx.out(`${res.Id}\n`);
}

const commitCommand: Cmd = {
  use: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  aliasesText: 'berth container commit, berth commit',
  args: { kind: 'range', min: 1, max: 2 },
  interspersed: false,
  flags: [
    { name: 'author', short: 'a', type: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', type: 'bool', usage: 'Pause container during commit', default: true },
  ],
  run: runCommit,
};

export const infoCommands = { commitCommand, diffCommand, exportCommand, inspectCommand, logsCommand, psCommand, topCommand };

