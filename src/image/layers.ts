/**
 * How a layer is kept (ADR 0022, containerd's model): its compressed blob in the content store
 * (as pulled, or a gzip made once when the layer is made here) beside its extracted snapshot.
 * No uncompressed copy is kept: `save` gunzips the blob, push uploads it as it is.
 * Data-roots of ADR 0003 hold layers as uncompressed blobs (blobDigest = diffId); those are
 * still read, and `compactLegacyLayers` rewrites them as gzip.
 */
import { Readable, Transform, Writable, pipeline as pipelineCb } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { InvalidArgumentError } from '../errors/index.js';
import { HashingStream, type ContentStore } from './content.js';
import { decompressed, detectCompression, peek } from './decompress.js';
import type { Snapshots } from './snapshots.js';
import { coalesce, tee } from './streams.js';
import { MEDIA_TYPE, type LayerRecord } from './types.js';

/** A layer's blob as stored: what an image record keeps of each layer besides its diffId. */
export type LayerBlob = Omit<LayerRecord, 'diffId'>;

/** gzip level of the blobs made here: zlib's default, as docker push compresses. */
const GZIP_LEVEL = 6;
const CHUNK_BYTES = 256 * 1024;

/** True for a blob kept uncompressed (ADR 0003's layout, or a registry's uncompressed layer). */
export function isUncompressed(layer: LayerRecord): boolean {
  return layer.blobDigest === layer.diffId;
}

/**
 * Stores one layer from `source` (tar or tar+gzip) in one pass: the bytes are teed to the
 * content store (as they are when gzip, gzipped once when plain) and to the snapshot's
 * extraction, which checks the diffId. When the chain's snapshot exists already, only the
 * blob is written and the diffId is checked on the side. Nothing is committed unless both
 * sides succeed; the caller undoes what the returned result names on a later failure.
 */
export async function storeLayer(
  deps: { content: ContentStore; snapshots: Snapshots; isReferenced: (blobDigest: string) => boolean },
  parent: string | undefined,
  diffId: string,
  source: Readable,
  opts: { signal?: AbortSignal; chainId: string },
): Promise<{ blob: LayerBlob; appliedSnapshot: boolean }> {
  const head = await peek(source);
  const kind = detectCompression(head.first);
  if (kind !== 'gzip' && kind !== 'none') {
    head.stream.destroy();
    throw new InvalidArgumentError(`unsupported compression format ${kind}: berth reads uncompressed and gzip tar streams`);
  }
  // Callback-form pipelines: an error anywhere destroys every stage, so it reaches both sides.
  const [toStore, toSnapshot] = tee(pipelineCb(head.stream, coalesce(), () => undefined));
  const plainBytes = new ByteCounter();
  const stored = kind === 'gzip' ? toStore : pipelineCb(toStore, plainBytes, createGzip({ level: GZIP_LEVEL, chunkSize: CHUNK_BYTES }), () => undefined);
  const ingesting = deps.content.ingest(stored, { signal: opts.signal });
  ingesting.catch(() => undefined);
  const hasSnapshot = await deps.snapshots.has(opts.chainId);
  let tarBytes: number | undefined;
  try {
    if (hasSnapshot) {
      tarBytes = await verifyDiffId(toSnapshot, diffId, opts.signal);
    } else {
      const applied = await deps.snapshots.applyLayer(parent, toSnapshot, { expectedDiffId: diffId, signal: opts.signal, commitAfter: ingesting });
      tarBytes = applied.tarBytes;
    }
  } catch (err) {
    toStore.destroy();
    const info = await ingesting.catch(() => undefined);
    // The blob may have been committed before extraction failed; it names nothing yet.
    if (info && !deps.isReferenced(info.digest)) await deps.content.delete(info.digest).catch(() => undefined);
    throw err;
  }
  const info = await ingesting;
  const mediaType = MEDIA_TYPE.ociLayerGzip;
  return {
    blob: { blobDigest: info.digest, mediaType, blobSizeBytes: info.sizeBytes, ...(tarBytes !== undefined ? { diffSizeBytes: tarBytes } : kind === 'none' ? { diffSizeBytes: plainBytes.bytes } : {}) },
    appliedSnapshot: !hasSnapshot,
  };
}

/**
 * A tar made here (a container's diff for commit and build) as a gzip blob, its diffId
 * hashed on the way: the one compression a local layer ever gets.
 */
export async function ingestCompressed(content: ContentStore, tar: Readable, signal?: AbortSignal): Promise<{ diffId: string; blob: LayerBlob }> {
  const hasher = new HashingStream();
  const gzip = pipelineCb(tar, coalesce(), hasher, createGzip({ level: GZIP_LEVEL, chunkSize: CHUNK_BYTES }), () => undefined);
  // The ingest reads the gzip to its end, so the hasher before it has seen every byte.
  const info = await content.ingest(gzip, { signal });
  return { diffId: hasher.digest(), blob: { blobDigest: info.digest, mediaType: MEDIA_TYPE.ociLayerGzip, blobSizeBytes: info.sizeBytes, diffSizeBytes: hasher.sizeBytes } };
}

/** The uncompressed tar of a stored layer (gunzipped when its blob is gzip). */
export function openUncompressed(content: ContentStore, layer: LayerRecord): Readable {
  const raw = content.open(layer.blobDigest);
  if (isUncompressed(layer)) return raw;
  return pipelineCb(raw, createGunzip({ chunkSize: CHUNK_BYTES }), () => undefined);
}

/** The size of a layer's uncompressed tar: recorded, or counted by reading it once. */
export async function uncompressedSize(content: ContentStore, layer: LayerRecord, signal?: AbortSignal): Promise<number> {
  if (isUncompressed(layer)) return content.size(layer.blobDigest);
  if (layer.diffSizeBytes !== undefined) return layer.diffSizeBytes;
  let bytes = 0;
  await pipeline(openUncompressed(content, layer), new Writable({ write(c: Buffer, _e, cb) { bytes += c.length; cb(); } }), { signal });
  return bytes;
}

/** Reads a tar (plain or gzip) to its end and checks its digest; returns its size. */
async function verifyDiffId(tar: Readable, diffId: string, signal?: AbortSignal): Promise<number> {
  const hasher = new HashingStream();
  await pipeline(await decompressed(tar, { chunkBytes: CHUNK_BYTES }), hasher, new Writable({ write(_c, _e, cb) { cb(); } }), { signal });
  const actual = hasher.digest();
  if (actual !== diffId) throw new InvalidArgumentError(`digest mismatch: expected ${diffId}, got ${actual}`);
  return hasher.sizeBytes;
}

/** Counts the bytes passing through. */
class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}
