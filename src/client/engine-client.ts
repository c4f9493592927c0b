/**
 * A small Engine API client over HTTP on a UNIX socket (or plain TCP), as docker's Go
 * client behaves: the API version is negotiated once with /_ping (min of ours and the
 * daemon's API-Version header, 1.24 when it sends none) and prefixes every path as
 * /v1.xx; non-2xx answers become ApiError with the daemon's `message`; a daemon that
 * cannot be reached is a ConnectionError with docker's sentence. Responses are returned
 * unread so callers can stream them (tar archives, JSON-lines progress, events).
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError, cannotConnect, ConnectionError } from './errors.js';
import { parseHost, type DaemonAddress } from './host.js';
import { exchange, type Target } from './http1.js';

/** The newest API version berth's client speaks. */
export const CLIENT_API_VERSION = '1.50';
/** What docker assumes of a daemon whose /_ping has no API-Version header. */
export const FALLBACK_API_VERSION = '1.24';
const MAX_ERROR_BODY = 1024 * 1024;

export type QueryValue = string | number | boolean | undefined | string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  /** A value sent as a JSON body. */
  json?: unknown;
  /** A body streamed as is (tar archives for load and import). */
  body?: Readable;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface EngineResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/**
 * A hijacked connection (attach): after the daemon's 101, raw bytes both ways. The caller
 * owns the socket: it half-closes it (`end()`) when its input is done and destroys it when
 * it stops reading.
 */
export interface UpgradedConnection {
  socket: Socket;
  headers: IncomingHttpHeaders;
  /** application/vnd.docker.raw-stream or …multiplexed-stream (API ≥ 1.42); docker's CLI decides by the container's Tty. */
  contentType: string;
}

export interface Ping {
  apiVersion: string;
  osType: string;
  experimental: boolean;
  builderVersion: string;
}

/**
 * TLS to a tcp:// daemon, as docker's client builds it (go-connections tlsconfig.Client):
 * `ca` replaces the system roots when given; `cert` and `key` are the client's certificate,
 * sent when the daemon asks (--tlsverify daemons refuse the handshake without one);
 * `verifyServer` false is docker's --tls without --tlsverify.
 */
export interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verifyServer: boolean;
}

export interface ClientOptions {
  host: string;
  /** TLS for a tcp:// host; without it tcp:// is plain HTTP. */
  tls?: ClientTls;
  /** A fixed API version (DOCKER_API_VERSION): no negotiation. */
  apiVersion?: string;
  userAgent?: string;
  /** Receives one line per request when the CLI runs with --debug. */
  debug?: (line: string) => void;
}

/** Compares dotted API versions numerically ("1.9" < "1.24"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) params.append(k, item);
    else params.append(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/**
 * No TLS server name for plain requests: Node's agent would otherwise work one out through
 * net.isIP, whose first call compiles a large regular expression (ADR 0014: CLI start-up).
 * @types/node does not list the option for http.
 */
const NO_SERVERNAME = { servername: '' } as unknown as http.RequestOptions;

export class EngineClient {
  readonly host: string;
  private readonly address: DaemonAddress;
  private negotiated: Promise<string> | undefined;
  /** The ping's connection, kept for the request that follows it (http1.ts; docker's client keeps them too). */
  private kept: Socket | undefined;

  constructor(private readonly opts: ClientOptions) {
    this.address = parseHost(opts.host, opts.tls !== undefined);
    this.host = opts.host;
    if (opts.apiVersion) this.negotiated = Promise.resolve(opts.apiVersion.replace(/^v/, ''));
  }

  /** The API version in use, negotiating it on first use. */
  apiVersion(signal?: AbortSignal): Promise<string> {
    this.negotiated ??= this.ping(signal).then((p) => {
      const daemon = p.apiVersion || FALLBACK_API_VERSION;
      return compareVersions(daemon, CLIENT_API_VERSION) < 0 ? daemon : CLIENT_API_VERSION;
    });
    return this.negotiated;
  }

