import { checkFilterNames, matchLabels, type Filters } from '../util/index.js';
import type { EventMessage } from './index.js';

const NAMES = ['type', 'event', 'image', 'container', 'label', 'volume', 'network', 'daemon', 'scope', 'plugin', 'node', 'service', 'secret', 'config'];

export function checkEventFilters(filters: Filters): void {
  checkFilterNames(filters, NAMES);
}

/** Docker's events filter: every named filter must match one of its values. */
export function matchEvent(filters: Filters, m: EventMessage): boolean {
  const any = (name: string, pred: (v: string) => boolean): boolean => {
    const vals = filters.get(name);
    return !vals || vals.length === 0 || vals.some(pred);
  };
  const attrs = m.Actor.Attributes;
  const idOrName = (v: string) => m.Actor.ID === v || m.Actor.ID.startsWith(v) || attrs.name === v;
  return any('type', (v) => v === m.Type)
    && any('event', (v) => v === m.Action || m.Action.startsWith(`${v}:`))
    && any('scope', (v) => v === m.scope)
    && any('container', (v) => m.Type === 'container' && idOrName(v))
    && any('image', (v) => (m.Type === 'image' && (idOrName(v) || matchImageName(v, attrs.name))) || (m.Type === 'container' && matchImageName(v, attrs.image)))
    && any('volume', (v) => m.Type === 'volume' && idOrName(v))
    && any('network', (v) => m.Type === 'network' && idOrName(v))
    && any('daemon', (v) => m.Type === 'daemon' && idOrName(v))
    && matchLabels(filters.get('label'), attrs);
}

/** `image=busybox` matches `busybox:latest` as well as `busybox`. */
function matchImageName(filter: string, name: string | undefined): boolean {
  if (!name) return false;
  if (name === filter) return true;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') && name.slice(0, colon) === filter;
}

/**
 * Docker's `since`/`until` values: Unix seconds with optional fraction ("1700000000.5"), an
 * RFC 3339 time, or a Go duration counted back from now ("10m"). Returns nanoseconds.
 */
export function parseEventTime(v: string, nowMs = Date.now()): number | undefined {
  if (/^\d+(\.\d{1,9})?$/.test(v)) {
    const [s, frac = ''] = v.split('.');
    return Number(s) * 1e9 + Number(frac.padEnd(9, '0'));
  }
  const dur = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v);
  if (dur) {
    const ms: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return (nowMs - Number(dur[1]) * ms[dur[2]!]!) * 1e6;
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t * 1e6;
}
