/**
 * `berth ps` / `berth container ls` (docker/cli container/list.go): docker's table and
 * templates over GET /containers/json. A module of its own, so that `berth ps` loads it
 * without the rest of the container commands (commands/index.ts, ADR 0014).
 */
import type { ContainerSummary } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { CONTAINER_HEADER, containerRow } from '../format/container.js';
import { renderRows, TABLE } from '../format/formatter.js';
import { compile, ExecError } from '../template/index.js';
import type { Cli } from '../context.js';
import { formatFlag } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

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

/** `container ls` (aliases ps, list) and the top-level `ps`. */
export const psCommand = (use: string, aliases?: string[]): Cmd => ({
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

/** The top-level `berth ps`, as the root lists it (third in docker's common commands). */
export const psShortcut: Cmd = { ...psCommand('ps [OPTIONS]'), categoryTop: 3 };
