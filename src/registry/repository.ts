/**
 * One repository on one registry endpoint: the distribution API calls (ping, manifests,
 * blobs, uploads, tags), each with the session's Authorization and one retry after a 401
 * that brings a fresh challenge or token.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidArgumentError } from '../errors/index.js';
import type { Authorizer } from './auth.js';
import { RegistryAuthError, RegistryResponseError, responseError } from './errors.js';
import type { Endpoint } from './hosts.js';
import { MANIFEST_ACCEPT } from './manifest.js';
import { readBody, send, type Response } from './transport.js';

export type Body = Buffer | (() => Readable);

export interface FetchedManifest { bytes: Buffer; mediaType: string; digest?: string }

export class RepositoryClient {
  constructor(
    readonly endpoint: Endpoint,
    /** "library/busybox" */
    readonly path: string,
    readonly auth: Authorizer,
    private readonly signal?: AbortSignal,
  ) {}

  url(rel: string): URL {
    const base = this.endpoint.url.href.replace(/\/+$/, '');
    return new URL(`${base}${rel}`);
  }

  /** GET /v2/: the endpoint speaks the v2 API; a 401 tells how to authenticate. */
  async ping(): Promise<void> {
    const res = await send({ method: 'GET', url: this.url('/v2/'), tls: this.endpoint.tls, signal: this.signal });
    const body = await readBody(res, 1024 * 1024);
    if (res.status === 401) {
      this.auth.setChallenge(res.headers['www-authenticate']);
      return;
    }
    if (res.status >= 200 && res.status < 300) return;
    throw responseError(res.status, body);
  }

  /** A request with auth; `ok` statuses return the response unread, others throw their error. */
  async request(method: string, target: URL | string, opts: { headers?: OutgoingHttpHeaders; body?: Body; ok?: number[]; signal?: AbortSignal } = {}): Promise<Response> {
    const url = typeof target === 'string' ? this.url(target) : target;
    const ok = opts.ok ?? [200];
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.header();
      const headers: OutgoingHttpHeaders = { ...opts.headers, ...(authorization ? { Authorization: authorization } : {}) };
      const body = typeof opts.body === 'function' ? opts.body() : opts.body;
      const res = await send({ method, url, headers, body, tls: this.endpoint.tls, signal: opts.signal ?? this.signal });
      if (ok.includes(res.status)) return res;
      if (res.status === 401 && attempt === 0) {
        this.auth.invalidate();
        if (this.auth.setChallenge(res.headers['www-authenticate'])) {
          res.body.resume();
          // Go's basic-auth handler has nothing to send: docker reports it as such.
          if (this.auth.needsBasicCredentials) throw new RegistryAuthError(`${goMethod(method)} "${url.href}": no basic auth credentials`);
          continue;
        }
      }
      const text = method === 'HEAD' ? Buffer.alloc(0) : await readBody(res, 1024 * 1024).catch(() => Buffer.alloc(0));
      throw responseError(res.status, text);
    }
  }

  async getManifest(reference: string): Promise<FetchedManifest> {
    const res = await this.request('GET', `/v2/${this.path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT.join(', ') } });
    const bytes = await readBody(res, 4 * 1024 * 1024);
    const digest = res.headers['docker-content-digest'];
    return { bytes, mediaType: (res.headers['content-type'] ?? '').split(';')[0]!.trim(), ...(typeof digest === 'string' ? { digest } : {}) };
  }

  /** HEAD of a manifest: its digest, without the body. */
  async headManifest(reference: string): Promise<string | undefined> {
    const res = await this.request('HEAD', `/v2/${this.path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT.join(', ') } });
    res.body.resume();
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : undefined;
  }

  /** Size of the blob when the repository has it, undefined when not. */
  async headBlob(digest: string): Promise<number | undefined> {
    const res = await this.request('HEAD', `/v2/${this.path}/blobs/${digest}`, { ok: [200, 404] });
    res.body.resume();
    if (res.status === 404) return undefined;
    return Number(res.headers['content-length'] ?? 0);
  }

  /** GET of a blob from `offset` (a Range request); 200 or 206, body unread. */
  async openBlob(digest: string, offset = 0): Promise<Response> {
    const headers: OutgoingHttpHeaders = offset > 0 ? { Range: `bytes=${offset}-` } : {};
    return this.request('GET', `/v2/${this.path}/blobs/${digest}`, { headers, ok: [200, 206] });
  }

  async readBlob(digest: string, limit: number): Promise<Buffer> {
    return readBody(await this.openBlob(digest), limit);
  }

  /** Cross-repository mount; true when the registry mounted it (201), false when it opened an upload instead. */
  async mountBlob(digest: string, fromRepo: string): Promise<{ mounted: true } | { mounted: false; location: URL }> {
    const res = await this.request('POST', `/v2/${this.path}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepo)}`, { ok: [201, 202] });
    res.body.resume();
    if (res.status === 201) return { mounted: true };
    return { mounted: false, location: this.location(res) };
  }

  async startUpload(): Promise<URL> {
    const res = await this.request('POST', `/v2/${this.path}/blobs/uploads/`, { ok: [202] });
    res.body.resume();
    return this.location(res);
  }

  /** Cancels an upload session (best effort). */
  async cancelUpload(location: URL): Promise<void> {
    try { (await this.request('DELETE', location, { ok: [204, 404] })).body.resume(); } catch { /* the registry expires it */ }
  }

  /**
   * Uploads a blob of known size: monolithic (one PUT) when it fits in `chunkBytes`, else a
   * PATCH per chunk then the closing PUT, as the distribution spec describes.
   */
  async upload(location: URL, digest: string, sizeBytes: number, openRange: (start: number, end: number) => Readable, chunkBytes: number): Promise<void> {
    let loc = location;
    if (sizeBytes <= chunkBytes) {
      const put = withDigest(loc, digest);
      const res = await this.request('PUT', put, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': sizeBytes },
        body: () => openRange(0, sizeBytes), ok: [201, 204],
      });
      res.body.resume();
      return;
    }
    for (let start = 0; start < sizeBytes; start += chunkBytes) {
      const end = Math.min(start + chunkBytes, sizeBytes);
      const res = await this.request('PATCH', loc, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': end - start, 'Content-Range': `${start}-${end - 1}` },
        body: () => openRange(start, end), ok: [202, 204],
      });
      res.body.resume();
      loc = this.location(res);
    }
    const res = await this.request('PUT', withDigest(loc, digest), { headers: { 'Content-Length': 0 }, body: Buffer.alloc(0), ok: [201, 204] });
    res.body.resume();
  }

  async putManifest(reference: string, bytes: Buffer, mediaType: string): Promise<string | undefined> {
    const res = await this.request('PUT', `/v2/${this.path}/manifests/${reference}`, {
      headers: { 'Content-Type': mediaType, 'Content-Length': bytes.length }, body: bytes, ok: [200, 201, 202],
    });
    res.body.resume();
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : undefined;
  }

  /** Every tag, following `Link` pagination. */
  async listTags(): Promise<string[]> {
    const tags: string[] = [];
    let next: URL | undefined = this.url(`/v2/${this.path}/tags/list`);
    for (let page = 0; next && page < 1000; page++) {
      const res = await this.request('GET', next);
      const link = res.headers.link;
      const json = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(json.tags ?? []));
      const m = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
      next = m ? new URL(m[1]!, next) : undefined;
    }
    return tags;
  }

  private location(res: Response): URL {
    const loc = res.headers.location;
    if (!loc) throw new RegistryResponseError(res.status, [{ code: 'BLOB_UPLOAD_INVALID', message: 'the registry answered without a Location header' }]);
    try { return new URL(loc, res.url); } catch { throw new InvalidArgumentError(`invalid upload location ${JSON.stringify(loc)}`); }
  }
}

function withDigest(loc: URL, digest: string): URL {
  const u = new URL(loc.href);
  u.searchParams.set('digest', digest);
  return u;
}

/** net/http's url.Error spells methods "Get", "Head", "Put". */
function goMethod(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}
