/**
 * `berth builder`: docker's group for the legacy builder (docker/cli cli/command/builder):
 * `build` (the same command as `berth build`) and `prune`, which empties berthd's step cache
 * through `POST /build/prune`.
 */
import type { Cli } from '../context.js';
import type { Command, Invocation } from '../framework/command.js';
import { bytesFlag } from '../opts/flag-values.js';
import { CancelledError, confirm } from './common.js';
import { pruneBuildCache, prunedText } from './prune.js';
import { buildCommand } from './image-build.js';

type Cmd = Command<Cli>;

const DANGLING_WARNING = 'WARNING! This will remove all dangling build cache. Are you sure you want to continue?';
const ALL_WARNING = 'WARNING! This will remove all build cache. Are you sure you want to continue?';

async function runPrune({ ctx, flags }: Invocation<Cli>): Promise<void> {
  const all = flags.bool('all');
  if (!flags.bool('force') && !(await confirm(ctx, all ? ALL_WARNING : DANGLING_WARNING))) {
    throw new CancelledError('builder prune has been cancelled');
  }
  await ctx.out(prunedText(await pruneBuildCache(ctx, flags.filters('filter'), all, flags.value<number>('keep-storage'))));
}

const pruneCommand: Cmd = {
  use: 'prune',
  short: 'Remove build cache',
  args: { kind: 'none' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused build cache, not just dangling ones' },
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "until=24h")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
    bytesFlag({ name: 'keep-storage', usage: 'Amount of disk space to keep for cache' }),
  ],
  run: runPrune,
};

export const builderGroup: Cmd = {
  use: 'builder',
  short: 'Manage builds',
  subcommands: [{ ...buildCommand, categoryTop: undefined }, pruneCommand],
};
