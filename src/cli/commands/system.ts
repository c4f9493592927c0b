/**
 * The system group: `berth system df|events|info`, and the top-level `version`, `info`
 * and `events` docker keeps. version, info and events live in their own files.
 */
import type { DiskUsage } from '../../client/index.js';
import type { Command } from '../framework/command.js';
import { FormatError, TABLE } from '../format/formatter.js';
import { renderDiskUsage } from '../format/disk-usage.js';
import { ExecError } from '../template/index.js';
import type { Cli } from '../context.js';
import type { Filters } from '../../client/index.js';
import { humanSize } from '../format/units.js';
import { CancelledError, confirm, formatFlag, withConfigPruneFilters } from './common.js';
import { eventsCommand } from './events.js';
import { infoCommand } from './info.js';
import { pruneBuildCache, pruneContainers, pruneImages, pruneNetworks, pruneVolumes, type Pruned } from './prune.js';
import { versionCommand } from './version.js';

const dfCommand: Command<Cli> = {
  use: 'df [OPTIONS]',
  short: 'Show berth disk usage',
  args: { kind: 'none' },
  flags: [
    formatFlag(),
    { name: 'verbose', short: 'v', type: 'bool', usage: 'Show detailed information on space usage' },
  ],
  run: async ({ ctx, flags }) => {
    const du = await ctx.client.json<DiskUsage>('GET', '/system/df', { signal: ctx.signal }) ?? {};
    try {
      await ctx.out(renderDiskUsage(du, flags.string('format') || TABLE, flags.bool('verbose')));
    } catch (e) {
      if (e instanceof ExecError) throw new FormatError(e.message);
      throw e;
    }
  },
};

/** Go's sortorder.NaturalLess: runs of digits compare as numbers, the rest byte-wise. */
function naturalLess(a: string, b: string): number {
  const chunks = (s: string): string[] => s.match(/\d+|\D+/g) ?? [];
  const x = chunks(a);
  const y = chunks(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i]!, y[i]!];
    if (p === q) continue;
    if (/^\d/.test(p) && /^\d/.test(q)) {
      const d = Number(p) - Number(q);
      if (d !== 0) return d;
      return p.length - q.length;
    }
    return p < q ? -1 : 1;
  }
  return x.length - y.length;
}

/** docker's system prune confirmation: what goes, the filters it applies, the question. */
export function systemPruneMessage(opts: { all: boolean; volumes: boolean }, filters: Filters): string {
  const warnings = ['all stopped containers', 'all networks not used by at least one container'];
  if (opts.volumes) warnings.push('all anonymous volumes not used by at least one container');
  warnings.push(opts.all ? 'all images without at least one container associated to them' : 'all dangling images');
  warnings.push(opts.all ? 'all build cache' : 'unused build cache');
  const shown = ['label', 'label!', 'until'].flatMap((name) => filters.get(name).map((v) => `${name}=${v}`)).sort(naturalLess);
  let text = `WARNING! This will remove:\n${warnings.map((w) => `  - ${w}\n`).join('')}`;
  if (shown.length) text += `\n  Items to be pruned will be filtered with:\n${shown.map((f) => `  - ${f}\n`).join('')}`;
  return `${text}\nAre you sure you want to continue?`;
}

/**
 * `system prune`: docker's pruners in their order (containers, networks, volumes with
 * --volumes, images, build cache), each printing what it removed, then the total.
 */
const pruneCommand: Command<Cli> = {
  use: 'prune [OPTIONS]',
  short: 'Remove unused data',
  args: { kind: 'none' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused images not just dangling ones' },
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "label=<key>=<value>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
    { name: 'volumes', type: 'bool', usage: 'Prune anonymous volumes' },
  ],
  run: async ({ ctx, flags }) => {
    const all = flags.bool('all');
    const volumes = flags.bool('volumes');
    const given = flags.filters('filter');
    if (volumes && given.get('until').length > 0) throw new Error('ERROR: The "until" filter is not supported with "--volumes"');
    const filters = withConfigPruneFilters(ctx, given.clone());
    if (!flags.bool('force') && !(await confirm(ctx, systemPruneMessage({ all, volumes }, filters)))) {
      throw new CancelledError('system prune has been cancelled');
    }
    const pruners: Array<() => Promise<Pruned>> = [
      () => pruneContainers(ctx, filters),
      () => pruneNetworks(ctx, filters),
      ...(volumes ? [() => pruneVolumes(ctx, filters)] : []),
      () => pruneImages(ctx, filters, all),
      () => pruneBuildCache(ctx, filters, all),
    ];
    let space = 0;
    for (const prune of pruners) {
      const p = await prune();
      space += p.space;
      if (p.output) await ctx.out(`${p.output}\n`);
    }
    await ctx.out(`Total reclaimed space: ${humanSize(space)}\n`);
  },
};

export const systemGroup: Command<Cli> = {
  use: 'system',
  short: 'Manage berth',
  subcommands: [dfCommand, eventsCommand('events [OPTIONS]'), infoCommand('info [OPTIONS]'), pruneCommand],
};

export const systemShortcuts: Array<Command<Cli>> = [
  versionCommand,
  infoCommand('info [OPTIONS]', 12),
  eventsCommand('events [OPTIONS]'),
];
