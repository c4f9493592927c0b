import { InvalidArgumentError } from '../errors/index.js';
import { checkFilterNames, matchLabels, type Filters } from '../util/index.js';
import type { ContainerRecord } from './record.js';

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions {
  all?: boolean;
  limit?: number;
  filters: Filters;
}

export interface ListContext {
  /** Finds a container by id, name or prefix (for before/since); throws NotFound. */
  resolve(idOrName: string): ContainerRecord;
  /** True when the container's image is `ancestor` or descends from it. */
  hasAncestor(rec: ContainerRecord, ancestor: string): boolean;
}

/** `GET /containers/json` selection: Docker's filters, `all`, `limit`, newest first. */
export function selectContainers(all: ContainerRecord[], opts: ListOptions, ctx: ListContext): ContainerRecord[] {
  const f = opts.filters;
  checkFilterNames(f, ['status', 'name', 'id', 'label', 'label!', 'ancestor', 'exited', 'before', 'since', 'volume', 'network', 'health', 'is-task', 'publish', 'expose']);
  for (const s of f.get('status') ?? []) {
    if (!STATUSES.includes(s)) throw new InvalidArgumentError(`invalid filter 'status=${s}'`);
  }
  const exited = (f.get('exited') ?? []).map((v) => {
    if (!/^-?\d+$/.test(v)) throw new InvalidArgumentError(`invalid filter 'exited=${v}'`);
    return Number(v);
  });
  const before = f.get('before')?.map((v) => ctx.resolve(v).created);
  const since = f.get('since')?.map((v) => ctx.resolve(v).created);
  const nameRes = (f.get('name') ?? []).map((n) => {
    try { return new RegExp(n); } catch { throw new InvalidArgumentError(`invalid filter 'name=${n}'`); }
  });
  const sorted = [...all].sort((a, b) => b.created.localeCompare(a.created));
  const showAll = opts.all || (opts.limit ?? 0) > 0 || f.has('status') || f.has('exited') || before !== undefined || since !== undefined;
  const out: ContainerRecord[] = [];
  for (const rec of sorted) {
    const status = rec.state.status;
    const isRunning = status === 'running' || status === 'paused' || status === 'restarting';
    if (!showAll && !isRunning) continue;
    if (f.has('status') && !f.get('status')!.includes(status)) continue;
    if (exited.length && (status !== 'exited' || !exited.includes(rec.state.exitCode))) continue;
    if (f.has('id') && !f.get('id')!.some((v) => rec.id.startsWith(v))) continue;
    if (nameRes.length && !nameRes.some((re) => re.test(rec.name.slice(1)) || re.test(rec.name))) continue;
    if (!matchLabels(f.get('label'), rec.config.Labels)) continue;
    if (f.has('label!') && f.get('label!')!.some((l) => matchLabels([l], rec.config.Labels))) continue;
    if (f.has('ancestor') && !f.get('ancestor')!.some((a) => ctx.hasAncestor(rec, a))) continue;
    if (before && !before.every((t) => rec.created < t)) continue;
    if (since && !since.every((t) => rec.created > t)) continue;
    if (f.has('is-task') && f.get('is-task')!.includes('true')) continue;
    if (f.has('health') && !f.get('health')!.includes(rec.state.health?.Status ?? 'none')) continue;
    if (f.has('volume') && !f.get('volume')!.some((v) => (rec.mountPoints ?? []).some((m) => m.Name === v || m.Destination === v || m.Source === v))) continue;
    out.push(rec);
    if (opts.limit && opts.limit > 0 && out.length >= opts.limit) break;
  }
  return out;
}
