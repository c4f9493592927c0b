/**
 * One HTTP/1.1 exchange over a plain connection (a UNIX socket or TCP) whose answer is read
 * whole: the Engine client's ping and JSON calls. node:http costs the CLI about 5 ms of
 * module loading at each start, more than `berth ps` spends on anything else (ADR 0014), and
 * these exchanges need little of it: a request without a streamed body, `Connection: close`,
 * and an answer framed by Content-Length, chunks or the end of the connection. Streams,
 * uploads, upgrades and TLS stay with node:http.
 */
import { connect, type Socket } from 'node:net';

export type Target = { socketPath: string } | { host: string; port: number };

export interface BufferedResponse {
  status: number;
  /** Names in lower case, as IncomingMessage has them; a repeated header joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** The connection, open and unreferenced, when kept (Connection.keepAlive) for another exchange. */
  socket?: Socket;
}

/** Methods Node's client sends without a body framing header when none is given. */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** The Host header node:http sends for the same target. */
function hostHeader(t: Target): string {
  if ('socketPath' in t) return 'localhost';
  const host = t.host.includes(':') && !t.host.startsWith('[') ? `[${t.host}]` : t.host;
  return t.port === 80 ? host : `${host}:${t.port}`;
}

/**
 * Node's errors for a connection closed before a whole answer: before its head, a failed
 * request (`socket hang up`); after it, a body cut short, which node:http's callers see while
 * reading the body (`aborted`) and the Engine client passes on as it is (`bodyCut`).
 */
function hangUp(parser: ResponseParser): Error {
  if (parser.hasHead()) return Object.assign(new Error('aborted'), { code: 'ECONNRESET', bodyCut: true });
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
}

/** How an exchange uses its connection (docker's client keeps them open between requests too). */
export interface Connection {
  /** Keep the connection open after the answer and hand it back (BufferedResponse.socket). */
  keepAlive?: boolean;
  /**
   * One kept from an earlier exchange. If it fails before any byte of an answer (the daemon
   * closed it meanwhile), a GET or HEAD is sent again on a new one; other methods are not
   * sent on a kept connection.
   */
  socket?: Socket;
}

/**
 * Sends `method path` with `headers` (and `payload`, when given, with its Content-Length) and
 * resolves with the whole answer. Connection errors reject with the socket's error (its
 * `code`: ECONNREFUSED, ENOENT, …), an abort with an AbortError, as node:http does.
 */
export async function exchange(target: Target, method: string, path: string, headers: Record<string, string>, payload?: string, signal?: AbortSignal, conn: Connection = {}): Promise<BufferedResponse> {
  const kept = conn.socket && !conn.socket.destroyed && (method === 'GET' || method === 'HEAD') ? conn.socket : undefined;
  if (conn.socket && conn.socket !== kept) conn.socket.destroy();
  if (kept) {
    try {
      return await attempt(target, method, path, headers, payload, signal, conn.keepAlive === true, kept);
    } catch (e) {
      if (!(e instanceof NoAnswer)) throw e;
    }
  }
  return attempt(target, method, path, headers, payload, signal, conn.keepAlive === true, undefined);
}

/** A kept connection that failed before any byte of an answer: the request goes again. */
class NoAnswer extends Error {}

/** A kept connection between exchanges: unreferenced, and dropped when the daemon closes it. */
function keep(socket: Socket): void {
  socket.unref();
  socket.on('error', dropKept).on('end', dropKept).on('close', dropKept);
}
function dropKept(this: Socket): void {
  this.destroy();
}

function attempt(target: Target, method: string, path: string, headers: Record<string, string>, payload: string | undefined, signal: AbortSignal | undefined, keepAlive: boolean, kept: Socket | undefined): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    let socket: Socket;
    if (kept) {
      socket = kept;
      socket.off('error', dropKept).off('end', dropKept).off('close', dropKept);
      socket.ref();
    } else {
      socket = 'socketPath' in target ? connect(target.socketPath) : connect(target.port, target.host);
    }
    const parser = new ResponseParser(method === 'HEAD');
    let answered = false;
    let done = false;
    const finish = (err: Error | undefined, res?: BufferedResponse): void => {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (res && keepAlive && parser.reusable()) {
        keep(socket);
        res.socket = socket;
      } else {
        socket.destroy();
      }
      if (err) reject(kept && !answered && err.name !== 'AbortError' ? new NoAnswer(err.message) : err);
      else resolve(res!);
    };
    const onAbort = (): void => finish(abortError(signal!));
    const onData = (chunk: Buffer): void => {
      answered = true;
      try {
        const res = parser.push(chunk);
        if (res) finish(undefined, res);
      } catch (e) {
        finish(e as Error);
      }
    };
    const onEnd = (): void => {
      const res = parser.end();
      finish(res ? undefined : hangUp(parser), res);
    };
    const onError = (err: Error): void => finish(err);
    const onClose = (): void => finish(hangUp(parser));
    signal?.addEventListener('abort', onAbort, { once: true });
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader(target)}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    const body = payload === undefined ? undefined : Buffer.from(payload);
    if (body) head += `Content-Length: ${body.length}\r\n`;
    else if (!NO_BODY_METHODS.has(method)) head += 'Content-Length: 0\r\n';
    socket.write(`${head}Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`);
    if (body) socket.write(body);
    socket.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal.reason as unknown });
}

