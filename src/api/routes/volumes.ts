import { InvalidArgumentError } from '../../errors/index.js';
import { parseFilters } from '../../util/index.js';
import type { CreateVolumeRequest, VolumeService } from '../../volume/index.js';
import { boolParam, readJsonBody, sendJson, sendNoContent } from '../http.js';
import type { Router } from '../router.js';
import { versionAtLeast } from '../version.js';

export interface VolumesBackend {
  volumes: Pick<VolumeService, 'create' | 'list' | 'inspect' | 'remove' | 'prune'>;
}

/** `POST /volumes/create`'s body: each field checked, a 400 naming the one that is wrong. */
function decodeCreate(body: unknown): CreateVolumeRequest {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid JSON: the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const str = (k: string) => {
    const v = b[k];
    if (v !== undefined && v !== null && typeof v !== 'string') throw new InvalidArgumentError(`invalid JSON: ${k} must be a string`);
    return (v as string | undefined | null) ?? undefined;
  };
  const map = (k: string) => {
    const v = b[k];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) throw new InvalidArgumentError(`invalid JSON: ${k} must be an object of strings`);
    return v as Record<string, string>;
  };
  return { Name: str('Name'), Driver: str('Driver'), DriverOpts: map('DriverOpts'), Labels: map('Labels') };
}

export function volumeRoutes(r: Router, b: VolumesBackend): void {
  const v = b.volumes;
  r.add('GET', '/volumes', async (ctx) => sendJson(ctx.res, 200, v.list(parseFilters(ctx.query.get('filters')))));
  r.add('POST', '/volumes/create', async (ctx) => sendJson(ctx.res, 201, await v.create(decodeCreate(await readJsonBody(ctx.req, 'VolumeCreate')))));
  r.add('POST', '/volumes/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    // Before API 1.42 prune removed every unused volume, named ones included.
    if (!versionAtLeast(ctx.version, '1.42')) {
      if (filters.has('all')) throw new InvalidArgumentError(`invalid filter 'all'`);
      filters.set('all', ['true']);
    }
    sendJson(ctx.res, 200, await v.prune(filters));
  });
  r.add('GET', '/volumes/{name}', async (ctx) => sendJson(ctx.res, 200, v.inspect(ctx.params.name!)));
  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await v.remove(ctx.params.name!, { force: boolParam(ctx.query, 'force') });
    sendNoContent(ctx.res);
  });
}
