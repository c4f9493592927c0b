/**
 * docker's timetypes.GetTimestamp for `events --since/--until` (and later `logs`): a Go
 * duration ("10m", "1h30m") counts back from now; RFC 3339 dates and times, with or
 * without a zone (none means the local zone), become "seconds.nanoseconds"; a Unix
 * timestamp passes through unchanged.
 */
import { parseGoDuration } from '../../util/index.js';

/** time.ParseDuration, in nanoseconds; undefined when `s` is not a duration. */
function durationNs(s: string): number | undefined {
  try {
    return parseGoDuration(s);
  } catch {
    return undefined;
  }
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

export function getTimestamp(value: string, nowMs = Date.now()): string {
  const d = durationNs(value);
  if (value !== '0' && d !== undefined) return String(Math.floor((nowMs - d / 1e6) / 1000));
  const m = DATE_TIME.exec(value);
  if (!m) {
    if (value.includes('-')) throw new Error(`parsing time "${value}": cannot parse as RFC 3339`);
    if (!/^\d+(\.\d+)?$/.test(value)) throw new Error(`failed to parse value as time or duration: "${value}"`);
    return value;
  }
  const [, y, mo, da, h = '0', mi = '0', se = '0', frac = '', zone] = m;
  const localOffsetMin = -new Date(nowMs).getTimezoneOffset();
  const offsetMin = zone === undefined ? localOffsetMin
    : zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(se)) - offsetMin * 60_000;
  return `${Math.floor(ms / 1000)}.${frac.padEnd(9, '0')}`;
}
