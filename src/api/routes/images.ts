import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotImplementedError } from '../../errors/index.js';
import { openImportUrl, type ImageArchive, type ImageService } from '../../image/index.js';
import type { RegistryService } from '../../registry/index.js';
import { parseFilters } from '../../util/index.js';
import { boolParam, sendJson, startJsonStream } from '../http.js';
import type { Ctx, Router } from '../router.js';
import { versionAtLeast } from '../version.js';

export interface ImagesBackend {
  images: Pick<ImageService, 'list' | 'inspect' | 'history' | 'tag' | 'remove' | 'prune'>;
  archive: Pick<ImageArchive, 'load' | 'save' | 'import'>;
  /** Kept bytes of interrupted pulls go with an image prune once a day old. */
  registry: Pick<RegistryService, 'prunePartials'>;
}

/**
 * A JSON-lines response whose head is written with the first message, so that an error
 * before any progress still gets its proper status (400, 404) instead of a 200 stream.
 */
function lazyJsonStream(res: ServerResponse): (msg: unknown) => void {
  return (msg) => {
    if (!res.headersSent) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
    }
    res.write(JSON.stringify(msg) + '\n');
  };
}

/** `pull` serves POST /images/create?fromImage= (registry.ts); fromSrc imports stay here. */
export function imageRoutes(r: Router, b: ImagesBackend, pull?: (ctx: Ctx) => Promise<void>): void {
  r.add('GET', '/images/json', async (ctx) => {
    const list = await b.images.list({ all: boolParam(ctx.query, 'all'), filters: parseFilters(ctx.query.get('filters') ?? ctx.query.get('filter')), digests: boolParam(ctx.query, 'digests') });
    const legacy = !versionAtLeast(ctx.version, '1.44');
    sendJson(ctx.res, 200, list.map((s) => (legacy ? { ...s, VirtualSize: s.Size } : s)));
  });
  r.add('POST', '/images/load', async (ctx) => {
    // As dockerd: the 200 goes out first, so any error (a body that is no archive included)
    // reaches the client in the JSON stream, where it raises its load error from.
    const emit = startJsonStream(ctx.res);
    await b.archive.load(ctx.req, (m) => emit(m), ctx.signal);
    ctx.res.end();
  });
  r.add('GET', '/images/get', async (ctx) => {
    const names = ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean);
    await sendTar(ctx.res, b.archive.save(names, ctx.signal));
  });
  r.add('POST', '/images/create', async (ctx) => {
    const fromSrc = ctx.query.get('fromSrc');
    const fromImage = ctx.query.get('fromImage');
    if (fromSrc === null && fromImage === null) throw new InvalidArgumentError('fromImage or fromSrc is required');
    if (fromImage !== null) {
      if (!pull) throw new NotImplementedError('pulling images from a registry is not implemented in berth yet');
      return pull(ctx);
    }
    const emit = lazyJsonStream(ctx.res);
    const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim());
    const platform = ctx.query.get('platform');
    if (platform && !/^linux(\/amd64)?$/.test(platform)) throw new InvalidArgumentError(`image with platform ${platform} is not supported on this host (linux/amd64)`);
    let source: Readable = ctx.req;
    if (fromSrc !== '-') {
      // dockerd fetches the URL itself; an error before the download keeps its status.
      const fetched = await openImportUrl(fromSrc ?? '', ctx.signal);
      emit({ status: `Downloading from ${fetched.url}` });
      source = fetched.body;
    }
    const id = await b.archive.import(source, {
      repo: ctx.query.get('repo') ?? undefined,
      tag: ctx.query.get('tag') ?? undefined,
      message: ctx.query.get('message') ?? undefined,
      changes,
      signal: ctx.signal,
    });
    emit({ status: id });
    ctx.res.end();
  });
  r.add('POST', '/images/prune', async (ctx) => {
    const pruned = await b.images.prune(parseFilters(ctx.query.get('filters')));
    const partials = await b.registry.prunePartials();
    sendJson(ctx.res, 200, { ...pruned, SpaceReclaimed: pruned.SpaceReclaimed + partials });
  });
  r.add('GET', '/images/{name:.*}/json', async (ctx) => {
    const out = await b.images.inspect(ctx.params.name!);
    if (!versionAtLeast(ctx.version, '1.44')) out.VirtualSize = out.Size;
    if (!versionAtLeast(ctx.version, '1.45') || isComposeV1(ctx.req.headers['user-agent'])) { out.Container = ''; out.ContainerConfig = out.Config ?? {}; }
    sendJson(ctx.res, 200, out);
  });
  r.add('GET', '/images/{name:.*}/history', async (ctx) => sendJson(ctx.res, 200, await b.images.history(ctx.params.name!)));
  r.add('GET', '/images/{name:.*}/get', async (ctx) => sendTar(ctx.res, b.archive.save([ctx.params.name!], ctx.signal)));
  r.add('POST', '/images/{name:.*}/tag', async (ctx) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw new InvalidArgumentError('repository name must have at least one component');
    await b.images.tag(ctx.params.name!, repo, ctx.query.get('tag') ?? undefined);
    ctx.res.writeHead(201, { 'Content-Length': 0 });
    ctx.res.end();
  });
  r.add('DELETE', '/images/{name:.*}', async (ctx) => {
    sendJson(ctx.res, 200, await b.images.remove(ctx.params.name!, { force: boolParam(ctx.query, 'force'), noPrune: boolParam(ctx.query, 'noprune') }));
  });
}

async function sendTar(res: ServerResponse, tar: NodeJS.ReadableStream & import('node:stream').Readable): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await pipeline(tar, res);
}

/**
 * docker-compose v1 (1.29, docker-py 5) negotiates the newest API version from /version and then
 * reads `ContainerConfig.Volumes` of the image on every recreate, a field dockerd leaves out
 * since API 1.45: against dockerd 26+ its `up` of a changed service dies with
 * `KeyError: 'ContainerConfig'`. berthd keeps the field for that client only (ADR 0019), so
 * every other client sees dockerd's answer for its version.
 */
export function isComposeV1(userAgent: string | undefined): boolean {
  return userAgent !== undefined && /^docker-compose\/1\./.test(userAgent);
}
