import type { ServerResponse } from 'node:http';
import { BuildStepError, BUILD_PRUNE_FILTERS, type BuildCache, type BuildHostConfig, type BuildOptions, type BuildService } from '../../build/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import type { AuthConfig } from '../../registry/index.js';
import { checkFilterNames, parseFilters } from '../../util/index.js';
import { boolParam, sendJson } from '../http.js';
import type { Router } from '../router.js';

export interface BuildBackend {
  builder: Pick<BuildService, 'build'>;
  buildCache: Pick<BuildCache, 'prune'>;
}

/** The query of `POST /build` as the legacy builder reads it. */
export function buildOptions(q: URLSearchParams): BuildOptions {
  const json = <T>(name: string, dflt: T): T => {
    const v = q.get(name);
    if (v === null || v === '') return dflt;
    try { return JSON.parse(v) as T; } catch (err) {
      throw new InvalidArgumentError(`invalid ${name} parameter: ${(err as Error).message}`, { cause: err });
    }
  };
  const rm = q.get('rm');
  return {
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    tags: q.getAll('t').filter(Boolean),
    buildArgs: json<Record<string, string | null>>('buildargs', {}),
    noCache: boolParam(q, 'nocache'),
    ...(q.get('target') ? { target: q.get('target')! } : {}),
    // As dockerd: rm defaults to true; only an explicit false keeps the containers.
    remove: rm === null || rm === '' ? true : boolParam(q, 'rm'),
    forceRemove: boolParam(q, 'forcerm'),
    labels: json<Record<string, string>>('labels', {}),
    quiet: boolParam(q, 'q'),
    ...(q.get('networkmode') ? { networkMode: q.get('networkmode')! } : {}),
    pull: boolParam(q, 'pull'),
    cacheFrom: json<string[] | null>('cachefrom', []) ?? [],
    hostConfig: hostConfigOf(q, json),
    ...(q.get('remote') ? { remote: q.get('remote')! } : {}),
    ...(q.get('platform') ? { platform: q.get('platform')! } : {}),
  };
}

/**
 * The build containers' limits, as dockerd's newImageBuildOptions reads them: numbers parsed
 * leniently (a bad one is 0, i.e. unset), `extrahosts` repeated, `ulimits` as JSON;
 * `isolation` must be `default` (or empty) on Linux.
 */
function hostConfigOf(q: URLSearchParams, json: <T>(name: string, dflt: T) => T): BuildHostConfig {
  const int = (name: string): number | undefined => {
    const v = Number.parseInt(q.get(name) ?? '', 10);
    return Number.isFinite(v) && v !== 0 ? v : undefined;
  };
  const isolation = q.get('isolation');
  if (isolation && isolation.toLowerCase() !== 'default') throw new InvalidArgumentError(`Unsupported isolation: ${JSON.stringify(isolation)}`);
  const hc: BuildHostConfig = {};
  const set = <K extends keyof BuildHostConfig>(k: K, v: BuildHostConfig[K] | undefined): void => { if (v !== undefined && v !== '') hc[k] = v; };
  set('Memory', int('memory'));
  set('MemorySwap', int('memswap'));
  set('CpuShares', int('cpushares'));
  set('CpuQuota', int('cpuquota'));
  set('CpuPeriod', int('cpuperiod'));
  set('ShmSize', int('shmsize'));
  set('CpusetCpus', q.get('cpusetcpus') ?? undefined);
  set('CpusetMems', q.get('cpusetmems') ?? undefined);
  set('CgroupParent', q.get('cgroupparent') ?? undefined);
  const hosts = q.getAll('extrahosts').flatMap((h) => h.split(',')).filter(Boolean);
  if (hosts.length) hc.ExtraHosts = hosts;
  const ulimits = json<Array<{ Name: string; Soft: number; Hard: number }> | null>('ulimits', null);
  if (ulimits?.length) hc.Ulimits = ulimits;
  return hc;
}

/** `X-Registry-Config`: base64 JSON of credentials by registry, as `docker build` sends it. */
export function registryConfigOf(header: string | undefined): Record<string, AuthConfig> {
  if (!header) return {};
  try {
    const v = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as unknown;
    return v && typeof v === 'object' ? v as Record<string, AuthConfig> : {};
  } catch {
    // dockerd ignores a header it cannot decode (and builds with anonymous pulls).
    return {};
  }
}

/**
 * `POST /build`: the body is the context tar. The JSON stream begins with the first message,
 * so an error found before it (a Dockerfile that does not parse) is a plain 400 answer, as
 * dockerd gives; later errors end the stream with `errorDetail`.
 */
export function buildRoutes(r: Router, b: BuildBackend): void {
  r.add('POST', '/build', async (ctx) => {
    const opts = { ...buildOptions(ctx.query), registryAuth: registryConfigOf(ctx.req.headers['x-registry-config'] as string | undefined) };
    const write = (res: ServerResponse, msg: unknown): void => {
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(JSON.stringify(msg) + '\n');
    };
    // The client's end of the stream (EOF once the context is read) means it went away, as
    // Go's server cancels dockerd's request context: the build stops and cleans up then,
    // not when its next message fails to be written.
    const gone = new AbortController();
    const onEnd = (): void => gone.abort(new Error('the client went away'));
    ctx.req.socket.once('end', onEnd);
    try {
      await b.builder.build(ctx.req, opts, (m) => write(ctx.res, m), AbortSignal.any([ctx.signal, gone.signal]));
    } catch (err) {
      if (gone.signal.aborted) { ctx.res.destroy(); return; }
      if (err instanceof BuildStepError && ctx.res.headersSent) {
        ctx.res.end(JSON.stringify({ errorDetail: { code: err.code, message: err.message }, error: err.message }) + '\n');
        return;
      }
      throw err;
    } finally {
      ctx.req.socket.off('end', onEnd);
    }
    ctx.res.end();
  });
  // `docker builder prune`, also called by `docker system prune`.
  r.add('POST', '/build/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    checkFilterNames(filters, BUILD_PRUNE_FILTERS);
    // reserved-space (API 1.48+) is keep-storage's new name.
    const keep = Number.parseInt(ctx.query.get('reserved-space') || ctx.query.get('keep-storage') || '0', 10);
    sendJson(ctx.res, 200, await b.buildCache.prune({ all: boolParam(ctx.query, 'all'), filters, ...(keep > 0 ? { keepBytes: keep } : {}) }));
  });
}
