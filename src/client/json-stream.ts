/**
 * Splits a stream of concatenated JSON values (`/events`, and the JSON-lines progress of
 * load/import/pull) into the raw text of each value, as Go's json.Decoder reads them:
 * values may be separated by newlines or nothing at all, and may arrive split across
 * chunks. The raw text is kept so callers can read exact int64s (an event's timeNano
 * does not fit a JavaScript number).
 */
import type { Readable } from 'node:stream';

export class JsonStreamError extends Error {}

class Splitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;
  private scanned = 0;

  /** Feeds text; returns the values completed by it. */
  push(text: string): string[] {
    this.buf += text;
    const done: string[] = [];
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i]!;
      if (this.start < 0) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
        if (c !== '{' && c !== '[') throw new JsonStreamError(`invalid character '${c}' looking for beginning of value`);
        this.start = i;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        if (--this.depth === 0) {
          done.push(this.buf.slice(this.start, i + 1));
          this.buf = this.buf.slice(i + 1);
          i = -1;
          this.start = -1;
        }
      }
    }
    this.scanned = this.buf.length;
    if (this.start < 0) {
      this.buf = '';
      this.scanned = 0;
    }
    return done;
  }

  finish(): void {
    if (this.start >= 0) throw new JsonStreamError('unexpected EOF');
  }
}

/** Yields the raw text of each JSON value in `stream`, in order. */
export async function* jsonValues(stream: Readable): AsyncGenerator<string> {
  const splitter = new Splitter();
  stream.setEncoding('utf8');
  for await (const chunk of stream) yield* splitter.push(chunk as string);
  splitter.finish();
}

/** Yields each JSON value in `stream`, parsed. */
export async function* jsonObjects<T = Record<string, unknown>>(stream: Readable): AsyncGenerator<{ value: T; raw: string }> {
  for await (const raw of jsonValues(stream)) yield { value: JSON.parse(raw) as T, raw };
}