/** Reads one answer as bytes arrive; `push` returns it once it is whole. */
export class ResponseParser {
  private buf: Buffer = Buffer.alloc(0);
  private res: BufferedResponse | undefined;
  /** Bytes of body still expected (Content-Length), or 'chunked', or 'close' (until the end). */
  private framing: number | 'chunked' | 'close' = 'close';
  private readonly parts: Buffer[] = [];

  constructor(private readonly isHead: boolean) {}

  push(chunk: Buffer): BufferedResponse | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.res && !this.readHead()) return undefined;
    return this.readBody();
  }

  /** Whether the connection may carry another request: the answer was framed, all of it read, no `Connection: close`. */
  reusable(): boolean {
    return this.res !== undefined && this.framing !== 'close' && this.buf.length === 0 && !/\bclose\b/i.test(this.res.headers.connection ?? '');
  }

  hasHead(): boolean {
    return this.res !== undefined;
  }

  /** The connection ended: the answer when it is whole (read until the end, or complete). */
  end(): BufferedResponse | undefined {
    if (!this.res || this.framing !== 'close') return undefined;
    return this.complete();
  }

  private readHead(): boolean {
    for (;;) {
      const at = this.buf.indexOf('\r\n\r\n');
      if (at < 0) return false;
      const lines = this.buf.subarray(0, at).toString('latin1').split('\r\n');
      this.buf = this.buf.subarray(at + 4);
      // node:http's (llhttp's) words for an answer that is not HTTP/1.
      if (!lines[0]!.startsWith('HTTP/')) throw Object.assign(new Error('Parse Error: Expected HTTP/, RTSP/ or ICE/'), { code: 'HPE_INVALID_CONSTANT' });
      const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]!);
      if (!m) throw Object.assign(new Error('Parse Error: Invalid status code'), { code: 'HPE_INVALID_STATUS' });
      const status = Number(m[1]);
      if (status >= 100 && status < 200) continue; // 100 Continue and the like: the answer follows.
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : name === 'content-type' || name === 'content-length' ? headers[name]! : `${headers[name]}, ${value}`;
      }
      this.res = { status, headers, body: Buffer.alloc(0) };
      if (this.isHead || status === 204 || status === 304) this.framing = 0;
      else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) this.framing = 'chunked';
      else if (/^\d+$/.test(headers['content-length'] ?? '')) this.framing = Number(headers['content-length']);
      return true;
    }
  }

  private readBody(): BufferedResponse | undefined {
    if (this.framing === 'close') {
      this.parts.push(this.buf);
      this.buf = Buffer.alloc(0);
      return undefined;
    }
    if (typeof this.framing === 'number') {
      if (this.buf.length < this.framing) return undefined;
      this.parts.push(this.buf.subarray(0, this.framing));
      this.buf = this.buf.subarray(this.framing);
      return this.complete();
    }
    for (;;) {
      const eol = this.buf.indexOf('\r\n');
      if (eol < 0) return undefined;
      const size = parseInt(this.buf.subarray(0, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) throw Object.assign(new Error('Parse Error: Invalid character in chunk size'), { code: 'HPE_INVALID_CHUNK_SIZE' });
      if (size === 0) {
        // The last chunk, then optional trailers and an empty line.
        const end = this.buf.indexOf('\r\n\r\n', eol);
        if (end < 0) return undefined;
        this.buf = this.buf.subarray(end + 4);
        return this.complete();
      }
      if (this.buf.length < eol + 2 + size + 2) return undefined;
      this.parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 2 + size + 2);
    }
  }

  private complete(): BufferedResponse {
    this.res!.body = Buffer.concat(this.parts);
    return this.res!;
  }
}
