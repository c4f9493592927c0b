/**
 * `stats` (docker/cli container/stats.go): one stats stream per container feeding the
 * latest entry; every 500 ms the table is redrawn in place (or printed once with
 * --no-stream). Without arguments it follows the running containers (all with -a) through
 * the event stream, adding started ones and dropping dead ones.
 */
import { Filters, jsonObjects, type ContainerStatsResponse, type ContainerSummary, type EventMessage } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { renderRows, TABLE } from '../format/formatter.js';
import { emptyStats, statsEntryOf, statsFormat, statsHeader, statsRow, streamFrame, type StatsEntry } from '../format/stats.js';
import type { Cli } from '../context.js';
import { formatFlag, pathName } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

const FIRST_SAMPLE_TIMEOUT_MS = 2000;
const REDRAW_MS = 500;

/** One container's collector (docker's Stats plus its collect goroutine). */
class Collector {
  entry: StatsEntry;
  error: Error | undefined;
  osType = 'linux';
  readonly first: Promise<void>;
  private resolveFirst!: () => void;
  private readonly controller = new AbortController();

  constructor(readonly container: string) {
    this.entry = emptyStats(container);
    this.first = new Promise((resolve) => {
      this.resolveFirst = resolve;
    });
  }

  start(cli: Cli, stream: boolean): void {
    void this.run(cli, stream);
  }

  stop(): void {
    this.controller.abort();
  }

  private setError(err: Error, reset: boolean): void {
    this.error = err;
    if (reset) this.entry = { ...emptyStats(this.container), name: this.entry.name, id: this.entry.id };
    this.entry.isInvalid = true;
  }

  private async run(cli: Cli, stream: boolean): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.setError(new Error('timeout waiting for stats'), true);
        this.resolveFirst();
        if (stream) arm();
      }, FIRST_SAMPLE_TIMEOUT_MS);
      timer.unref();
    };
    arm();
    try {
      const res = await cli.client.request('GET', `/containers/${pathName(this.container)}/stats`, {
        query: { stream: stream ? '1' : '0' },
        signal: AbortSignal.any([this.controller.signal, cli.signal]),
      });
      const os = res.headers.ostype;
      if (typeof os === 'string' && os) this.osType = os.toLowerCase();
      for await (const { value } of jsonObjects<ContainerStatsResponse>(res.body)) {
        this.entry = statsEntryOf(this.container, value, this.osType);
        this.error = undefined;
        this.resolveFirst();
        if (!stream) break;
        arm();
      }
    } catch (e) {
      if (!this.controller.signal.aborted) this.setError(e as Error, false);
    } finally {
      clearTimeout(timer);
      this.resolveFirst();
    }
  }
}

class StatsSet {
  readonly list: Collector[] = [];

  /** Adds a collector unless one exists for the container; true when added. */
  add(c: Collector): boolean {
    if (this.list.some((x) => x.container === c.container)) return false;
    this.list.push(c);
    return true;
  }

  remove(container: string): void {
    const i = this.list.findIndex((x) => x.container === container);
    if (i >= 0) this.list.splice(i, 1)[0]!.stop();
  }
}

/** Follows container events: start (and create with -a) adds, die removes unless -a. */
async function followEvents(cli: Cli, set: StatsSet, all: boolean, stream: boolean, signal: AbortSignal, started: () => void): Promise<void> {
  const filters = new Filters().add('type', 'container');
  const res = await cli.client.request('GET', '/events', { query: { filters: filters.toQuery() }, signal });
  started();
  for await (const { value: e } of jsonObjects<EventMessage>(res.body)) {
    const id = (e.Actor?.ID ?? e.id ?? '').slice(0, 12);
    if (!id) continue;
    if (e.Action === 'start' || (all && e.Action === 'create')) {
      const c = new Collector(id);
      if (set.add(c)) c.start(cli, stream);
    } else if (e.Action === 'die' && !all) {
      set.remove(id);
    }
  }
}

async function runStats({ ctx, args, flags }: Inv): Promise<void> {
  const all = flags.bool('all');
  const stream = !flags.bool('no-stream');
  const set = new StatsSet();
  const showAll = args.length === 0;
  const events = new AbortController();
  let eventError: Error | undefined;
  const stopAll = (): void => {
    events.abort();
    for (const c of set.list) c.stop();
  };
  try {
    if (showAll) {
      await new Promise<void>((resolve, reject) => {
        followEvents(ctx, set, all, stream, AbortSignal.any([events.signal, ctx.signal]), resolve).catch((e: unknown) => {
          if (events.signal.aborted || ctx.signal.aborted) return;
          // Before the stream is up this fails the command; later, the next redraw does.
          eventError = e as Error;
          reject(e);
        });
      });
      const containers = await ctx.client.json<ContainerSummary[]>('GET', '/containers/json', {
        query: { all: all || undefined }, signal: ctx.signal,
      }) ?? [];
      for (const c of containers) {
        const col = new Collector(c.Id.slice(0, 12));
        if (set.add(col)) col.start(ctx, stream);
      }
      await Promise.all(set.list.map((c) => c.first));
    } else {
      for (const name of args) {
        const col = new Collector(name);
        if (set.add(col)) col.start(ctx, stream);
      }
      await Promise.all(set.list.map((c) => c.first));
      const errors = set.list.map((c) => c.error).filter((e): e is Error => e !== undefined);
      if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
    }
    let format = flags.string('format');
    if (!format) format = typeof ctx.config.file.statsFormat === 'string' && ctx.config.file.statsFormat ? ctx.config.file.statsFormat : TABLE;
    const osType = set.list[0]?.osType ?? 'linux';
    const source = statsFormat(format, osType);
    const trunc = !flags.bool('no-trunc');
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, REDRAW_MS));
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const table = renderRows(source, set.list.map((c) => statsRow(c.entry, osType, trunc)), statsHeader(osType));
      await ctx.out(stream ? streamFrame(table) : table);
      if (set.list.length === 0 && !showAll) break;
      if (!stream) break;
      if (eventError) throw eventError;
    }
  } finally {
    stopAll();
  }
}

const statsCommand: Cmd = {
  use: 'stats [OPTIONS] [CONTAINER...]',
  short: "Display a live stream of container(s) resource usage statistics",
  aliasesText: 'berth container stats, berth stats',
  args: { kind: 'any' },
  flags: [
    { name: 'all', short: 'a', type: 'bool', usage: 'Show all containers (default shows just running)' },
    formatFlag(),
    { name: 'no-stream', type: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', type: 'bool', usage: 'Do not truncate output' },
  ],
  run: runStats,
};

export { statsCommand };
