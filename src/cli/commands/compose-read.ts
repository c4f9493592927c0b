/**
 * The `berth compose` subcommands that read: ps (Compose v2's table: NAME IMAGE COMMAND
 * SERVICE CREATED STATUS PORTS, health in STATUS as docker shows it), logs, config, top,
 * images, port, ls, version.
 */
import type { Writable } from 'node:stream';
import type { Command, Invocation } from '../framework/command.js';
import type { Cli } from '../context.js';
import type { ContainerSummary } from '../../client/index.js';
import { COMPOSE_VERSION, ComposeError, LABEL, LogPrinter, nameOf, streamLogs } from '../../compose/project/index.js';
import { renderConfig } from '../../compose/model/index.js';
import { containerRow, displayablePorts } from '../format/container.js';
import { renderRows, TABLE } from '../format/formatter.js';
import { humanSize } from '../format/units.js';
import { engineOf, noColorFlag, noLogPrefixFlag, projectOf } from './compose-context.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const PS_HEADER = { Name: 'NAME', Image: 'IMAGE', Command: 'COMMAND', Service: 'SERVICE', RunningFor: 'CREATED', Status: 'STATUS', Ports: 'PORTS' };
const PS_TABLE = 'table {{.Name}}\t{{.Image}}\t{{.Command}}\t{{.Service}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}';

function psRow(c: ContainerSummary, project: string): Record<string, unknown> {
  const base = containerRow(c, { trunc: true }) as unknown as Record<string, unknown>;
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status ?? '')?.[1]?.replace('health: ', '') ?? '';
  const exit = /^Exited \((\d+)\)/.exec(c.Status ?? '');
  return {
    ...base,
    Name: nameOf(c), Service: c.Labels?.[LABEL.service] ?? '', Project: project, Health: health, ExitCode: exit ? Number(exit[1]) : 0,
    Ports: displayablePorts(c.Ports ?? []),
    Publishers: (c.Ports ?? []).map((p) => ({ URL: p.IP ?? '', TargetPort: p.PrivatePort, PublishedPort: p.PublicPort ?? 0, Protocol: p.Type })),
  };
}

async function runPs(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  for (const n of inv.args) if (!project.services[n] && Object.keys(project.services).length > 0) throw new ComposeError(`no such service: ${n}`);
  let list = await engine.containers(project.name, { all: flags.bool('all'), services: inv.args, oneoff: flags.bool('all') ? undefined : false });
  const statuses = flags.list('status');
  if (statuses.length > 0) list = list.filter((c) => statuses.includes(c.State ?? ''));
  if (flags.bool('services')) {
    const names = [...new Set(list.map((c) => c.Labels?.[LABEL.service] ?? ''))];
    await ctx.out(names.map((n) => `${n}\n`).join(''));
    return;
  }
  if (flags.bool('quiet')) {
    await ctx.out(list.map((c) => `${flags.bool('no-trunc') ? c.Id : c.Id.slice(0, 12)}\n`).join(''));
    return;
  }
  const format = flags.string('format') || 'table';
  const rows = list.map((c) => psRow(c, project.name));
  if (format === 'json') {
    await ctx.out(rows.map((r) => `${JSON.stringify(jsonRow(r))}\n`).join(''));
    return;
  }
  await ctx.out(renderRows(format === TABLE ? PS_TABLE : format, rows, PS_HEADER));
}

