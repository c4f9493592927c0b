/**
 * docker's jsonmessage.DisplayJSONMessagesStream: prints the JSON-lines progress the
 * daemon streams for load, import (and later pull, push, build). `stream` text is printed
 * as is, `status` with its `id` prefix, progress bars only on a terminal (redrawn in
 * place per id); a message carrying `errorDetail`/`error` ends the display with that
 * error, which the CLI prints and exits 1 for.
 */
import type { Readable } from 'node:stream';
import { jsonObjects, StreamError } from '../../client/index.js';
import { humanSize } from '../format/units.js';
import { rfc3339NanoFixed } from '../format/time.js';
import { formatGoDuration } from '../../util/index.js';

export interface JsonProgress {
  current?: number;
  total?: number;
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

export interface JsonMessage {
  stream?: string;
  status?: string;
  progressDetail?: JsonProgress;
  progress?: string;
  id?: string;
  from?: string;
  time?: number;
  timeNano?: number;
  errorDetail?: { code?: number; message?: string };
  error?: string;
  aux?: unknown;
}

export interface DisplayOptions {
  write: (text: string) => void | Promise<void>;
  isTerminal: boolean;
  /** Terminal width: progress bars show from 110 columns, time left from 50. */
  columns?: number;
  onAux?: (aux: unknown) => void;
}

/** JSONProgress.String(): "[=====>      ] 1.2MB/4.5MB 3s". */
export function progressString(p: JsonProgress, width: number, nowMs = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  const pct = Math.min(Math.trunc(Math.trunc((current / total) * 100) / 2), 50);
  const bar = width > 110 ? `[${'='.repeat(pct)}>${' '.repeat(Math.max(50 - pct, 0))}] ` : '';
  let numbers = '';
  if (!p.hidecounts) {
    if (!p.units) numbers = current > total ? humanSize(current).padStart(8) : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
    else numbers = current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`;
  }
  let left = '';
  if (width > 50 && current > 0 && p.start && p.start > 0 && pct < 50) {
    const perEntry = (nowMs - p.start * 1000) / current;
    left = ` ${formatGoDuration(Math.round(((total - current) * perEntry) / 1000) * 1e9)}`;
  }
  return bar + numbers + left;
}

function messageError(m: JsonMessage): StreamError | undefined {
  if (m.errorDetail) return new StreamError(m.errorDetail.message ?? m.error ?? '', m.errorDetail.code);
  if (m.error) return new StreamError(m.error);
  return undefined;
}

/** JSONMessage.Display for one message; throws its error. */
function displayOne(m: JsonMessage, opts: DisplayOptions, width: number): string {
  const err = messageError(m);
  if (err) throw err;
  let out = '';
  let endl = '';
  if (opts.isTerminal && !m.stream && m.progressDetail) {
    out += '\x1b[2K\r';
    endl = '\r';
  } else if (m.progressDetail && progressString(m.progressDetail, width) !== '') {
    // Progress bars are for terminals; elsewhere docker drops these messages.
    return '';
  }
  if (m.timeNano) out += `${rfc3339NanoFixed(BigInt(m.timeNano))} `;
  else if (m.time) out += `${rfc3339NanoFixed(BigInt(m.time) * 1_000_000_000n)} `;
  if (m.id) out += `${m.id}: `;
  if (m.from) out += `(from ${m.from}) `;
  if (m.progressDetail && opts.isTerminal) out += `${m.status ?? ''} ${progressString(m.progressDetail, width)}${endl}`;
  else if (m.progress) out += `${m.status ?? ''} ${m.progress}${endl}`;
  else if (m.stream) out += `${m.stream}${endl}`;
  else out += `${m.status ?? ''}${endl}\n`;
  return out;
}

/** Prints every message of `body`; rejects with a StreamError for an error message. */
export async function displayJsonMessages(body: Readable, opts: DisplayOptions): Promise<void> {
  const width = opts.columns ?? 200;
  const lines = new Map<string, number>();
  for await (const { value } of jsonObjects<JsonMessage>(body)) {
    if (value.aux !== undefined) {
      opts.onAux?.(value.aux);
      continue;
    }
    let diff = 0;
    let prefix = '';
    if (value.id && (value.progressDetail || value.progress)) {
      let line = lines.get(value.id);
      if (line === undefined) {
        line = lines.size;
        lines.set(value.id, line);
        if (opts.isTerminal) prefix += '\n';
      }
      diff = lines.size - line;
      if (opts.isTerminal && diff > 0) prefix += `\x1b[${diff}A`;
    } else {
      lines.clear();
    }
    let text: string;
    try {
      text = displayOne(value, opts, width);
    } finally {
      if (prefix) await opts.write(prefix);
    }
    if (value.id && opts.isTerminal && diff > 0) text += `\x1b[${diff}B`;
    await opts.write(text);
  }
}
