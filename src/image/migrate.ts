import { isErrno } from '../errors/index.js';
import type { Logger } from '../util/index.js';
import type { ContentStore } from './content.js';
import { ingestCompressed, isUncompressed } from './layers.js';
import type { ImageStore } from './store.js';
import type { LayerRecord } from './types.js';

/**
 * Rewrites layers that ADR 0003's layout keeps as uncompressed blobs (blobDigest = diffId) as
 * gzip blobs (ADR 0022), one layer at a time: gzip outside the lock, then under the images
 * lock point every record at the new blob and delete the old one. A layer some image already
 * keeps compressed just reuses that blob. Images stay usable throughout (save, push and run
 * read either form); a layer removed meanwhile is skipped; an abort stops between layers.
 * Returns how many layers were rewritten and the bytes freed.
 */
export async function compactLegacyLayers(
  deps: { content: ContentStore; store: ImageStore; logger: Logger },
  signal?: AbortSignal,
): Promise<{ layers: number; freedBytes: number }> {
  const legacy = new Set<string>();
  for (const rec of deps.store.list()) for (const l of rec.layers) if (isUncompressed(l)) legacy.add(l.diffId);
  let layers = 0;
  let freedBytes = 0;
  for (const diffId of legacy) {
    if (signal?.aborted) break;
    let replacement = await compressedLayerOf(deps, diffId);
    let made = false;
    if (!replacement) {
      try {
        const r = await ingestCompressed(deps.content, deps.content.open(diffId), signal);
        if (r.diffId !== diffId) {
          // The stored tar no longer hashes to its name: leave it for a human (and `save` refuses it).
          deps.logger.warn({ component: 'image', digest: diffId, got: r.diffId }, 'legacy layer blob is corrupt; not rewritten');
          if (!deps.store.isBlobReferenced(r.blob.blobDigest)) await deps.content.delete(r.blob.blobDigest);
          continue;
        }
        replacement = { diffId, ...r.blob };
        made = true;
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue; // the layer's image was deleted meanwhile
        if (signal?.aborted) break;
        throw err;
      }
    }
    const freed = await deps.store.lock.run('images', async () => {
      let changed = false;
      for (const rec of deps.store.list()) {
        if (!rec.layers.some((l) => l.diffId === diffId && isUncompressed(l))) continue;
        const updated = { ...rec, layers: rec.layers.map((l) => (l.diffId === diffId && isUncompressed(l) ? { ...replacement } : l)) };
        await deps.store.put(updated, deps.store.config(rec.id));
        changed = true;
      }
      if (!changed && made && !deps.store.isBlobReferenced(replacement.blobDigest)) {
        await deps.content.delete(replacement.blobDigest);
        return 0;
      }
      if (deps.store.isBlobReferenced(diffId)) return 0;
      const size = await deps.content.size(diffId).catch(() => 0);
      await deps.content.delete(diffId);
      return size;
    });
    if (freed > 0) layers++;
    freedBytes += freed;
  }
  if (layers > 0) deps.logger.info({ component: 'image', layers, freedBytes }, 'rewrote uncompressed layer blobs as gzip (ADR 0022)');
  return { layers, freedBytes };
}

async function compressedLayerOf(deps: { content: ContentStore; store: ImageStore }, diffId: string): Promise<LayerRecord | undefined> {
  const l = deps.store.layerOf(diffId);
  return l && !isUncompressed(l) && (await deps.content.has(l.blobDigest)) ? { ...l } : undefined;
}