  /** HEAD /_ping, then GET when HEAD is refused, as docker's client does. */
  async ping(signal?: AbortSignal): Promise<Ping> {
    let res: WholeResponse;
    try {
      res = await this.whole('HEAD', '/_ping', { signal }, true);
      if (res.status !== 200 && res.status !== 500) res = await this.whole('GET', '/_ping', { signal }, true);
    } catch (e) {
      if (e instanceof ConnectionError) throw e;
      res = await this.whole('GET', '/_ping', { signal }, true);
    }
    const h = res.headers;
    const ping: Ping = {
      apiVersion: header(h, 'api-version'),
      osType: header(h, 'ostype'),
      experimental: header(h, 'docker-experimental') === 'true',
      builderVersion: header(h, 'builder-version'),
    };
    this.checkWhole(res, '/_ping');
    return ping;
  }

  /** A versioned request; resolves with the unread response of a 2xx, else throws ApiError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<EngineResponse> {
    const full = await this.versioned(path, opts);
    const res = await this.raw(method, full, opts);
    await this.checkStatus(res, full);
    return res;
  }

  private async versioned(path: string, opts: RequestOptions): Promise<string> {
    const version = await this.apiVersion(opts.signal);
    return `/v${version}${path}${encodeQuery(opts.query)}`;
  }

  /**
   * A versioned request upgraded to a raw connection (`Connection: Upgrade`, `Upgrade: tcp`),
   * as docker's client hijacks attach. A non-101 answer is checked like any other.
   */
  async upgrade(method: string, path: string, opts: Omit<RequestOptions, 'body'> = {}): Promise<UpgradedConnection> {
    const version = await this.apiVersion(opts.signal);
    const full = `/v${version}${path}${encodeQuery(opts.query)}`;
    const headers: Record<string, string> = {
      'User-Agent': this.opts.userAgent ?? 'berth-cli', 'Content-Type': opts.json !== undefined ? 'application/json' : 'text/plain', Connection: 'Upgrade', Upgrade: 'tcp', ...opts.headers,
    };
    // exec start sends its options as a JSON body before the connection turns raw.
    const payload = opts.json !== undefined ? JSON.stringify(opts.json) : undefined;
    if (payload !== undefined) headers['Content-Length'] = String(Buffer.byteLength(payload));
    this.opts.debug?.(`${method} ${full}`);
    return new Promise((resolve, reject) => {
      const req = this.send({ method, path: full, headers, signal: opts.signal });
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length > 0) socket.unshift(head);
        resolve({ socket, headers: res.headers, contentType: String(res.headers['content-type'] ?? '') });
      });
      req.on('response', (res) => {
        this.checkStatus({ status: res.statusCode ?? 0, headers: res.headers, body: res }, full)
          .then(() => reject(new ApiError(res.statusCode ?? 0, '', `unexpected response to an attach upgrade: ${res.statusCode ?? 0}`)), reject);
      });
      req.on('error', (err) => reject(this.transportError(err, method, full)));
      req.end(payload);
    });
  }

  /** A versioned request whose JSON answer is parsed (undefined for an empty body). */
  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const text = await this.text(method, path, opts);
    return (text.trim() === '' ? undefined : JSON.parse(text)) as T;
  }

  /** A versioned request whose answer is read whole, as text (inspect prints it as sent). */
  async text(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
    const full = await this.versioned(path, opts);
    const res = await this.whole(method, full, opts);
    this.checkWhole(res, full);
    return res.text;
  }

  /** A versioned request whose answer is read and dropped (tag, for example). */
  async call(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const full = await this.versioned(path, opts);
    this.checkWhole(await this.whole(method, full, opts), full);
  }

  private requestHeaders(opts: RequestOptions): { headers: Record<string, string>; payload: string | undefined } {
    const headers: Record<string, string> = { 'User-Agent': this.opts.userAgent ?? 'berth-cli', ...opts.headers };
    let payload: string | undefined;
    if (opts.json !== undefined) {
      payload = JSON.stringify(opts.json);
      headers['Content-Type'] = 'application/json';
    } else if (opts.body && !headers['Content-Type']) {
      headers['Content-Type'] = 'text/plain';
    }
    return { headers, payload };
  }

  /**
   * A request whose answer is read whole. On a plain transport without a streamed body it is
   * one exchange of http1.ts, so that the CLI's common commands never load node:http (ADR
   * 0014), on the connection the ping kept if there is one (`keep`: keep this one); otherwise
   * a node:http request read to its end (an error's text up to 1 MB).
   */
  private async whole(method: string, path: string, opts: RequestOptions, keep = false): Promise<WholeResponse> {
    const a = this.address;
    if (this.opts.tls || opts.body) {
      const res = await this.raw(method, path, opts);
      const ok = res.status >= 200 && res.status < 400;
      return { status: res.status, headers: res.headers, text: await readAll(res.body, ok ? Infinity : MAX_ERROR_BODY) };
    }
    const { headers, payload } = this.requestHeaders(opts);
    this.opts.debug?.(`${method} ${path}`);
    const target: Target = a.proto === 'unix' ? { socketPath: a.socketPath } : { host: a.hostname, port: a.port };
    const socket = this.kept;
    this.kept = undefined;
    try {
      const res = await exchange(target, method, path, headers, payload, opts.signal, { keepAlive: keep, socket });
      this.kept = res.socket;
      return { status: res.status, headers: res.headers, text: res.body.toString('utf8') };
    } catch (err) {
      // A body cut short is not a connection error: node:http's callers meet it reading the body.
      if ((err as { bodyCut?: boolean }).bodyCut) throw err;
      throw this.transportError(err as Error & { code?: string }, method, path);
    }
  }

  private raw(method: string, path: string, opts: RequestOptions): Promise<EngineResponse> {
    const { headers, payload } = this.requestHeaders(opts);
    this.opts.debug?.(`${method} ${path}`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (!settled) {
          settled = true;
          fn();
        }
      };
      const req = this.send({ method, path, headers, signal: opts.signal });
      req.on('response', (res) => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res })));
      req.on('error', (err) => settle(() => reject(this.transportError(err, method, path))));
      if (opts.body) {
        // The daemon may answer (an error, say) before it has read the whole body; the
        // upload failing after that is expected and the answer is what matters.
        pipeline(opts.body, req).catch((err: unknown) => settle(() => reject(err)));
      } else {
        req.end(payload);
      }
    });
  }

  /** Starts a request to the daemon: over its UNIX socket, plain TCP, or TLS. */
  private send(o: { method: string; path: string; headers: Record<string, string>; signal?: AbortSignal }): http.ClientRequest {
    const a = this.address;
    if (a.proto === 'unix') return http.request({ socketPath: a.socketPath, ...NO_SERVERNAME, ...o });
    const tls = this.opts.tls;
    if (!tls) return http.request({ host: a.hostname, port: a.port, ...NO_SERVERNAME, ...o });
    // A fresh connection per request, as for the other transports: no pooled TLS sessions
    // to outlive the command.
    return https.request({
      host: a.hostname, port: a.port, ...o, agent: false,
      ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verifyServer, minVersion: 'TLSv1.2',
    });
  }

  /** The request URL as Go's client prints it in errors: a socket path is the URL's host. */
  private url(path: string): string {
    const a = this.address;
    return a.proto === 'unix' ? `http://${encodeURIComponent(a.socketPath)}${path}` : `${this.opts.tls ? 'https' : 'http'}://${a.hostname}:${a.port}${path}`;
  }

  private transportError(err: Error & { code?: string }, method: string, path: string): Error {
    if (err.name === 'AbortError') return err;
    const where = this.address.proto === 'unix' ? `dial unix ${this.address.socketPath}` : `dial tcp ${this.address.hostname}:${this.address.port}`;
    switch (err.code) {
      case 'ECONNREFUSED': case 'ENOENT': case 'ETIMEDOUT': case 'ENOTDIR': case 'EHOSTUNREACH':
        return cannotConnect(this.host);
      case 'ENOTFOUND': case 'EAI_AGAIN':
        return new ConnectionError(`error during connect: ${method} "${this.url(path)}": ${where}: lookup ${(err as { hostname?: string }).hostname ?? ''}: no such host`, { cause: err });
      case 'EACCES':
        return new ConnectionError(`permission denied while trying to connect to the berth daemon socket at ${this.host}: ${method} "${path}": ${where}: connect: permission denied`, { cause: err });
      default: {
        // A TLS daemon that refuses our certificate after the handshake closes the connection:
        // Go's client reports the read as EOF.
        const tlsText = err.code === 'ECONNRESET' && this.opts.tls ? 'EOF' : (err.code ? TLS_ERRORS[err.code] : undefined);
        if (tlsText) return new ConnectionError(`error during connect: ${goMethod(method)} "${this.url(path)}": ${tlsText}`, { cause: err });
        return new ConnectionError(`error during connect: ${method} "${path}": ${err.message}`, { cause: err });
      }
    }
  }

  /** docker's checkResponseErr: the daemon's message for ≥ 400, trimmed. */
  private async checkStatus(res: EngineResponse, path: string): Promise<void> {
    if (res.status >= 200 && res.status < 400) return;
    this.checkWhole({ status: res.status, headers: res.headers, text: await readAll(res.body, MAX_ERROR_BODY) }, path);
  }

  private checkWhole(res: WholeResponse, path: string): void {
    if (res.status >= 200 && res.status < 400) return;
    // Node's table of reasons is read only here: it loads node:http.
    const statusText = (): string => `${res.status} ${http.STATUS_CODES[res.status] ?? ''}`.trim();
    const body = res.text;
    if (body.length >= MAX_ERROR_BODY) {
      throw new ApiError(res.status, '', `request returned ${statusText()} with a message (> ${MAX_ERROR_BODY} bytes) for API route and version ${this.url(path)}, check if the server supports the requested API version`);
    }
    if (body.trim() === '') {
      throw new ApiError(res.status, '', `request returned ${statusText()} for API route and version ${this.url(path)}, check if the server supports the requested API version`);
    }
    let message = body.trim();
    if (header(res.headers, 'content-type').startsWith('application/json')) {
      let parsed: { message?: unknown };
      try {
        parsed = JSON.parse(body) as { message?: unknown };
      } catch (e) {
        throw new ApiError(res.status, '', `Error reading JSON: ${(e as Error).message}`);
      }
      if (typeof parsed?.message !== 'string' || parsed.message === '') {
        throw new ApiError(res.status, '', `API returned a ${res.status} (${http.STATUS_CODES[res.status] ?? ''}) but provided no error-message`);
      }
      message = parsed.message.trim();
    }
    throw new ApiError(res.status, message);
  }
}

/** Go's words for the TLS failures a docker client reports (crypto/tls, crypto/x509). */
const TLS_ERRORS: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls: failed to verify certificate: x509: certificate signed by unknown authority',
  CERT_HAS_EXPIRED: 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
  CERT_NOT_YET_VALID: 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls: failed to verify certificate: x509: certificate is not valid for this host',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'remote error: tls: certificate required',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'remote error: tls: bad certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'remote error: tls: expired certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'remote error: tls: unknown certificate authority',
  ERR_SSL_WRONG_VERSION_NUMBER: 'http: server gave HTTP response to HTTPS client',
};

/** Go's http.Client names the method in title case in its errors (`Get "https://…"`). */
function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

/** An answer read whole: the ping, JSON calls, and an error's text. */
interface WholeResponse {
  status: number;
  headers: IncomingHttpHeaders | Record<string, string>;
  text: string;
}

function header(h: IncomingHttpHeaders | Record<string, string>, name: string): string {
  const v = h[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** Reads a stream to text, stopping after `limit` bytes. */
export async function readAll(stream: Readable, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(b);
    size += b.length;
    if (size >= limit) {
      stream.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
