import { InvalidArgumentError } from '../../errors/index.js';
import { checkEventFilters, matchEvent, parseEventTime, type EventBus, type EventMessage } from '../../events/index.js';
import type { SystemService } from '../../system/index.js';
import { parseFilters } from '../../util/index.js';
import { sendJson } from '../http.js';
import type { Router } from '../router.js';
import { versionAtLeast } from '../version.js';

export interface SystemBackend {
  system: Pick<SystemService, 'info' | 'version'>;
  events: Pick<EventBus, 'since' | 'subscribe'>;
  df: (opts: { types: string[]; version: string }) => Promise<Record<string, unknown>>;
}

export function systemRoutes(r: Router, b: SystemBackend): void {
  const ping = (ctx: { req: { method?: string }; res: import('node:http').ServerResponse }) => {
    ctx.res.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Builder-Version': '1',
      Swarm: 'inactive',
      'Content-Length': ctx.req.method === 'HEAD' ? 0 : 2,
    });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  r.add('GET', '/_ping', ping);
  r.add('HEAD', '/_ping', ping);
  r.add('GET', '/version', (ctx) => sendJson(ctx.res, 200, b.system.version()));
  r.add('GET', '/info', (ctx) => sendJson(ctx.res, 200, b.system.info()));
  r.add('GET', '/system/df', async (ctx) => {
    const types = ctx.query.getAll('type');
    for (const t of types) if (!['container', 'image', 'volume', 'build-cache'].includes(t)) throw new InvalidArgumentError(`unknown object type: ${t}`);
    sendJson(ctx.res, 200, await b.df({ types, version: ctx.version }));
  });
  r.add('GET', '/events', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    checkEventFilters(filters);
    const now = Date.now();
    const since = timeParam(ctx.query.get('since'), 'since', now);
    const until = timeParam(ctx.query.get('until'), 'until', now);
    if (since !== undefined && until !== undefined && until < since) throw new InvalidArgumentError('`since` time must be before `until` time');
    const shape = (m: EventMessage) => shapeEvent(m, ctx.version);
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    const send = (m: EventMessage) => { if (matchEvent(filters, m)) ctx.res.write(JSON.stringify(shape(m)) + '\n'); };
    if (since !== undefined) for (const m of b.events.since(since)) if (until === undefined || m.timeNano <= until) send(m);
    const nowNs = Date.now() * 1e6;
    if (until !== undefined && until <= nowNs) { ctx.res.end(); return; }
    await new Promise<void>((resolve) => {
      const unsubscribe = b.events.subscribe((m) => {
        if (until !== undefined && m.timeNano > until) return;
        send(m);
      });
      const done = () => { unsubscribe(); clearTimeout(timer); ctx.signal.removeEventListener('abort', done); resolve(); };
      const timer = until !== undefined ? setTimeout(done, Math.max(0, (until - nowNs) / 1e6)) : undefined;
      ctx.signal.addEventListener('abort', done, { once: true });
    });
    if (!ctx.res.writableEnded) ctx.res.end();
  });
}

function timeParam(v: string | null, name: string, nowMs: number): number | undefined {
  if (v === null || v === '') return undefined;
  const t = parseEventTime(v, nowMs);
  if (t === undefined) throw new InvalidArgumentError(`invalid value for ${name}: ${JSON.stringify(v)}`);
  return t;
}

/** API < 1.52 still carries the deprecated status/id/from fields; newer ones drop them. */
function shapeEvent(m: EventMessage, version: string): EventMessage {
  if (!versionAtLeast(version, '1.52')) return m;
  const { status: _s, id: _i, from: _f, ...rest } = m;
  return rest;
}
