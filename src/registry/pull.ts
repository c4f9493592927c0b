/**
 * `POST /images/create?fromImage=`: resolve the manifest (choosing this host's platform from
 * an index), fetch and check the config, then download layers in parallel (at most
 * `maxConcurrentDownloads`) while extracting them in order as soon as each one and its parent
 * are ready. Layers already present are skipped; two pulls needing the same blob share one
 * download. Nothing is visible until the image record and its references are written; a
 * failure removes the blobs and snapshots this pull created.
 */
import { addAbortSignal, pipeline as pipelineCb, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import {
  familiarName, familiarString, parseConfig, writeImage, type ContentStore, type ImageStore, type LayerSource, type Reference, type Snapshots,
} from '../image/index.js';
import { chainIdOf } from '../snapshot/index.js';
import type { Logger } from '../util/index.js';
import type { AuthConfig, TokenCache } from './auth.js';
import { blobStream, coalesce, DEFAULT_RETRY, ingestError, withRetry, type RetryPolicy } from './download.js';
import { RegistryResponseError } from './errors.js';
import type { RegistryHosts } from './hosts.js';
import { digestOf, hostPlatform, parseManifest, platformMatches, platformString, selectManifest, type Descriptor, type ImageManifest, type Platform } from './manifest.js';
import type { DistributionMetadata } from './metadata.js';
import { ProgressCounter, shortId, status, type Emit } from './progress.js';
import type { RepositoryClient } from './repository.js';
import type { PartialDownloads } from './partial.js';
import { clientFor, withEndpoints } from './session.js';

export interface PullDeps {
  content: ContentStore;
  snapshots: Snapshots;
  store: ImageStore;
  events: EventBus;
  logger: Logger;
  metadata: DistributionMetadata;
  hosts: RegistryHosts;
  tokens: TokenCache;
  maxConcurrentDownloads: number;
  retry?: RetryPolicy;
  /** Kept bytes of interrupted layer downloads: a pull goes on from them. */
  partials: PartialDownloads;
}

export interface PullRequest {
  ref: Reference;
  auth: AuthConfig;
  /** Explicitly asked for (--platform); otherwise this host's. */
  platform?: Platform;
  /** Every tag of the repository (`docker pull -a`). */
  allTags?: boolean;
  emit: Emit;
  signal?: AbortSignal;
}

/** Limits concurrent work; waiters run in arrival order. */
class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  get isFull(): boolean { return this.active >= this.limit; }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try { return await fn(); } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

function repoName(ref: Reference): string { return `${ref.domain}/${ref.path}`; }

/** moby's translatePullError and notFoundError wording for a registry's refusal. */
function pullError(err: unknown, ref: Reference, tagOrDigest: string): unknown {
  if (!(err instanceof RegistryResponseError) || err.errors.length === 0) return err;
  const name = familiarString({ domain: ref.domain, path: ref.path });
  const first = new RegistryResponseError(err.status, [err.errors[0]!]);
  switch (err.errors[0]!.code) {
    case 'DENIED':
      return new NotFoundError(`pull access denied for ${name}, repository does not exist or may require 'docker login': ${first.message}`, { cause: err });
    case 'MANIFEST_UNKNOWN': {
      const shown = tagOrDigest.startsWith('sha256:') ? `${name}@${tagOrDigest}` : `${name}:${tagOrDigest}`;
      return new NotFoundError(`manifest for ${shown} not found: ${first.message}`, { cause: err });
    }
    case 'NAME_UNKNOWN':
      return new NotFoundError(`repository ${name} not found: ${first.message}`, { cause: err });
    default:
      return err;
  }
}

type Created = Array<{ kind: 'blob' | 'snapshot'; key: string }>;

export class Puller {
  /** Layers being fetched, by chainId: a second pull of the same chain waits for the first. */
  private readonly jobs = new Map<string, Promise<void>>();
  /** Layers (by diffId) that a running pull relies on: never undone by another pull's failure. */
  private readonly inUse = new Map<string, number>();
  private readonly semaphore: Semaphore;

  constructor(private readonly d: PullDeps) {
    this.semaphore = new Semaphore(d.maxConcurrentDownloads);
  }

  async pull(req: PullRequest): Promise<void> {
    const ref = req.ref;
    if (req.allTags) {
      const tags = await withEndpoints(this.d, ref.domain, {}, async (ep) => {
        const repo = clientFor(this.d, ep, ref.path, req.auth, [`repository:${ref.path}:pull`], req.signal);
        await repo.ping();
        return repo.listTags().catch((err: unknown) => { throw pullError(err, ref, 'latest'); });
      });
      let updated = false;
      for (const tag of tags.sort()) {
        if (await this.pullOne({ ...req, ref: { domain: ref.domain, path: ref.path, tag } })) updated = true;
      }
      const name = familiarString({ domain: ref.domain, path: ref.path });
      req.emit(status(updated ? `Status: Downloaded newer image for ${name}` : `Status: Image is up to date for ${name}`));
      return;
    }
    const updated = await this.pullOne(req);
    req.emit(status(updated ? `Status: Downloaded newer image for ${familiarString(req.ref)}` : `Status: Image is up to date for ${familiarString(req.ref)}`));
  }

  /** Pulls one tag or digest; true when something changed (layers fetched or the tag moved). */
  private async pullOne(req: PullRequest): Promise<boolean> {
    const ref = req.ref;
    const tagOrDigest = ref.digest ?? ref.tag ?? 'latest';
    return withEndpoints(this.d, ref.domain, {}, async (ep) => {
      const repo = clientFor(this.d, ep, ref.path, req.auth, [`repository:${ref.path}:pull`], req.signal);
      await repo.ping();
      let resolved: { manifest: ImageManifest; digest: string; configBytes: Buffer };
      try {
        resolved = await this.resolve(repo, ref, tagOrDigest, req.platform);
      } catch (err) {
        throw pullError(err, ref, tagOrDigest);
      }
      try {
        return await this.fetchImage(repo, req, resolved, tagOrDigest);
      } catch (err) {
        // Layers were being written: another endpoint would not make this pull right.
        throw Object.assign(pullError(err, ref, tagOrDigest) as object, { committed: true });
      }
    });
  }

  private async resolve(repo: RepositoryClient, ref: Reference, tagOrDigest: string, wanted: Platform | undefined): Promise<{ manifest: ImageManifest; digest: string; configBytes: Buffer }> {
    const name = familiarString(ref);
    const retry = this.d.retry ?? DEFAULT_RETRY;
    const top = await withRetry(() => repo.getManifest(tagOrDigest), retry);
    const digest = digestOf(top.bytes);
    if (ref.digest && digest !== ref.digest) throw new InvalidArgumentError(`manifest verification failed for digest ${ref.digest}`);
    let m = parseManifest(top.bytes, top.mediaType, name);
    const platform = wanted ?? hostPlatform();
    if (m.kind === 'index') {
      const desc = selectManifest(m, platform);
      const child = await withRetry(() => repo.getManifest(desc.digest), retry);
      if (digestOf(child.bytes) !== desc.digest) throw new InvalidArgumentError(`manifest verification failed for digest ${desc.digest}`);
      m = parseManifest(child.bytes, child.mediaType, name);
      if (m.kind === 'index') throw new InvalidArgumentError(`invalid manifest list for ${name}: an entry is itself a list`);
    }
    const configBytes = await withRetry(() => repo.readBlob(m.config.digest, 8 * 1024 * 1024), retry);
    if (digestOf(configBytes) !== m.config.digest) throw new InvalidArgumentError(`image config verification failed for digest ${m.config.digest}`);
    const config = parseConfig(configBytes);
    if (config.rootfs.diff_ids.length !== m.layers.length) throw new InvalidArgumentError(`invalid image ${name}: the manifest has ${m.layers.length} layers but the config lists ${config.rootfs.diff_ids.length}`);
    const have: Platform = { os: config.os, architecture: config.architecture, ...(config.variant ? { variant: config.variant } : {}) };
    if (wanted && !platformMatches(wanted, have)) {
      throw new NotFoundError(`image with reference ${name} was found but its platform (${platformString(have)}) does not match the specified platform (${platformString(wanted)})`);
    }
    for (const l of m.layers) {
      if (l.urls?.length) throw new InvalidArgumentError(`foreign layer ${l.digest} of ${name} is not supported`);
      if (/zstd/.test(l.mediaType)) throw new InvalidArgumentError(`unsupported layer media type ${l.mediaType} of ${name}: berth reads gzip and uncompressed layers`);
    }
    return { manifest: m, digest, configBytes };
  }

  private async fetchImage(repo: RepositoryClient, req: PullRequest, r: { manifest: ImageManifest; digest: string; configBytes: Buffer }, tagOrDigest: string): Promise<boolean> {
    const { emit } = req;
    const ref = req.ref;
    emit(status(`Pulling from ${ref.path}`, tagOrDigest));
    const diffIds = parseConfig(r.configBytes).rootfs.diff_ids;
    const chains: string[] = [];
    for (const d of diffIds) chains.push(chainIdOf(chains.at(-1), d));
    const layers = r.manifest.layers.map((desc, i) => ({ desc, diffId: diffIds[i]!, chainId: chains[i]! }));
    const created: Created = [];
    const abort = new AbortController();
    const onAbort = () => abort.abort(req.signal?.reason);
    req.signal?.addEventListener('abort', onAbort, { once: true });
    for (const l of layers) this.inUse.set(l.desc.digest, (this.inUse.get(l.desc.digest) ?? 0) + 1);
    let downloadedAny = false;
    const shown = new Set<string>();
    try {
      const needed: boolean[] = [];
      for (const l of layers) {
        // A layer is here when its snapshot is and some blob of it (ADR 0022: the blob as pulled).
        const has = (await this.d.snapshots.has(l.chainId)) && (await this.hasBlobOf(l));
        needed.push(!has);
        const id = shortId(l.desc.digest);
        if (shown.has(id)) continue;
        shown.add(id);
        emit(status(has ? 'Already exists' : 'Pulling fs layer', id));
      }
      // Every layer downloads, decompresses and extracts at once (downloads bounded by the
      // semaphore); each commit waits for its parent's, so chains still form in order.
      const applied: Array<Promise<void>> = [];
      for (const [i, l] of layers.entries()) {
        const parent = i === 0 ? undefined : layers[i - 1]!.chainId;
        const parentDone = i === 0 ? Promise.resolve() : applied[i - 1]!;
        const job = needed[i]
          ? this.layer(repo, l, parent, parentDone, { emit, signal: abort.signal, created, onDownload: () => { downloadedAny = true; } })
          : parentDone;
        job.catch(() => abort.abort());
        applied.push(job);
      }
      const results = await Promise.allSettled(applied);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      return await this.commit(req, r, layers, downloadedAny);
    } catch (err) {
      abort.abort();
      await this.undo(created);
      throw err;
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
      for (const l of layers) {
        const n = (this.inUse.get(l.desc.digest) ?? 1) - 1;
        if (n > 0) this.inUse.set(l.desc.digest, n); else this.inUse.delete(l.desc.digest);
      }
    }
  }

  /** Whether the content store has a blob of this layer: the one pulled, or any an image keeps. */
  private async hasBlobOf(l: { desc: Descriptor; diffId: string }): Promise<boolean> {
    if (await this.d.content.has(l.desc.digest)) return true;
    const known = this.d.store.layerOf(l.diffId);
    return known !== undefined && (await this.d.content.has(known.blobDigest));
  }

  /**
   * One layer into the content store and its snapshot, shared with any pull already doing
   * the same chain. The compressed blob streams from the registry once and is teed: as it
   * is to the content store (checked against the manifest's digest), and to extraction,
   * which gunzips and checks the diffId (ADR 0022: no uncompressed copy is written). The
   * snapshot commits after its parent's and after the blob verified.
   */
  private layer(
    repo: RepositoryClient,
    l: { desc: Descriptor; diffId: string; chainId: string },
    parent: string | undefined,
    parentDone: Promise<void>,
    o: { emit: Emit; signal: AbortSignal; created: Created; onDownload: () => void },
  ): Promise<void> {
    const id = shortId(l.desc.digest);
    const running = this.jobs.get(l.chainId);
    if (running) {
      o.emit(status('Waiting', id));
      return running.then(() => o.emit(status('Pull complete', id)));
    }
    const job = (async () => {
      const gate = (extra: Promise<unknown>[]) => {
        const p = Promise.all([parentDone, ...extra]);
        p.catch(() => undefined);
        return p;
      };
      const hasSnapshot = await this.d.snapshots.has(l.chainId);
      if (!hasSnapshot && (await this.d.content.has(l.desc.digest))) {
        o.emit(status('Download complete', id));
        await this.extract(parent, this.d.content.open(l.desc.digest), l, gate([]), o);
        return;
      }
      if (this.semaphore.isFull) o.emit(status('Waiting', id));
      let applying: Promise<void> | undefined;
      await this.semaphore.run(async () => {
        o.signal.throwIfAborted();
        // The download's partial file becomes the blob (a rename once verified), so the
        // compressed bytes are written once; extraction reads them from the same stream.
        let adopted = false;
        let settle!: { resolve: () => void; reject: (err: unknown) => void };
        const ingesting = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
        ingesting.catch(() => undefined);
        const adopt = async (file: string): Promise<void> => {
          await this.d.content.adopt(file, l.desc.digest);
          o.created.push({ kind: 'blob', key: l.desc.digest });
          adopted = true;
          settle.resolve();
        };
        const source = blobStream(repo, l.desc, o.emit, this.d.retry ?? DEFAULT_RETRY, o.signal, this.d.partials, adopt);
        let sourceErr: unknown;
        source.on('error', (err) => { sourceErr = err; settle.reject(err); });
        source.on('close', () => { if (!adopted) settle.reject(new Error(`download of ${l.desc.digest} ended before it completed`)); });
        // An abort, or extraction giving up on its side, ends the download too.
        addAbortSignal(o.signal, source);
        try {
          if (hasSnapshot) {
            // The chain is extracted but its blob is gone: only the blob is fetched again.
            await pipeline(source, new Writable({ write(_c, _e, cb) { cb(); } }), { signal: o.signal });
          } else {
            applying = this.extract(parent, pipelineCb(source, coalesce(), () => undefined), l, gate([ingesting]), o);
            applying.catch(() => undefined);
          }
          await ingesting;
        } catch (err) {
          source.destroy();
          // The first cause wins: the download's (verification, network), else extraction's.
          const applyErr = applying ? await applying.then(() => undefined, (e: unknown) => e) : undefined;
          throw ingestError(sourceErr ?? applyErr ?? err, l.desc, l.diffId);
        }
        o.onDownload();
        o.emit(status('Download complete', id));
      });
      await applying;
    })();
    this.jobs.set(l.chainId, job);
    const clear = () => { if (this.jobs.get(l.chainId) === job) this.jobs.delete(l.chainId); };
    job.then(clear, clear);
    return job;
  }

  private async extract(parent: string | undefined, tar: Readable, l: { desc: Descriptor; diffId: string; chainId: string }, commitAfter: Promise<unknown>, o: { emit: Emit; signal: AbortSignal; created: Created }): Promise<void> {
    const id = shortId(l.desc.digest);
    const size = l.desc.size;
    const counter = new ProgressCounter(o.emit, 'Extracting', id, size, 500);
    await this.d.snapshots.applyLayer(parent, tar, { expectedDiffId: l.diffId, signal: o.signal, commitAfter });
    o.created.push({ kind: 'snapshot', key: l.chainId });
    counter.add(size);
    o.emit(status('Pull complete', id));
  }

  private async commit(req: PullRequest, r: { manifest: ImageManifest; digest: string; configBytes: Buffer }, layers: Array<{ desc: Descriptor; diffId: string }>, downloadedAny: boolean): Promise<boolean> {
    const ref = req.ref;
    const { store } = this.d;
    const outcome = await store.lock.run('images', async () => {
      const existed = store.get(digestOf(r.configBytes)) !== undefined;
      // Each layer is in the store by now: the blob this pull fetched, or one an image keeps.
      const sources: LayerSource[] = layers.map((l) => ({ blobDigest: l.desc.digest, mediaType: l.desc.mediaType, blobSizeBytes: l.desc.size }));
      const rec = await writeImage(this.d, r.configBytes, sources, { signal: req.signal });
      let moved = false;
      if (ref.tag !== undefined) moved = (store.repositories.get(`${repoName(ref)}:${ref.tag}`)) !== rec.id;
      if (ref.tag !== undefined && !ref.digest) await store.tag({ domain: ref.domain, path: ref.path, tag: ref.tag }, rec.id);
      await store.addDigestReference({ domain: ref.domain, path: ref.path, digest: r.digest as Reference['digest'] }, rec.id);
      return { id: rec.id, changed: !existed || moved };
    });
    for (const l of layers) {
      await this.d.metadata.add(l.diffId, { digest: l.desc.digest, repository: repoName(ref), mediaType: l.desc.mediaType, sizeBytes: l.desc.size })
        .catch((err: unknown) => this.d.logger.warn({ component: 'registry', err }, 'recording layer origin failed'));
    }
    req.emit(status(`Digest: ${r.digest}`));
    // moby's LogImageEvent(FamiliarString(ref), FamiliarName(ref), "pull").
    this.d.events.publish('image', 'pull', familiarString(ref), { name: familiarName(ref) });
    return outcome.changed || downloadedAny;
  }

  private async undo(created: Array<{ kind: 'blob' | 'snapshot'; key: string }>): Promise<void> {
    for (const step of [...created].reverse()) {
      try {
        if (step.kind === 'snapshot') await this.d.snapshots.remove(step.key);
        else if (!this.d.store.isBlobReferenced(step.key) && (this.inUse.get(step.key) ?? 0) <= 1) await this.d.content.delete(step.key);
      } catch (err) {
        this.d.logger.warn({ component: 'registry', err }, 'removing a partly pulled layer failed');
      }
    }
  }
}
