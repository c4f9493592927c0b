/**
 * conmon's k8s-file log format: one physical line per write,
 * `<RFC3339Nano with offset> <stdout|stderr> <F|P> <bytes>\n`, where P marks a piece of a
 * longer line (conmon reads 8 KiB at a time, or the process wrote no newline yet) and F the
 * piece that ends it. The time is local with an offset (`2024-01-01T10:00:00.123456789+00:00`).
 */
export type LogStream = 'stdout' | 'stderr';

/** One physical line. */
export interface LogRecord {
  time: string;
  timeNs: bigint;
  stream: LogStream;
  isPartial: boolean;
  content: Buffer;
}

/** One logical line, its pieces joined: what `docker logs` shows as one message. */
export interface LogEntry {
  stream: LogStream;
  /** The first piece's time, as conmon wrote it. */
  time: string;
  /** The same, in nanoseconds since the epoch. */
  timeNs: bigint;
  /** The bytes, ending in '\n' when the line was complete (as json-file's `log` field). */
  line: Buffer;
}

const SPACE = 0x20;
const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch of an RFC 3339 time with up to 9 fraction digits. */
export function parseTimeNs(text: string): bigint | undefined {
  // conmon writes the same second and offset on thousands of lines in a row: the part before
  // the fraction and the offset after it are checked and converted once, then reused while
  // they repeat (`docker logs` of 50 MB parses half a million times).
  const len = text.length;
  let end = 19;
  if (len > 20 && text.charCodeAt(19) === 0x2e /* . */) {
    end = 20;
    while (end < len && end < 29 && isDigit(text.charCodeAt(end))) end++;
  }
  const zone = text.slice(end);
  const prefix = text.slice(0, 19);
  if (prefix !== lastPrefix || zone !== lastZone) {
    const m = TIME_RE.exec(text);
    if (!m) return undefined;
    const ms = Date.parse(`${m[1]}${m[3]}`);
    if (Number.isNaN(ms)) return undefined;
    lastPrefix = prefix;
    lastZone = zone;
    lastSecondNs = BigInt(ms) * 1_000_000n;
  } else if (end === 20) {
    return undefined; // a '.' with no digits
  }
  if (end <= 20) return lastSecondNs;
  let frac = 0;
  for (let i = 20; i < 29; i++) frac = frac * 10 + (i < end ? text.charCodeAt(i) - 0x30 : 0);
  return lastSecondNs + BigInt(frac);
}

let lastPrefix = '';
let lastZone = '';
let lastSecondNs = 0n;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** 'stdout' or 'stderr' spelled at `at`, read byte by byte (Buffer.compare is a call into C++). */
function streamAt(line: Buffer, at: number): LogStream | undefined {
  if (line[at] !== 0x73 /* s */ || line[at + 1] !== 0x74 /* t */ || line[at + 2] !== 0x64 /* d */) return undefined;
  const a = line[at + 3];
  const b = line[at + 4];
  const c = line[at + 5];
  if (a === 0x6f /* o */ && b === 0x75 /* u */ && c === 0x74 /* t */) return 'stdout';
  if (a === 0x65 /* e */ && b === 0x72 /* r */ && c === 0x72 /* r */) return 'stderr';
  return undefined;
}

/** Parses a physical line (without its '\n'); undefined when it is not in the format. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return undefined;
  // The stream name is six bytes, then the tag and a space: compared in place.
  const s2 = s1 + 7;
  if (line.length < s2 + 3 || line[s2] !== SPACE || line[s2 + 2] !== SPACE) return undefined;
  const stream = streamAt(line, s1 + 1);
  const tag = line[s2 + 1];
  if (stream === undefined || (tag !== 0x46 /* F */ && tag !== 0x50 /* P */)) return undefined;
  const time = line.toString('latin1', 0, s1);
  const timeNs = parseTimeNs(time);
  if (timeNs === undefined) return undefined;
  return { time, timeNs, stream, isPartial: tag === 0x50, content: line.subarray(s2 + 3) };
}

/** Whether a physical line is an F (line-ending) record, without parsing all of it. */
export function isFullLine(line: Buffer): boolean {
  const record = parseLogLine(line);
  return record !== undefined && !record.isPartial;
}

/** A line longer than this is handed out in parts, as Docker splits messages over 16 KiB. */
const MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = Buffer.from('\n');

/** Joins P pieces to their F, per stream (stdout's pieces may interleave with stderr's lines). */
export class LineJoiner {
  private readonly pending = new Map<LogStream, { first: LogRecord; parts: Buffer[]; bytes: number }>();

  /** Adds a record; returns the entry it completes, if any. */
  add(record: LogRecord): LogEntry | undefined {
    let p = this.pending.get(record.stream);
    if (!p) {
      if (!record.isPartial) return entry(record, [record.content, NEWLINE]);
      p = { first: record, parts: [], bytes: 0 };
      this.pending.set(record.stream, p);
    }
    p.parts.push(record.content);
    p.bytes += record.content.length;
    if (!record.isPartial) {
      this.pending.delete(record.stream);
      return entry(p.first, [...p.parts, NEWLINE]);
    }
    if (p.bytes >= MAX_LINE_BYTES) {
      this.pending.delete(record.stream);
      return entry(p.first, p.parts);
    }
    return undefined;
  }

  /** Lines still without their end, in time order (at the end of a read that does not follow). */
  flush(): LogEntry[] {
    const out = [...this.pending.values()].map((p) => entry(p.first, p.parts));
    this.pending.clear();
    return out.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }
}

function entry(first: LogRecord, parts: Buffer[]): LogEntry {
  return { stream: first.stream, time: first.time, timeNs: first.timeNs, line: Buffer.concat(parts) };
}
