/**
 * Go's time formats that docker prints: Time.String() ("2024-05-01 10:00:00 +0000 UTC"),
 * RFC 3339 (history's CREATED AT), the fixed-width nanosecond form of `events`
 * ("2026-11-23T10:00:00.000000000Z") and ANSIC (version's Built). time.Unix values are in
 * the local zone, as Go's are; times parsed from the API keep the offset they were written with.
 */

/** A zone: minutes east of UTC and the name Go prints ("UTC", "CET", "+03"). */
export interface Zone { offsetMin: number; name: string }

export const UTC: Zone = { offsetMin: 0, name: 'UTC' };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The local zone at an instant (TZ environment, as Go's time.Local reads it). */
export function localZone(epochMs: number): Zone {
  const offsetMin = -new Date(epochMs).getTimezoneOffset();
  const tz = process.env.TZ;
  if (offsetMin === 0 && (!tz || /^:?(Etc\/)?UTC0?$/.test(tz))) return UTC;
  // ICU knows each zone's abbreviation only in the locales that use it (CEST in en-GB, IST in en-IN).
  for (const locale of ['en-US', 'en-GB', 'en-IN', 'en-AU']) {
    const abbr = new Intl.DateTimeFormat(locale, { timeZoneName: 'short' }).formatToParts(new Date(epochMs))
      .find((p) => p.type === 'timeZoneName')?.value;
    if (abbr && !/^GMT[+-]/.test(abbr)) return { offsetMin, name: abbr };
  }
  // Zones without an abbreviation print as Go's zoneinfo names them: "+03", "+0530".
  const a = Math.abs(offsetMin);
  return { offsetMin, name: `${offsetMin < 0 ? '-' : '+'}${pad(Math.trunc(a / 60))}${a % 60 ? pad(a % 60) : ''}` };
}

function offsetText(offsetMin: number, colon: boolean): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return `${sign}${pad(Math.trunc(a / 60))}${colon ? ':' : ''}${pad(a % 60)}`;
}

/** Calendar fields of an instant as seen in `zone`. */
function fields(epochMs: number, zone: Zone): Date {
  return new Date(epochMs + zone.offsetMin * 60_000);
}

function dateTime(epochMs: number, zone: Zone, sep: string): string {
  const d = fields(epochMs, zone);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${sep}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Go's Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
export function goTimeString(epochMs: number, nanos = 0, zone: Zone = localZone(epochMs)): string {
  const frac = nanos ? `.${pad(nanos, 9).replace(/0+$/, '')}` : '';
  return `${dateTime(epochMs, zone, ' ')}${frac} ${offsetText(zone.offsetMin, false)} ${zone.name}`;
}

/** RFC 3339 in the local zone ("2024-05-01T10:00:00Z" in UTC). */
export function rfc3339(epochMs: number, zone: Zone = localZone(epochMs)): string {
  return `${dateTime(epochMs, zone, 'T')}${zone.offsetMin === 0 ? 'Z' : offsetText(zone.offsetMin, true)}`;
}

/** "2006-01-02T15:04:05.000000000Z07:00" for a time in nanoseconds since the epoch. */
export function rfc3339NanoFixed(unixNanos: bigint): string {
  const ms = Number(unixNanos / 1_000_000n);
  const nanos = Number(((unixNanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const zone = localZone(ms);
  const secMs = Math.floor(ms / 1000) * 1000;
  return `${dateTime(secMs, zone, 'T')}.${pad(nanos, 9)}${zone.offsetMin === 0 ? 'Z' : offsetText(zone.offsetMin, true)}`;
}

/** A parsed RFC 3339 time: the instant, its nanoseconds and the zone it was written in. */
export interface ParsedTime { epochMs: number; nanos: number; zone: Zone }

export function parseRfc3339(s: string): ParsedTime | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac = '', z] = m;
  const offsetMin = z === 'Z' || z === 'z' ? 0 : (z!.startsWith('-') ? -1 : 1) * (Number(z!.slice(1, 3)) * 60 + Number(z!.slice(4, 6)));
  const epochMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)) - offsetMin * 60_000;
  const zone = offsetMin === 0 ? UTC : { offsetMin, name: '' };
  return { epochMs, nanos: Number(frac.padEnd(9, '0') || '0'), zone };
}

/** Go's Time.String() of an API timestamp, in the zone it was written with. */
export function goTimeStringOf(rfc: string): string {
  const t = parseRfc3339(rfc);
  if (!t) return rfc;
  return goTimeString(t.epochMs, t.nanos, t.zone);
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** docker version's reformatDate: RFC 3339 → ANSIC ("Mon Jan  2 15:04:05 2006"); other text unchanged. */
export function reformatDate(buildTime: string): string {
  const t = parseRfc3339(buildTime);
  if (!t) return buildTime;
  const d = fields(t.epochMs, t.zone);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}
