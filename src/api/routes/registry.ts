/**
 * Registry routes: POST /images/create?fromImage= (pull), POST /images/{name}/push,
 * POST /auth (docker login's check), GET /images/search and GET /distribution/{name}/json. Progress streams as Docker's
 * JSON messages; the response head waits for the first message, so an error found before
 * any progress (unknown manifest, bad credentials) keeps its own status.
 */
import type { ServerResponse } from 'node:http';
import { InvalidArgumentError } from '../../errors/index.js';
import { decodeAuthHeader, type AuthConfig, type RegistryService } from '../../registry/index.js';
import { parseFilters } from '../../util/index.js';
import { intParam, readJsonBody, sendJson } from '../http.js';
import type { Ctx, Router } from '../router.js';

export interface RegistryBackend {
  registry: Pick<RegistryService, 'pull' | 'push' | 'login' | 'search' | 'inspectDistribution'>;
}

/** How long a progress stream may stay silent before its last message is sent again. */
const PROGRESS_REPEAT_MS = 1000;

/**
 * Runs a pull or push whose progress streams to the response (the head goes with the first
 * message), then ends the response, with a bare 200 head if nothing was streamed.
 *
 * While nothing moves (a stalled download), the last message is sent again each second. A
 * client that went away is then noticed by the failed write, and the pull is cancelled with
 * its request: its closing alone looks like a half-close (the client's end of the request),
 * after which a client may still read the answer, so it cannot cancel anything by itself.
 * The repeat changes nothing for a reader: the same progress line again.
 */
async function streamProgress(ctx: Ctx, run: (emit: (msg: unknown) => void) => Promise<void>): Promise<void> {
  const res: ServerResponse = ctx.res;
  let last: string | undefined;
  let lastWriteMs = 0;
  const write = (line: string): void => {
    if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write(line);
    lastWriteMs = Date.now();
  };
  const repeat = setInterval(() => {
    if (last !== undefined && !res.destroyed && Date.now() - lastWriteMs >= PROGRESS_REPEAT_MS) write(last);
  }, PROGRESS_REPEAT_MS);
  repeat.unref();
  try {
    await run((msg) => {
      last = JSON.stringify(msg) + '\n';
      write(last);
    });
  } finally {
    clearInterval(repeat);
  }
  if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end();
}

function authOf(ctx: Ctx): AuthConfig {
  const h = ctx.req.headers['x-registry-auth'];
  return decodeAuthHeader(Array.isArray(h) ? h[0] : h);
}

/** The fromImage half of POST /images/create; images.ts hands it over. */
export function pullRoute(b: RegistryBackend): (ctx: Ctx) => Promise<void> {
  return async (ctx) => {
    const fromImage = ctx.query.get('fromImage') ?? '';
    if (!fromImage.trim()) throw new InvalidArgumentError('fromImage or fromSrc is required');
    await streamProgress(ctx, (emit) => b.registry.pull({
      fromImage,
      tag: ctx.query.get('tag') ?? undefined,
      platform: ctx.query.get('platform') || undefined,
      auth: authOf(ctx),
      emit,
      signal: ctx.signal,
    }));
  };
}

export function registryRoutes(r: Router, b: RegistryBackend): void {
  r.add('POST', '/images/{name:.*}/push', async (ctx) => {
    await streamProgress(ctx, (emit) => b.registry.push({
      name: ctx.params.name!,
      tag: ctx.query.get('tag') || undefined,
      platform: ctx.query.get('platform') || undefined,
      auth: authOf(ctx),
      emit,
      signal: ctx.signal,
    }));
  });
  r.add('POST', '/auth', async (ctx) => {
    const body = await readJsonBody(ctx.req, 'SystemAuth');
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new InvalidArgumentError('invalid JSON in request body: expected an object');
    const json = (body ?? {}) as Record<string, unknown>;
    const auth = decodeAuthHeader(Buffer.from(JSON.stringify(json)).toString('base64'));
    sendJson(ctx.res, 200, await b.registry.login(auth, ctx.signal));
  });
  r.add('GET', '/distribution/{name:.*}/json', async (ctx) => {
    sendJson(ctx.res, 200, await b.registry.inspectDistribution(ctx.params.name!, authOf(ctx), ctx.signal));
  });
  r.add('GET', '/images/search', async (ctx) => {
    const term = ctx.query.get('term') ?? '';
    const limit = intParam(ctx.query, 'limit');
    const results = await b.registry.search(term, { limit: limit === 0 ? undefined : limit, filters: parseFilters(ctx.query.get('filters')), auth: authOf(ctx), signal: ctx.signal });
    sendJson(ctx.res, 200, results);
  });
}
