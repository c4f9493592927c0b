/**
 * `berth events` / `berth system events`: streams GET /events until the daemon ends the
 * stream (--until) or the user interrupts. Each event prints in docker's line format
 * ("2026-11-23T10:00:00.000000000Z image tag sha256:… (name=busybox:latest)") or through
 * --format, where fields have the Go names of docker's events.Message (.Status, .ID,
 * .Actor.Attributes, .TimeNano) and `{{json .}}` prints the API's own keys.
 */
import { jsonValues, type EventMessage } from '../../client/index.js';
import type { Command } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import { rfc3339NanoFixed } from '../format/time.js';
import { getTimestamp } from '../format/timestamp.js';
import { asStruct, compile, ExecError, goJson, type Template } from '../template/index.js';
import type { Cli } from '../context.js';
import { formatFlag, INSPECT_FORMAT_HELP } from './common.js';

/** The exact int64 of a top-level numeric field, which JSON.parse would round. */
function rawInt(raw: string, key: string): bigint | undefined {
  const m = new RegExp(`"${key}"\\s*:\\s*(-?\\d+)`).exec(raw);
  return m ? BigInt(m[1]!) : undefined;
}

/** events.Message as the template sees it: Go field names, JSON in the API's tags. */
export function eventStruct(e: EventMessage, raw: string) {
  const timeNano = rawInt(raw, 'timeNano') ?? BigInt(e.timeNano ?? 0);
  const time = rawInt(raw, 'time') ?? BigInt(e.time ?? 0);
  const actor = asStruct({ ID: e.Actor?.ID ?? '', Attributes: e.Actor?.Attributes ?? null }, 'events.Actor');
  const json = (): string => {
    const parts: string[] = [];
    if (e.status) parts.push(`"status":${goJson(e.status)}`);
    if (e.id) parts.push(`"id":${goJson(e.id)}`);
    if (e.from) parts.push(`"from":${goJson(e.from)}`);
    parts.push(`"Type":${goJson(e.Type ?? '')}`, `"Action":${goJson(e.Action ?? '')}`, `"Actor":${goJson({ ID: actor.ID, Attributes: actor.Attributes })}`);
    if (e.scope) parts.push(`"scope":${goJson(e.scope)}`);
    if (time) parts.push(`"time":${time}`);
    if (timeNano) parts.push(`"timeNano":${timeNano}`);
    return `{${parts.join(',')}}`;
  };
  return asStruct({
    Status: e.status ?? '', ID: e.id ?? '', From: e.from ?? '', Type: e.Type ?? '', Action: e.Action ?? '', Actor: actor,
    Scope: e.scope ?? '', Time: time, TimeNano: timeNano,
  }, '*events.Message', json);
}

/** docker's prettyPrintEvent. */
export function prettyEvent(ev: ReturnType<typeof eventStruct>): string {
  let s = '';
  if (ev.TimeNano !== 0n) s += `${rfc3339NanoFixed(ev.TimeNano)} `;
  else if (ev.Time !== 0n) s += `${rfc3339NanoFixed(ev.Time * 1_000_000_000n)} `;
  s += `${ev.Type} ${ev.Action} ${ev.Actor.ID}`;
  const attrs = ev.Actor.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) s += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return `${s}\n`;
}

function eventsTemplate(format: string): Template | undefined {
  if (format === '') return undefined;
  try {
    const tmpl = compile(format === 'json' ? '{{json .}}' : format);
    tmpl.execute(eventStruct({}, '{}'));
    return tmpl;
  } catch (e) {
    throw new StatusError(64, `Error parsing format: ${(e as Error).message}`);
  }
}

async function runEvents(cli: Cli, opts: { since: string; until: string; filters?: string; format: string }): Promise<void> {
  const tmpl = eventsTemplate(opts.format);
  const now = Date.now();
  const res = await cli.client.request('GET', '/events', {
    query: {
      since: opts.since ? getTimestamp(opts.since, now) : undefined,
      until: opts.until ? getTimestamp(opts.until, now) : undefined,
      filters: opts.filters,
    },
    signal: cli.signal,
  });
  for await (const raw of jsonValues(res.body)) {
    const ev = eventStruct(JSON.parse(raw) as EventMessage, raw);
    if (!tmpl) {
      await cli.out(prettyEvent(ev));
      continue;
    }
    try {
      await cli.out(`${tmpl.execute(ev)}\n`);
    } catch (e) {
      if (!(e instanceof ExecError)) throw e;
      await cli.out(`${e.partial}\n`);
      throw new Error(e.message);
    }
  }
}

export const eventsCommand = (use: string): Command<Cli> => ({
  use,
  short: 'Get real time events from the server',
  aliasesText: 'berth system events, berth events',
  args: { kind: 'none' },
  flags: [
    { name: 'filter', short: 'f', type: 'filter', usage: 'Filter output based on conditions provided' },
    formatFlag(undefined, INSPECT_FORMAT_HELP),
    { name: 'since', type: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', type: 'string', usage: 'Stream events until this timestamp' },
  ],
  run: ({ ctx, flags }) => runEvents(ctx, {
    since: flags.string('since'),
    until: flags.string('until'),
    filters: flags.filters('filter').toQuery(),
    format: flags.string('format'),
  }),
});
