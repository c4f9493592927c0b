import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../util/index.js';
import { sendError } from './http.js';
import { Router, splitVersion } from './router.js';
import { MAX_API_VERSION } from './version.js';
import { BERTH_VERSION } from '../system/index.js';

/**
 * The Engine API over HTTP: strips and checks the version prefix, routes, and maps errors in
 * one place. Every response carries the headers docker clients read for negotiation.
 */
export function createApiServer(router: Router, logger: Logger): () => Server {
  return () => {
    const server = createServer((req, res) => { void handle(router, logger, req, res); });
    server.keepAliveTimeout = 5_000;
    server.requestTimeout = 0;
    server.headersTimeout = 60_000;
    return server;
  };
}

async function handle
(router: Router, logger: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(6).toString('hex');
  const controller = new AbortController();
  res.on('close', () => { if (!res.writableFinished) controller.abort(); });
  res.setHeader('Api-Version', MAX_API_VERSION);
  res.setHeader('Docker-Experimental', 'false');
  res.setHeader('Ostype', 'linux');
  res.setHeader('Server', `Berth/${BERTH_VERSION} (linux)`);
  try {
    const url = new URL(req.url ?? '/', 'http://berth');
    const { version, path } = splitVersion(url.pathname);
    const { handler, params } = router.match(req.method ?? 'GET', path);
    logger.debug({ component: 'api', requestId, method: req.method, path: url.pathname }, 'request');
    await handler({ req, res, params, query: url.searchParams, version, signal: controller.signal, requestId });
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
