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
import { formatFlag } from './common.js';
import { eventsCommand } from './events.js';
import { infoCommand } from './info.js';
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

export const systemGroup: Command<Cli> = {
  use: 'system',
  short: 'Manage berth',
  subcommands: [dfCommand, eventsCommand('events [OPTIONS]'), infoCommand('info [OPTIONS]')],
};

export const systemShortcuts: Array<Command<Cli>> = [
  versionCommand,
  infoCommand('info [OPTIONS]', 12),
  eventsCommand('events [OPTIONS]'),
];
