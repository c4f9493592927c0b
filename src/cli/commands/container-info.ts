/**
 * Reading containers (docker/cli container/inspect.go, logs.go, top.go, diff.go, export.go,
 * commit.go): inspect, logs (demultiplexed unless the container has a TTY), top, diff, export
 * and commit; `ps` is in container-ps.ts, which `berth ps` loads alone (ADR 0014).
 */
import { pipeline } from 'node:stream/promises';
import { demultiplex, type ContainerInspect, type ContainerTopResponse, type FilesystemChange } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { makeRow, renderRows } from '../format/formatter.js';
import { tabulate } from '../format/tabwriter.js';
import { getTimestamp } from '../format/timestamp.js';
import { runInspect } from '../inspect.js';
import { parseNormalizedNamed } from '../reference.js';
import type { Cli } from '../context.js';
import { formatFlag, INSPECT_FORMAT_HELP, pathName } from './common.js';
import { psCommand } from './container-ps.js';
import { writeTarOutput } from './image-archive.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const containerPath = (name: string, rest = ''): string => `/containers/${pathName(name)}${rest}`;

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

