import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { TlsOptions } from 'node:tls';
import type { Duplex } from 'node:stream';
import { EngineError } from '../errors/index.js';
import type { Logger } from '../util/index.js';
import { sendError } from './http.js';
import { parseQuery, Router, splitVersion } from './router.js';
import { MAX_API_VERSION } from './version.js';
import { BERTH_VERSION } from '../system/index.js';

/** Hijacked connections (attach, exec) per server: the server no longer owns them, but they hold its close. */
const upgradedSockets = new WeakMap<Server, Set<Duplex>>();

/** Drops every hijacked connection of `server` (at shutdown, after `closeAllConnections`). */
export function destroyUpgraded(server: Server): void {
  for (const s of upgradedSockets.get(server) ?? []) s.destroy();
}

/** A server factory: plain HTTP, or HTTPS when given TLS options (tcp:// and fd:// hosts). */
export type ApiServerFactory = (tls?: TlsOptions) => Server;

/**
 * The Engine API over HTTP: strips and checks the version prefix, routes, and maps errors in
 * one place. Every response carries the headers docker clients read for negotiation. Over TLS
 * the same server answers the same routes, upgrades included: Node's HTTPS server is an HTTP
 * server on TLS sockets, and a hijacked TLS socket is a Duplex like any other.
 */
export function createApiServer(router: Router, logger: Logger): ApiServerFactory {
  return (tls?: TlsOptions) => {
    // Node's request callbacks are synchronous; handle() answers every error itself, so a
    // rejection here is a bug in the error path: log it rather than leave it unhandled.
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
      handle(router, logger, req, res).catch((err: unknown) => logger.error({ component: 'api', method: req.method, url: req.url, err }, 'request handling failed'));
    };
    // allowHalfOpen, as Node's plain HTTP server has it: a docker client half-closes a hijacked
    // attach or exec when its stdin ends (over TLS a close_notify), and the output must still
    // flow back. An HTTPS server would otherwise end the socket on that close_notify.
    // Go's http.DefaultMaxHeaderBytes (1 MB), which dockerd serves with: large X-Registry-Auth
    // and X-Registry-Config headers must pass (Node's default is 16 KB).
    const server: Server = tls ? createTlsServer({ ...tls, allowHalfOpen: true, maxHeaderSize: MAX_HEADER_BYTES }, onRequest) : createServer({ maxHeaderSize: MAX_HEADER_BYTES }, onRequest);
    // A client refused at the handshake (no certificate, another CA, expired) never reaches
    // a route; the refusal is its answer, and a line at debug is ours.
    if (tls) server.on('tlsClientError', (err: Error) => logger.debug({ component: 'api', err: err.message }, 'TLS handshake refused'));
    const upgraded = new Set<Duplex>();
    upgradedSockets.set(server, upgraded);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      handleUpgrade(router, logger, req, socket, head).catch((err: unknown) => {
        logger.error({ component: 'api', method: req.method, url: req.url, err }, 'upgrade handling failed');
        socket.destroy();
      });
    });
    // A client that half-closes after its request (shutdown(SHUT_WR)) still reads the answer,
    // as from Go's server; Node would otherwise abort the request and end the socket. The
    // property is node:http's own (lib/_http_server.js), though its types do not list it.
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket));
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    return server;
  };
}

const MAX_HEADER_BYTES = 1024 * 1024;
/** Connections with a response in progress (a pipelined request may still fail to parse). */
const answering = new WeakSet<Duplex>();

/** How long a refused connection is drained before it is closed (Go's rstAvoidanceDelay). */
const DRAIN_BEFORE_CLOSE_MS = 500;

/**
 * A request Node could not parse. As Go's server does, the answer is written, the write side
 * closed, and what the client is still sending is read and dropped for a moment: closing with
 * unread bytes would reset the connection and the client would never see the answer.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // A reset peer has nobody to read the answer; a response already on its way must not be
  // corrupted by another one in its middle.
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable || answering.has(socket)) { socket.destroy(); return; }
  const [status, text] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const body = `${status} ${text}`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  socket.on('data', () => undefined);
  socket.on('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), DRAIN_BEFORE_CLOSE_MS).unref();
}

async function handle
(router: Router, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(6).toString('hex');
  const controller = new AbortController();
  res.on('close', () => { if (!res.writableFinished) controller.abort(); });
  answering.add(req.socket);
  res.once('close', () => answering.delete(req.socket));
  res.setHeader('Api-Version', MAX_API_VERSION);
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Ostype', 'linux');
  res.setHeader('Server', `Berth/${BERTH_VERSION} (linux)`);
  try {
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version, path } = splitVersion(url.pathname);
    const { handler, params } = router.match(req.method ?? 'GET', path);
    logger.debug({ component: 'api', requestId, method: req.method, path: url.pathname }, 'request');
    await handler({ req, res, params, query: parseQuery(url.search), version, signal: controller.signal, requestId });
  } catch (err) {
    if (controller.signal.aborted) {
      logger.debug({ component: 'api', requestId, err }, 'client went away');
      return;
    }
    sendError(res, err, logger, requestId);
  } finally {
    // A handler that did not read its body must not leave the connection stuck.
    if (!req.complete) req.resume();
  }
}

/**
 * An `Upgrade:` request: the routes that take one own the socket after their 101; any other
 * route, or an error before the 101, gets a plain HTTP answer and the socket is closed.
 */
async function handleUpgrade(router: Router, logger: Logger, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const requestId = randomBytes(6).toString('hex');
  const controller = new AbortController();
  socket.on('close', () => controller.abort());
  socket.on('error', (err) => logger.debug({ component: 'api', requestId, err }, 'upgraded connection error'));
  try {
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version, path } = splitVersion(url.pathname);
    const found = router.matchUpgrade(req.method ?? 'GET', path);
    if (!found) {
      // Routes that do not take an upgrade are answered as plain requests would be.
      const body = JSON.stringify({ message: 'page not found' }) + '\n';
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    logger.debug({ component: 'api', requestId, method: req.method, path: url.pathname }, 'upgrade');
    await found.handler({ req, params: found.params, query: parseQuery(url.search), version, signal: controller.signal, requestId }, socket, head);
  } catch (err) {
    if (controller.signal.aborted) return;
    const status = err instanceof EngineError ? err.status : 500;
    if (status >= 500) logger.error({ component: 'api', requestId, err }, 'upgrade failed');
    const body = JSON.stringify({ message: err instanceof Error ? err.message : String(err) }) + '\n';
    socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 409 ? 'Conflict' : status === 400 ? 'Bad Request' : 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nApi-Version: ${MAX_API_VERSION}\r\nConnection: close\r\n\r\n${body}`);
  }
}
