/**
 * Compose v2's attached output: every line a container writes, prefixed with its name
 * ("web-1  | "), padded to the longest name, coloured per container on a terminal with
 * Compose's rainbow; partial lines are held until their end (or the stream's).
 */
import { Writable } from 'node:stream';
import { demultiplex, type EngineClient } from '../../client/index.js';

const RAINBOW = ['36', '33', '32', '35', '34', '1;36', '1;33', '1;32', '1;35', '1;34'];

export class LogPrinter {
  private next = 0;
  private readonly colours = new Map<string, string>();
  width = 0;

  constructor(private readonly write: (text: string) => Promise<void>, private readonly colour: boolean) {}

  /** Registers a name so the prefix width covers it. */
  add(name: string): void {
    this.width = Math.max(this.width, name.length);
    if (!this.colours.has(name)) this.colours.set(name, RAINBOW[this.next++ % RAINBOW.length]!);
  }

  prefix(name: string): string {
    const text = `${name.padEnd(this.width)}  | `;
    return this.colour ? `\x1b[${this.colours.get(name) ?? '0'}m${text}\x1b[0m` : text;
  }

  /** A sink for one container's output: line-buffered, prefixed. */
  sink(name: string): Writable {
    this.add(name);
    let pending = '';
    const flush = async (all: boolean): Promise<void> => {
      const lines = pending.split('\n');
      pending = all ? '' : lines.pop()!;
      if (all && lines[lines.length - 1] === '') lines.pop();
      if (lines.length === 0) return;
      await this.write(lines.map((l) => `${this.prefix(name)}${l.replace(/\r$/, '')}\n`).join(''));
    };
    return new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        pending += chunk.toString('utf8');
        flush(false).then(() => cb(), cb);
      },
      final: (cb) => {
        flush(true).then(() => cb(), cb);
      },
    });
  }

  /** A line of compose's own, in the container's colour ("web-1 exited with code 0"). */
  async event(name: string, text: string): Promise<void> {
    await this.write(this.colour ? `\x1b[${this.colours.get(name) ?? '0'}m${text}\x1b[0m\n` : `${text}\n`);
  }
}

/**
 * Attaches to a container's stdout and stderr (before it starts, so nothing is lost) and
 * copies them through `sink`; resolves when the container's output ends (it stopped).
 */
export async function attachOutput(client: EngineClient, id: string, tty: boolean, sink: Writable, signal?: AbortSignal): Promise<() => Promise<void>> {
  const conn = await client.upgrade('POST', `/containers/${id}/attach`, { query: { stream: true, stdout: true, stderr: true, logs: false }, signal });
  conn.socket.end();
  const done = (async () => {
    try {
      if (tty || conn.contentType.includes('raw-stream')) {
        for await (const chunk of conn.socket) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
      } else {
        await demultiplex(conn.socket, sink, sink);
      }
    } catch (e) {
      // The connection going away is how a stopped container's output ends.
      if ((e as { code?: string }).code !== 'ECONNRESET') throw e;
    } finally {
      conn.socket.destroy();
      await new Promise<void>((resolve) => sink.end(resolve));
    }
  })();
  return () => done;
}

/** `logs`: one container's log stream (multiplexed unless it has a TTY) through `sink`. */
export async function streamLogs(client: EngineClient, id: string, tty: boolean, sink: Writable, q: { follow: boolean; timestamps: boolean; tail?: string; since?: string; until?: string }, signal?: AbortSignal): Promise<void> {
  const res = await client.request('GET', `/containers/${id}/logs`, {
    query: { stdout: true, stderr: true, follow: q.follow, timestamps: q.timestamps, tail: q.tail ?? 'all', since: q.since, until: q.until }, signal,
  });
  try {
    if (tty) {
      for await (const chunk of res.body) if (!sink.write(chunk)) await new Promise((r) => sink.once('drain', r));
    } else {
      await demultiplex(res.body, sink, sink);
    }
  } finally {
    await new Promise<void>((resolve) => sink.end(resolve));
  }
}
