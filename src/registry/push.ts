/**
 * `POST /images/{name}/push`: uploads an image's layers (gzip-compressed, as docker does),
 * its config and a Docker schema2 manifest. A layer the registry already has is skipped
 * (HEAD), one known in another repository of the same registry is mounted from there, and
 * the compressed digest of every layer is remembered per repository for the next push.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { familiarName, familiarString, isUncompressed, MEDIA_TYPE, type ContentStore, type ImageRecord, type ImageStore, type LayerRecord, type Reference } from '../image/index.js';
import type { Logger } from '../util/index.js';
import type { AuthConfig, TokenCache } from './auth.js';
import type { RegistryHosts } from './hosts.js';
import { digestOf, platformMatches, platformString, type Platform } from './manifest.js';
import type { DistributionMetadata } from './metadata.js';
import { ProgressCounter, shortId, status, type Emit } from './progress.js';
import type { RepositoryClient } from './repository.js';
import { clientFor, withEndpoints } from './session.js';

export interface PushDeps {
  content: ContentStore;
  store: ImageStore;
  events: EventBus;
  logger: Logger;
  metadata: DistributionMetadata;
  hosts: RegistryHosts;
  tokens: TokenCache;
  tmpDir: string;
  maxConcurrentUploads: number;
  /** Layers larger than this go up in PATCH chunks of this size; smaller ones in one PUT. */
  chunkBytes?: number;
}

export interface PushRequest {
  /** Repository, with the tag to push or none for all its tags. */
  ref: Reference;
  auth: AuthConfig;
  platform?: Platform;
  emit: Emit;
  signal?: AbortSignal;
}

const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

interface PushedLayer { mediaType: string; size: number; digest: string }

