import type { ServerResponse } from 'node:http';
import { BuildStepError, type BuildOptions, type BuildService } from '../../build/index.js';
import { InvalidArgumentError } from '../../errors/index.js';
import { boolParam } from '../http.js';
import type { Router } from '../router.js';

export interface BuildBackend {
  builder: Pick<BuildService, 'build'>;
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
  };
}

/**
 * `POST /build`: the body is the context tar. The JSON stream begins with the first message,
 * so an error found before it (a Dockerfile that does not parse) is a plain 400 answer, as
 * dockerd gives; later errors end the stream with `errorDetail`.
 */
export function buildRoutes(r: Router, b: BuildBackend): void {
  r.add('POST', '/build', async (ctx) => {
    const opts = buildOptions(ctx.query);
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
}
