/**
 * HTTP for the distribution client: node:http/https with one keep-alive agent per TLS setting,
 * redirects followed for GET and HEAD (credentials are not carried to another host), and
 * deadlines on connecting and on silence, so an unreachable or stalled registry fails in
 * bounded time instead of hanging a pull.
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface TlsSettings {
  /** CA certificates to trust in addition to the system's. */
  ca?: Buffer[];
  cert?: Buffer;
  key?: Buffer;
  /** An insecure registry: TLS without verifying the certificate. */
  skipVerify?: boolean;
}

export interface SendOptions {
  method: string;
  url: URL;
  headers?: OutgoingHttpHeaders;
  body?: Buffer | Readable;
  tls?: TlsSettings;
  signal?: AbortSignal;
  /** Deadline for the connection and the response head. */
  timeoutMs?: number;
  /** Deadline for silence while the body streams. */
  idleTimeoutMs?: number;
  followRedirects?: boolean;
}

export const CONNECT_TIMEOUT_MS = 15_000;
export const IDLE_TIMEOUT_MS = 60_000;
const MAX_REDIRECTS = 10;

const agents = new Map<string, http.Agent>();

function agentFor(url: URL, tls: TlsSettings | undefined): http.Agent {
  const isHttps = url.protocol === 'https:';
  const key = isHttps ? `https|${url.host}|${tls?.skipVerify ? 1 : 0}|${tls?.ca?.length ?? 0}|${tls?.cert ? 1 : 0}` : 'http';
  let agent = agents.get(key);
  if (!agent) {
    agent = isHttps
      ? new https.Agent({
        keepAlive: true,
        maxSockets: 16,
        rejectUnauthorized: !tls?.skipVerify,
        ...(tls?.ca?.length ? { ca: tls.ca } : {}),
        ...(tls?.cert ? { cert: tls.cert } : {}),
        ...(tls?.key ? { key: tls.key } : {}),
      })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(key, agent);
  }
  return agent;
}

/** Drops the agents whose TLS settings came from files that may have changed (tests, reload). */
export function resetAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}

/** A response, with the URL it finally came from (after redirects). */
export interface Response {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
  url: URL;
}

export async function send(opts: SendOptions): Promise<Response> {
  let url = opts.url;
  let headers = { ...opts.headers };
  for (let hop = 0; ; hop++) {
    const res = await sendOnce({ ...opts, url, headers });
    const location = res.headers.location;
    const canFollow = opts.followRedirects !== false && (opts.method === 'GET' || opts.method === 'HEAD');
    if (!canFollow || ![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    res.body.resume();
    if (hop >= MAX_REDIRECTS) throw new Error(`${opts.method} ${opts.url.href}: stopped after ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, url);
    // A redirect to blob storage elsewhere must not receive the registry's credentials.
    if (next.host !== url.host) {
      const { authorization: _a, Authorization: _b, ...rest } = headers as Record<string, unknown>;
      headers = rest as OutgoingHttpHeaders;
    }
    url = next;
  }
}

function sendOnce(opts: SendOptions): Promise<Response> {
  const url = opts.url;
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<Response>((resolve, reject) => {
    if (opts.signal?.aborted) { reject(opts.signal.reason as Error); return; }
    const req = mod.request(url, {
      method: opts.method,
      headers: { 'User-Agent': 'berth', ...opts.headers },
      agent: agentFor(url, opts.tls),
      signal: opts.signal,
      timeout: opts.timeoutMs ?? CONNECT_TIMEOUT_MS,
    });
    let settled = false;
    req.on('timeout', () => {
      req.destroy(Object.assign(new Error(`${opts.method} ${url.href}: timeout awaiting response`), { code: 'ETIMEDOUT' }));
    });
    req.on('error', (err) => { if (!settled) { settled = true; reject(err); } });
    req.on('response', (res) => {
      settled = true;
      req.setTimeout(0);
      // Keep-alive sockets serve many responses: the idle timer and its listener go with this one.
      const idle = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
      const socket = res.socket;
      const onIdle = () => res.destroy(Object.assign(new Error(`${opts.method} ${url.href}: no data for ${idle / 1000}s`), { code: 'ETIMEDOUT' }));
      socket?.setTimeout(idle);
      socket?.on('timeout', onIdle);
      res.once('close', () => { socket?.setTimeout(0); socket?.off('timeout', onIdle); });
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
    });
    const body = opts.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else {
      body.on('error', (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** Reads a whole (small) body; refuses more than `limit` bytes. */
export async function readBody(res: Response, limit = 16 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res.body) {
    size += (c as Buffer).length;
    if (size > limit) { res.body.destroy(); throw new Error(`response from ${res.url.host} is larger than ${limit} bytes`); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
