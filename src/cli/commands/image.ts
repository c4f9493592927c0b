/**
 * The image group: `berth image ls|inspect|history|tag|rm|prune|load|save|import` and the
 * top-level shortcuts docker keeps for them (images, history, tag, rmi, load, save,
 * import). Behaviour follows docker/cli cli/command/image/*.go; load, save and import
 * live in image-archive.ts.
 */
import { ApiError, type ImageDeleteItem, type ImageHistoryItem, type ImageSummary } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import type { FlagSpec } from '../framework/flags.js';
import { renderRows, TABLE } from '../format/formatter.js';
import { HISTORY_HEADER, historyFormat, historyRow } from '../format/history.js';
import { IMAGE_HEADER, imageFormat, imageRows } from '../format/image.js';
import { runInspect } from '../inspect.js';
import { parseAnyReference, parseNormalizedNamed, ReferenceError } from '../reference.js';
import type { Cli } from '../context.js';
import { CancelledError, confirm, formatFlag, INSPECT_FORMAT_HELP, pathName, platformParam, withConfigPruneFilters } from './common.js';
import { pruneImages, prunedText } from './prune.js';
import { importCommand, loadCommand, saveCommand } from './image-archive.js';
import { buildCommand } from './image-build.js';
import { registryImageSubcommands } from './registry.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const LIST_FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', usage: 'Show all images (default hides intermediate images)' },
  { name: 'digests', type: 'bool', usage: 'Show digests' },
  { name: 'filter', short: 'f', type: 'filter', usage: 'Filter output based on conditions provided' },
  formatFlag(),
  { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
  { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
];

/** `docker images ls` lists images named "ls": docker hints at what was meant. */
const IMAGE_SUBCOMMANDS = new Set(['build', 'history', 'import', 'inspect', 'list', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);

async function runList({ ctx, args, flags, calledAs }: Inv): Promise<void> {
  const filters = flags.filters('filter').clone();
  const matchName = args[0];
  if (matchName) filters.add('reference', matchName);
  const quiet = flags.bool('quiet');
  const showDigests = flags.bool('digests');
  const images = await ctx.client.json<ImageSummary[]>('GET', '/images/json', {
    query: { all: flags.bool('all') || undefined, filters: filters.toQuery(), digests: showDigests || undefined },
    signal: ctx.signal,
  }) ?? [];
  let format = flags.string('format');
  if (!format) format = ctx.config.file.imagesFormat && !quiet ? ctx.config.file.imagesFormat : TABLE;
  const source = imageFormat(format, quiet, showDigests);
  const needDigest = showDigests || source.includes('{{.Digest}}');
  const rows = images.flatMap((img) => imageRows(img, { trunc: !flags.bool('no-trunc'), showDigests, needDigest }));
  await ctx.out(renderRows(source, rows, IMAGE_HEADER));
  if (matchName && images.length === 0 && calledAs === 'images' && IMAGE_SUBCOMMANDS.has(matchName)) {
    ctx.err(`\nNo images found matching "${matchName}": did you mean "berth image ${matchName}"?\n`);
  }
}

const listCommand = (use: string, aliases?: string[]): Cmd => ({
  use,
  short: 'List images',
  aliases,
  aliasesText: 'berth image ls, berth image list, berth images',
  args: { kind: 'max', n: 1 },
  flags: LIST_FLAGS,
  run: runList,
});

/** GET /images/{name}/json, raw, for inspect. */
export async function imageInspectRaw(cli: Cli, ref: string, platform?: string): Promise<string> {
  const res = await cli.client.request('GET', `/images/${pathName(ref)}/json`, {
    query: { platform: platform ? platformParam(platform) : undefined },
    signal: cli.signal,
  });
  const chunks: Buffer[] = [];
  for await (const c of res.body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const inspectCommand: Cmd = {
  use: 'inspect [OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  args: { kind: 'min', n: 1 },
  flags: [
    formatFlag('f', INSPECT_FORMAT_HELP),
    {
      name: 'platform', type: 'string',
      usage: "Inspect a specific platform of the multi-platform image.\nIf the image or the server is not multi-platform capable, the command will error out if the platform does not match.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)",
    },
  ],
  run: async ({ ctx, args, flags }) => {
    const platform = flags.string('platform') || undefined;
    await runInspect(ctx, args, flags.string('format'), (ref) => imageInspectRaw(ctx, ref, platform));
  },
};

async function runHistory({ ctx, args, flags }: Inv): Promise<void> {
  const platform = flags.string('platform');
  let platformQuery: string | undefined;
  if (platform) {
    try {
      platformQuery = platformParam(platform);
    } catch (e) {
      throw new Error(`invalid platform: ${(e as Error).message}`);
    }
  }
  const history = await ctx.client.json<ImageHistoryItem[]>('GET', `/images/${pathName(args[0]!)}/history`, {
    query: { platform: platformQuery },
    signal: ctx.signal,
  }) ?? [];
  const human = flags.bool('human');
  const format = historyFormat(flags.string('format') || TABLE, flags.bool('quiet'), human);
  const rows = history.map((h) => historyRow(h, { trunc: !flags.bool('no-trunc'), human }));
  await ctx.out(renderRows(format, rows, HISTORY_HEADER));
}

const historyCommand: Cmd = {
  use: 'history [OPTIONS] IMAGE',
  short: 'Show the history of an image',
  aliasesText: 'berth image history, berth history',
  args: { kind: 'exact', n: 1 },
  flags: [
    formatFlag(),
    { name: 'human', short: 'H', type: 'bool', default: true, usage: 'Print sizes and dates in human readable format' },
    { name: 'no-trunc', type: 'bool', usage: "Don't truncate output" },
    { name: 'platform', type: 'string', usage: 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Only show image IDs' },
  ],
  run: runHistory,
};

/** The client-side checks of docker's ImageTag, then POST /images/{source}/tag. */
async function runTag({ ctx, args }: Inv): Promise<void> {
  const [source, target] = args as [string, string];
  const invalid = (ref: string, e: unknown): Error => {
    if (!(e instanceof ReferenceError)) return e as Error;
    return new Error(`Error parsing reference: ${JSON.stringify(ref)} is not a valid repository/tag: ${e.message}`);
  };
  try {
    parseAnyReference(source);
  } catch (e) {
    throw invalid(source, e);
  }
  let ref;
  try {
    ref = parseNormalizedNamed(target);
  } catch (e) {
    throw invalid(target, e);
  }
  if (ref.digest) throw new Error('refusing to create a tag with a digest reference');
  await ctx.client.call('POST', `/images/${pathName(source)}/tag`, { query: { repo: ref.name, tag: ref.tag ?? 'latest' }, signal: ctx.signal });
}

const tagCommand: Cmd = {
  use: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  aliasesText: 'berth image tag, berth tag',
  args: { kind: 'exact', n: 2 },
  run: runTag,
};

/**
 * Removes each image in turn. A missing image with --force is only reported on stderr
 * (exit 0), as docker does; any other failure makes the command fail (exit 1).
 */
async function runRemove({ ctx, args, flags }: Inv): Promise<void> {
  const force = flags.bool('force');
  const platforms = flags.list('platform').map(platformParam);
  const errors: string[] = [];
  let fatal = false;
  for (const img of args) {
    try {
      const items = await ctx.client.json<ImageDeleteItem[]>('DELETE', `/images/${pathName(img)}`, {
        query: { force: force || undefined, noprune: flags.bool('no-prune') || undefined, platforms: platforms.length ? platforms : undefined },
        signal: ctx.signal,
      }) ?? [];
      await ctx.out(items.map((d) => (d.Deleted ? `Deleted: ${d.Deleted}\n` : `Untagged: ${d.Untagged ?? ''}\n`)).join(''));
    } catch (e) {
      if (!(e instanceof ApiError && e.isNotFound)) fatal = true;
      errors.push((e as Error).message);
    }
  }
  if (errors.length === 0) return;
  if (!force || fatal) throw new Error(errors.join('\n'));
  ctx.err(`${errors.join('\n')}\n`);
}

const removeCommand = (use: string, aliases?: string[]): Cmd => ({
  use,
  short: 'Remove one or more images',
  aliases,
  aliasesText: 'berth image rm, berth image remove, berth rmi',
  args: { kind: 'min', n: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', type: 'bool', usage: 'Do not delete untagged parents' },
    { name: 'platform', type: 'strings', usage: 'Remove only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
  ],
  run: runRemove,
});

const ALL_IMAGES_WARNING = 'WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?';
const DANGLING_WARNING = 'WARNING! This will remove all dangling images.\nAre you sure you want to continue?';


async function runPrune({ ctx, flags }: Inv): Promise<void> {
  const all = flags.bool('all');
  const filters = withConfigPruneFilters(ctx, flags.filters('filter').clone());
  if (!flags.bool('force') && !(await confirm(ctx, all ? ALL_IMAGES_WARNING : DANGLING_WARNING))) {
    throw new CancelledError('image prune has been cancelled');
  }
  await ctx.out(prunedText(await pruneImages(ctx, filters, all)));
}

const pruneCommand: Cmd = {
  use: 'prune [OPTIONS]',
  short: 'Remove unused images',
  args: { kind: 'none' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: runPrune,
};

export const imageGroup: Cmd = {
  use: 'image',
  short: 'Manage images',
  subcommands: [
    { ...buildCommand, categoryTop: undefined },
    historyCommand,
    importCommand,
    inspectCommand,
    loadCommand,
    listCommand('ls [OPTIONS] [REPOSITORY[:TAG]]', ['list']),
    pruneCommand,
    ...registryImageSubcommands,
    removeCommand('rm [OPTIONS] IMAGE [IMAGE...]', ['rmi', 'remove']),
    saveCommand,
    tagCommand,
  ],
};

/** docker's top-level shortcuts for image commands. */
export const imageShortcuts: Cmd[] = [
  { ...listCommand('images [OPTIONS] [REPOSITORY[:TAG]]'), categoryTop: 7 },
  buildCommand,
  historyCommand,
  importCommand,
  loadCommand,
  removeCommand('rmi [OPTIONS] IMAGE [IMAGE...]'),
  saveCommand,
  tagCommand,
];
