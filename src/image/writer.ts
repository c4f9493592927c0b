import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { ContentStore } from './content.js';
import { decompressed } from './decompress.js';
import { chainIdOf, type Snapshots } from './snapshots.js';
import type { ImageStore } from './store.js';
import { MEDIA_TYPE, type ImageConfigJson, type ImageRecord, type LayerRecord } from './types.js';

/** Opens one layer's tar (plain or gzip) when the writer needs its bytes. */
export type LayerSource = () => Promise<Readable> | Readable;

/**
 * Stores one image: its layers as uncompressed blobs (digest = diffId, so `save` can write them
 * back byte for byte) and as snapshots, then its config blob and record. Layers the store
 * already has are not read at all. On any failure every blob and snapshot this call created is
 * removed again, in reverse order: the store is left as it was.
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
  try {
    const records: LayerRecord[] = [];
    let parent: string | undefined;
    for (const [i, open] of layers.entries()) {
      const diffId = diffIds[i]!;
      const chainId = chainIdOf(parent, diffId);
      if (!(await deps.content.has(diffId))) {
        await deps.content.ingest(await decompressed(await open()), { expected: diffId, signal: opts.signal })
          .catch((err: unknown) => { throw layerError(i, diffId, err); });
        undo.push(() => deps.content.delete(diffId));
      }
      if (!(await deps.snapshots.has(chainId))) {
        await deps.snapshots.applyLayer(parent, deps.content.open(diffId), { expectedDiffId: diffId, signal: opts.signal });
        undo.push(() => deps.snapshots.remove(chainId));
      }
      records.push({ diffId, blobDigest: diffId, mediaType: MEDIA_TYPE.ociLayer, blobSizeBytes: await deps.content.size(diffId) });
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

function layerError(i: number, diffId: string, err: unknown): Error {
  if (err instanceof InvalidArgumentError && err.message.startsWith('digest mismatch')) {
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