/** `ps --format json`: Compose's fields, one object a line. */
function jsonRow(r: Record<string, unknown>): Record<string, unknown> {
  const keys = ['Command', 'CreatedAt', 'ExitCode', 'Health', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Name', 'Names', 'Networks', 'Ports', 'Project', 'Publishers', 'RunningFor', 'Service', 'Size', 'State', 'Status'];
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

async function runLogs(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  const list = await engine.containers(project.name, { all: true, services: inv.args, oneoff: false });
  const colour = !flags.bool('no-color') && ctx.io.stdoutIsTerminal;
  const printer = new LogPrinter((t) => ctx.out(t), colour);
  const names = list.map((c) => {
    const full = nameOf(c);
    return full.startsWith(`${project.name}-`) ? full.slice(project.name.length + 1) : full;
  });
  names.forEach((n) => printer.add(n));
  await Promise.all(list.map(async (c, i) => {
    const info = await engine.inspect<{ Config: { Tty?: boolean } }>(c.Id);
    const sink: Writable = flags.bool('no-log-prefix') ? plainSink(ctx) : printer.sink(names[i]!);
    await streamLogs(ctx.client, c.Id, info.Config.Tty === true, sink, {
      follow: flags.bool('follow'), timestamps: flags.bool('timestamps'), tail: flags.string('tail') || 'all',
      since: flags.string('since') || undefined, until: flags.string('until') || undefined,
    }, ctx.signal);
  }));
}

function plainSink(ctx: Cli): Writable {
  const printer = new LogPrinter((t) => ctx.out(t.replace(/^ {2}\| /gm, '')), false);
  return printer.sink('');
}

async function runConfig(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const project = await projectOf(inv);
  if (flags.bool('services')) return void (await ctx.out(Object.keys(project.services).map((n) => `${n}\n`).join('')));
  if (flags.bool('volumes')) return void (await ctx.out(Object.keys(project.volumes).map((n) => `${n}\n`).join('')));
  if (flags.bool('networks')) return void (await ctx.out(Object.keys(project.networks).map((n) => `${n}\n`).join('')));
  if (flags.bool('profiles')) {
    const profiles = new Set([...Object.values(project.services), ...Object.values(project.disabledServices)].flatMap((s) => s.profiles ?? []));
    return void (await ctx.out([...profiles].sort().map((n) => `${n}\n`).join('')));
  }
  if (flags.bool('images')) return void (await ctx.out(Object.values(project.services).map((s) => `${s.image ?? `${project.name}-${s.name}`}\n`).join('')));
  if (flags.bool('quiet')) return;
  const format = flags.string('format') || 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new ComposeError(`unsupported format "${format}"`);
  const text = renderConfig(project, { format });
  await ctx.out(text.endsWith('\n') ? text : `${text}\n`);
}

async function runTop(inv: Inv): Promise<void> {
  const { ctx } = inv;
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  const list = await engine.containers(project.name, { services: inv.args, oneoff: false });
  let text = '';
  for (const c of list) {
    const top = await ctx.client.json<{ Titles?: string[]; Processes?: string[][] }>('GET', `/containers/${c.Id}/top`, { signal: ctx.signal });
    const rows = [top.Titles ?? [], ...(top.Processes ?? [])];
    const widths = (top.Titles ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
    text += `${nameOf(c)}\n${rows.map((r) => r.map((v, i) => (i < r.length - 1 ? v.padEnd(widths[i]! + 3) : v)).join('')).join('\n')}\n\n`;
  }
  await ctx.out(text);
}

async function runImages(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  const list = await engine.containers(project.name, { all: true, services: inv.args });
  const rows: Array<Record<string, string>> = [];
  for (const c of list) {
    const img = await ctx.client.json<{ Id: string; RepoTags?: string[] | null; Size?: number; Created?: string }>('GET', `/images/${encodeURIComponent(c.ImageID ?? c.Image ?? '')}/json`, { signal: ctx.signal }).catch(() => undefined);
    const tagged = (img?.RepoTags ?? [])[0] ?? c.Image ?? '';
    const colon = tagged.lastIndexOf(':');
    rows.push({
      Container: nameOf(c), Repository: colon > tagged.lastIndexOf('/') ? tagged.slice(0, colon) : tagged,
      Tag: colon > tagged.lastIndexOf('/') ? tagged.slice(colon + 1) : 'latest', ID: (img?.Id ?? '').replace(/^sha256:/, '').slice(0, 12), Size: humanSize(img?.Size ?? 0),
    });
  }
  if (flags.bool('quiet')) return void (await ctx.out([...new Set(rows.map((r) => r.ID))].map((i) => `${i}\n`).join('')));
  if (flags.string('format') === 'json') return void (await ctx.out(`${JSON.stringify(rows)}\n`));
  await ctx.out(renderRows('table {{.Container}}\t{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}', rows, { Container: 'CONTAINER', Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', Size: 'SIZE' }));
}

async function runPort(inv: Inv): Promise<void> {
  const { ctx, flags, args } = inv;
  const project = await projectOf(inv);
  const [service, privatePort] = [args[0]!, args[1]!];
  if (!project.services[service]) throw new ComposeError(`no such service: ${service}`);
  const index = flags.int('index') || 1;
  const list = await engineOf(inv).containers(project.name, { services: [service], oneoff: false });
  const c = list.find((x) => Number(x.Labels?.[LABEL.number]) === index);
  if (!c) throw new ComposeError(`service "${service}" is not running container #${index}`);
  const proto = flags.string('protocol') || 'tcp';
  const p = (c.Ports ?? []).find((x) => x.PrivatePort === Number(privatePort) && x.Type === proto && x.PublicPort);
  if (!p) throw new ComposeError(`no port ${privatePort}/${proto} for container ${nameOf(c)}: []`);
  await ctx.out(`${p.IP ?? ''}:${p.PublicPort}\n`);
}

async function runLs(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const projects = await engineOf(inv).projects(flags.bool('all'));
  const rows = projects.map((p) => {
    const counts = new Map<string, number>();
    for (const s of p.states) counts.set(s, (counts.get(s) ?? 0) + 1);
    const status = [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, n]) => `${s}(${n})`).join(', ');
    return { Name: p.name, Status: status, ConfigFiles: p.configFiles };
  });
  if (flags.bool('quiet')) return void (await ctx.out(rows.map((r) => `${r.Name}\n`).join('')));
  if (flags.string('format') === 'json') return void (await ctx.out(`${JSON.stringify(rows)}\n`));
  await ctx.out(renderRows('table {{.Name}}\t{{.Status}}\t{{.ConfigFiles}}', rows, { Name: 'NAME', Status: 'STATUS', ConfigFiles: 'CONFIG FILES' }));
}

export function readCommands(): Cmd[] {
  return [
    {
      use: 'ps [OPTIONS] [SERVICE...]',
      short: 'List containers',
      flags: [
        { name: 'all', short: 'a', type: 'bool', usage: 'Show all stopped containers (including those created by the run command)' },
        { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' },
        { name: 'services', type: 'bool', usage: 'Display services' },
        { name: 'format', type: 'string', usage: 'Format output using a custom template:\n\'table\':            Print output in table format with column headers (default)\n\'table TEMPLATE\':   Print output in table format using the given Go template\n\'json\':             Print in JSON format', default: 'table' },
        { name: 'status', type: 'list', usage: 'Filter services by status. Values: [paused | restarting | removing | running | dead | created | exited]' },
        { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
        { name: 'orphans', type: 'bool', usage: 'Include orphaned services (not declared by project)', default: true },
        { name: 'filter', type: 'string', usage: 'Filter services by a property (supported filters: status)' },
      ],
      run: runPs,
    },
    {
      use: 'logs [OPTIONS] [SERVICE...]',
      short: 'View output from containers',
      flags: [
        { name: 'follow', short: 'f', type: 'bool', usage: 'Follow log output' },
        { name: 'timestamps', short: 't', type: 'bool', usage: 'Show timestamps' },
        { name: 'tail', short: 'n', type: 'string', usage: 'Number of lines to show from the end of the logs for each container', default: 'all' },
        { name: 'since', type: 'string', usage: 'Show logs since timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
        { name: 'until', type: 'string', usage: 'Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes)' },
        noColorFlag,
        noLogPrefixFlag,
      ],
      run: runLogs,
    },
    {
      use: 'config [OPTIONS] [SERVICE...]',
      short: 'Parse, resolve and render compose file in canonical format',
      flags: [
        { name: 'format', type: 'string', usage: 'Format the output. Values: [yaml | json]', default: 'yaml' },
        { name: 'services', type: 'bool', usage: 'Print the service names, one per line.' },
        { name: 'volumes', type: 'bool', usage: 'Print the volume names, one per line.' },
        { name: 'networks', type: 'bool', usage: 'Print the network names, one per line.' },
        { name: 'profiles', type: 'bool', usage: 'Print the profile names, one per line.' },
        { name: 'images', type: 'bool', usage: 'Print the image names, one per line.' },
        { name: 'quiet', short: 'q', type: 'bool', usage: 'Only validate the configuration, don\'t print anything.' },
      ],
      run: runConfig,
    },
    { use: 'top [SERVICES...]', short: 'Display the running processes', run: runTop },
    {
      use: 'images [OPTIONS] [SERVICE...]',
      short: 'List images used by the created containers',
      flags: [{ name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' }, { name: 'format', type: 'string', usage: 'Format the output. Values: [table | json]', default: 'table' }],
      run: runImages,
    },
    {
      use: 'port [OPTIONS] SERVICE PRIVATE_PORT',
      short: 'Print the public port for a port binding',
      args: { kind: 'exact', n: 2 },
      flags: [{ name: 'index', type: 'int', usage: 'Index of the container if service has multiple replicas' }, { name: 'protocol', type: 'string', usage: 'tcp or udp', default: 'tcp' }],
      run: runPort,
    },
    {
      use: 'ls [OPTIONS]',
      short: 'List running compose projects',
      args: { kind: 'none' },
      flags: [
        { name: 'all', short: 'a', type: 'bool', usage: 'Show all stopped Compose projects' },
        { name: 'quiet', short: 'q', type: 'bool', usage: 'Only display IDs' },
        { name: 'format', type: 'string', usage: 'Format the output. Values: [table | json]', default: 'table' },
      ],
      run: runLs,
    },
    {
      use: 'version [OPTIONS]',
      short: 'Show the Docker Compose version information',
      args: { kind: 'none' },
      flags: [{ name: 'format', short: 'f', type: 'string', usage: 'Format the output. Values: [pretty | json]. (Default: pretty)' }, { name: 'short', type: 'bool', usage: 'Shows only Compose\'s version number' }],
      run: async (inv) => {
        if (inv.flags.bool('short')) return void (await inv.ctx.out(`${COMPOSE_VERSION}\n`));
        if (inv.flags.string('format') === 'json') return void (await inv.ctx.out(`${JSON.stringify({ version: `v${COMPOSE_VERSION}` })}\n`));
        await inv.ctx.out(`Docker Compose version v${COMPOSE_VERSION}\n`);
      },
    },
  ];
}
