import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { ContentStore } from './content.js';
import { isUncompressed, openUncompressed, storeLayer, type LayerBlob } from './layers.js';
import { chainIdOf, type Snapshots } from './snapshots.js';
import type { ImageStore } from './store.js';
import { type ImageConfigJson, type ImageRecord, type LayerRecord } from './types.js';

/**
 * One layer of an image being written: a function opening its tar (plain or gzip) when its
 * bytes are needed, or a blob already in the content store (a pull stored it).
 */
export type LayerSource = (() => Promise<Readable> | Readable) | LayerBlob;

/**
 * Stores one image: each layer as a compressed blob plus its snapshot (ADR 0022), then its
 * config blob and record. A layer whose blob the store has (any image with that diffId) is
 * not read at all; one whose snapshot is missing is extracted from that blob. A new layer
 * is read once, stored and extracted in the same pass. On any failure every blob and
 * snapshot this call created is removed again, in reverse order: the store is left as it was.
 * Callers hold `store.lock` ('images').
 */
export async function writeImage(
  deps: { content: ContentStore; snapshots: Snapshots; store: ImageStore },
  configBytes: Buffer,
  layers: readonly LayerSource[],
  opts: { signal?: AbortSignal; parent?: string } = {},
): Promise<ImageRecord> {
  const config = parseConfig(configBytes);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== layers.length) {
    throw new InvalidArgumentError(`invalid image: the config lists ${diffIds.length} layers but ${layers.length} were given`);
  }
  const id = `sha256:${createHash('sha256').update(configBytes).digest('hex')}`;
  const undo: Array<() => Promise<void>> = [];
  const created = new Set<string>();
  const isReferenced = (digest: string) => deps.store.isBlobReferenced(digest);
  try {
    const records: LayerRecord[] = [];
    let parent: string | undefined;
    for (const [i, source] of layers.entries()) {
      const diffId = diffIds[i]!;
      const chainId = chainIdOf(parent, diffId);
      let blob = await knownBlob(deps, diffId, typeof source === 'function' ? undefined : source, records);
      if (!blob) {
        if (typeof source !== 'function') throw new NotFoundError(`layer blob ${source.blobDigest} not found`);
        const stored = await storeLayer({ ...deps, isReferenced }, parent, diffId, await source(), { signal: opts.signal, chainId })
          .catch((err: unknown) => { throw layerError(i, diffId, err); });
        blob = stored.blob;
        if (!isReferenced(blob.blobDigest) && !created.has(blob.blobDigest)) {
          created.add(blob.blobDigest);
          const digest = blob.blobDigest;
          undo.push(() => deps.content.delete(digest));
        }
        if (stored.appliedSnapshot) undo.push(() => deps.snapshots.remove(chainId));
      } else if (!(await deps.snapshots.has(chainId))) {
        const applied = await deps.snapshots.applyLayer(parent, openUncompressed(deps.content, { diffId, ...blob }), { expectedDiffId: diffId, signal: opts.signal })
          .catch((err: unknown) => { throw layerError(i, diffId, err); });
        undo.push(() => deps.snapshots.remove(chainId));
        if (blob.diffSizeBytes === undefined && applied.tarBytes !== undefined) blob = { ...blob, diffSizeBytes: applied.tarBytes };
      }
      if (blob.diffSizeBytes === undefined && !isUncompressed({ diffId, ...blob })) {
        const tarBytes = (await deps.snapshots.stat(chainId)).tarBytes;
        if (tarBytes !== undefined) blob = { ...blob, diffSizeBytes: tarBytes };
      }
      records.push({ diffId, ...blob });
      parent = chainId;
    }
    if (!(await deps.content.has(id))) {
      await deps.content.put(configBytes, id);
      undo.push(() => deps.content.delete(id));
    }
    const existing = deps.store.get(id);
    const rec: ImageRecord = existing ?? { id, layers: records, loadedAt: new Date().toISOString(), ...(opts.parent ? { parent: opts.parent } : {}) };
    if (!existing) await deps.store.put(rec, config);
    return rec;
  } catch (err) {
    for (const step of undo.reverse()) {
      // Each undo step is idempotent; one failing must not keep the others from running.
      await step().catch(() => undefined);
    }
    throw err;
  }
}

/**
 * The stored blob of a layer, if there is one: the one given (when the content store has it),
 * else the one any image (or an earlier layer of this one) keeps for that diffId.
 */
async function knownBlob(deps: { content: ContentStore; store: ImageStore }, diffId: string, given: LayerBlob | undefined, earlier: LayerRecord[]): Promise<LayerBlob | undefined> {
  const candidates = [given, earlier.find((l) => l.diffId === diffId), deps.store.layerOf(diffId)];
  for (const c of candidates) {
    if (!c) continue;
    if (await deps.content.has(c.blobDigest)) {
      const { blobDigest, mediaType, blobSizeBytes, diffSizeBytes } = c;
      return { blobDigest, mediaType, blobSizeBytes, ...(diffSizeBytes !== undefined ? { diffSizeBytes } : {}) };
    }
  }
  return undefined;
}

function layerError(i: number, diffId: string, err: unknown): Error {
  if (err instanceof InvalidArgumentError && /digest mismatch|diffId mismatch/.test(err.message)) {
    return new InvalidArgumentError(`layer ${i + 1} does not match its diffID ${diffId} in the image config: ${err.message}`, { cause: err });
  }
  if (err instanceof NotFoundError) return err;
  if (err instanceof Error && !(err instanceof InvalidArgumentError) && /unexpected end|invalid|incorrect header|zlib/i.test(err.message)) {
    return new InvalidArgumentError(`layer ${i + 1} is corrupt: ${err.message}`, { cause: err });
  }
  return err as Error;
}

/** Parses and checks an image config enough to store it. */
export function parseConfig(bytes: Buffer): ImageConfigJson {
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch (err) {
    throw new InvalidArgumentError(`invalid image config: ${(err as Error).message}`, { cause: err });
  }
  const c = json as ImageConfigJson;
  if (typeof c !== 'object' || c === null || typeof c.rootfs !== 'object' || c.rootfs === null || !Array.isArray(c.rootfs.diff_ids)) {
    throw new InvalidArgumentError('invalid image config: rootfs.diff_ids is missing');
  }
  for (const d of c.rootfs.diff_ids) {
    if (typeof d !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d)) throw new InvalidArgumentError(`invalid image config: bad diff_id ${JSON.stringify(d)}`);
  }
  if (typeof c.os !== 'string' || typeof c.architecture !== 'string') throw new InvalidArgumentError('invalid image config: os and architecture are required');
  return c;
}
