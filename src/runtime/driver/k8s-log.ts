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
  const m = TIME_RE.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** Parses a physical line (without its '\n'); undefined when it is not in the format. */
export function parseLogLine(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(SPACE);
  if (s1 <= 0) return undefined;
  const s2 = line.indexOf(SPACE, s1 + 1);
  if (s2 < 0 || line.length < s2 + 3 || line[s2 + 2] !== SPACE) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  const tag = line[s2 + 1];
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 0x46 /* F */ && tag !== 0x50 /* P */)) return undefined;
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