export class Pusher {
  /** Uploads running in this daemon by (repository, diffId): a second push of the same layer waits for the first. */
  private readonly uploads = new Map<string, Promise<PushedLayer>>();
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly d: PushDeps) {}

  async push(req: PushRequest): Promise<void> {
    const ref = req.ref;
    const repoFull = `${ref.domain}/${ref.path}`;
    const tags = this.tagsToPush(ref);
    req.emit(status(`The push refers to repository [${repoFull}]`));
    await withEndpoints(this.d, ref.domain, { isPush: true }, async (ep) => {
      const repo = clientFor(this.d, ep, ref.path, req.auth, [`repository:${ref.path}:pull,push`], req.signal);
      await repo.ping();
      for (const [tag, id] of tags) {
        const rec = this.d.store.get(id);
        if (!rec) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarString({ domain: ref.domain, path: ref.path, tag })}`);
        await this.pushTag(repo, req, tag, rec);
      }
    });
  }

  /** [tag, image id] pairs: the one asked for, or every tag of the repository. */
  private tagsToPush(ref: Reference): Array<[string, string]> {
    const name = `${ref.domain}/${ref.path}`;
    if (ref.tag !== undefined) {
      const id = this.d.store.repositories.get(`${name}:${ref.tag}`);
      if (!id) throw new NotFoundError(`tag does not exist: ${familiarString(ref)}`);
      return [[ref.tag, id]];
    }
    const out: Array<[string, string]> = [];
    for (const [r, id] of this.d.store.repositories.all()) {
      if (r.startsWith(`${name}:`) && !r.includes('@')) out.push([r.slice(name.length + 1), id]);
    }
    if (out.length === 0) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarString({ domain: ref.domain, path: ref.path })}`);
    return out.sort(([a], [b]) => a.localeCompare(b));
  }

  private async pushTag(repo: RepositoryClient, req: PushRequest, tag: string, rec: ImageRecord): Promise<void> {
    const configBytes = await this.d.content.read(rec.id);
    const cfg = this.d.store.config(rec.id);
    if (req.platform) {
      const have: Platform = { os: cfg.os, architecture: cfg.architecture, ...(cfg.variant ? { variant: cfg.variant } : {}) };
      if (!platformMatches(req.platform, have)) throw new NotFoundError(`image with reference ${familiarString({ ...req.ref, tag })} was found but does not provide the specified platform (${platformString(req.platform)})`);
    }
    const seen = new Set<string>();
    for (const l of [...rec.layers].reverse()) {
      if (!seen.has(l.diffId)) req.emit(status('Preparing', shortId(l.diffId)));
      seen.add(l.diffId);
    }
    const results = await Promise.all([...rec.layers].reverse().map((l) => this.pushLayer(repo, req, l)));
    const layers = results.reverse();
    if ((await repo.headBlob(rec.id)) === undefined) {
      const loc = await repo.startUpload();
      await repo.upload(loc, rec.id, configBytes.length, () => bufferStream(configBytes), Infinity);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE.dockerManifest,
      config: { mediaType: MEDIA_TYPE.dockerConfig, size: configBytes.length, digest: rec.id },
      // A schema2 manifest names layers in Docker's media types, whatever a pull recorded.
      layers: layers.map((l) => ({ mediaType: /gzip/.test(l.mediaType) ? MEDIA_TYPE.dockerLayerGzip : MEDIA_TYPE.dockerLayer, size: l.size, digest: l.digest })),
    };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const digest = digestOf(bytes);
    await repo.putManifest(tag, bytes, MEDIA_TYPE.dockerManifest);
    const ref = req.ref;
    await this.d.store.addDigestReference({ domain: ref.domain, path: ref.path, digest: digest as Reference['digest'] }, rec.id)
      .catch((err: unknown) => this.d.logger.warn({ component: 'registry', err }, 'recording the pushed digest failed'));
    req.emit(status(`${tag}: digest: ${digest} size: ${bytes.length}`));
    req.emit({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: bytes.length } });
    this.d.events.publish('image', 'push', familiarString({ domain: ref.domain, path: ref.path, tag }), { name: familiarName(ref) });
  }

  private pushLayer(repo: RepositoryClient, req: PushRequest, layer: LayerRecord): Promise<PushedLayer> {
    const diffId = layer.diffId;
    const repoFull = `${req.ref.domain}/${req.ref.path}`;
    const key = `${repoFull}|${diffId}`;
    const running = this.uploads.get(key);
    const id = shortId(diffId);
    if (running) return running.then((l) => { req.emit(status('Layer already exists', id)); return l; });
    const job = this.limit(req, id, () => this.uploadLayer(repo, req, layer));
    this.uploads.set(key, job);
    const clear = () => { if (this.uploads.get(key) === job) this.uploads.delete(key); };
    job.then(clear, clear);
    return job;
  }

  private async limit<T>(req: PushRequest, id: string, fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.d.maxConcurrentUploads) {
      req.emit(status('Waiting', id));
      await new Promise<void>((r) => this.queue.push(r));
    }
    this.active++;
    try { return await fn(); } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }

  private async uploadLayer(repo: RepositoryClient, req: PushRequest, layer: LayerRecord): Promise<PushedLayer> {
    const diffId = layer.diffId;
    const id = shortId(diffId);
    const ref = req.ref;
    const repoFull = `${ref.domain}/${ref.path}`;
    const origins = this.d.metadata.origins(diffId);
    // Known in this repository: a HEAD confirms it (docker's "Layer already exists").
    for (const o of origins.filter((o) => o.repository === repoFull)) {
      const size = await repo.headBlob(o.digest);
      if (size !== undefined) {
        req.emit(status('Layer already exists', id));
        return { mediaType: o.mediaType, size: o.sizeBytes || size, digest: o.digest };
      }
    }
    // Known in another repository of the same registry: ask for a cross-repository mount.
    for (const o of origins.filter((o) => o.repository !== repoFull && o.repository.startsWith(`${ref.domain}/`))) {
      const from = o.repository.slice(ref.domain.length + 1);
      const r = await repo.mountBlob(o.digest, from).catch(() => undefined);
      if (r?.mounted) {
        req.emit(status(`Mounted from ${from}`, id));
        await this.d.metadata.add(diffId, { ...o, repository: repoFull });
        return { mediaType: o.mediaType, size: o.sizeBytes, digest: o.digest };
      }
      if (r && !r.mounted) await repo.cancelUpload(r.location);
    }
    if (!isUncompressed(layer)) {
      // The blob as stored (as pulled, or gzipped when made here) goes up as it is (ADR 0022).
      const blob = { mediaType: /gzip/.test(layer.mediaType) ? MEDIA_TYPE.dockerLayerGzip : layer.mediaType, size: layer.blobSizeBytes, digest: layer.blobDigest };
      await this.send(repo, req, id, blob.digest, blob.size, (start, end) => this.d.content.openRange(blob.digest, start, end));
      await this.d.metadata.add(diffId, { digest: blob.digest, repository: repoFull, mediaType: blob.mediaType, sizeBytes: blob.size });
      return blob;
    }
    // ADR 0003's layout keeps the layer uncompressed: it is gzipped for the upload.
    const tmp = path.join(this.d.tmpDir, `push-${randomBytes(8).toString('hex')}.gz`);
    try {
      const { digest, size } = await this.compress(diffId, tmp, req.signal);
      await this.send(repo, req, id, digest, size, (start, end) => createReadStream(tmp, { start, end: end - 1 }));
      const pushed = { mediaType: MEDIA_TYPE.dockerLayerGzip, size, digest };
      await this.d.metadata.add(diffId, { digest, repository: repoFull, mediaType: pushed.mediaType, sizeBytes: size });
      return pushed;
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  /** Uploads a blob unless the repository has it (HEAD), with Docker's progress messages. */
  private async send(repo: RepositoryClient, req: PushRequest, id: string, digest: string, size: number, open: (start: number, end: number) => Readable): Promise<void> {
    if ((await repo.headBlob(digest)) !== undefined) {
      req.emit(status('Layer already exists', id));
      return;
    }
    const loc = await repo.startUpload();
    const counter = new ProgressCounter(req.emit, 'Pushing', id, size);
    await repo.upload(loc, digest, size, (start, end) => {
      if (start === 0) counter.set(0);
      return open(start, end).pipe(new Transform({ transform(c: Buffer, _e, cb) { counter.add(c.length); cb(null, c); } }));
    }, this.d.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    req.emit(status('Pushed', id));
  }

  /** gzip of the stored (uncompressed) layer into `tmp`, hashing the output. */
  private async compress(diffId: string, tmp: string, signal?: AbortSignal): Promise<{ digest: string; size: number }> {
    if (!(await this.d.content.has(diffId))) throw new InvalidArgumentError(`layer ${diffId} is missing from the content store`);
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); size += c.length; cb(null, c); } });
    await fsp.mkdir(this.d.tmpDir, { recursive: true });
    await pipeline(this.d.content.open(diffId), createGzip({ level: 6 }), tap, createWriteStream(tmp, { flags: 'wx' }), { signal });
    return { digest: `sha256:${hash.digest('hex')}`, size };
  }
}

function bufferStream(b: Buffer): Readable {
  return Readable.from([b]);
}
