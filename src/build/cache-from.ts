import { isDeepStrictEqual } from 'node:util';
import type { ContainerConfigJson, ContentStore, ImageConfigJson, ImageStore, Snapshots } from '../image/index.js';
import { writeImage } from '../image/index.js';

export interface CacheFromDeps {
  store: ImageStore;
  content: ContentStore;
  snapshots: Snapshots;
}

/**
 * `--cache-from`, as dockerd's image/cache ImageCache.GetCache for the legacy builder: a
 * source image can stand for the step when the stage's image so far is a prefix of it (the
 * same history entries and layers) and its next history entry was made by the same line
 * (`created_by`). The step's image is then made from the parent's layers plus the source's
 * next layer (none for an empty-layer entry), with the stage's own config, so no container
 * runs. This works for images pulled or loaded without the builder's local records, which
 * is what cache-from is for. `sources` is narrowed to the matching image, as dockerd sticks
 * to one target once it used it. Returns the new image's id, or undefined for a miss.
 */
export async function restoreFromSources(d: CacheFromDeps, sources: string[], parentId: string | undefined, createdBy: string, config: ContainerConfigJson): Promise<string | undefined> {
  const parentRec = parentId ? d.store.get(parentId) : undefined;
  if (parentId && !parentRec) return undefined;
  const parent = parentId ? d.store.config(parentId) : undefined;
  const parentHistory = parent?.history ?? [];
  const parentDiffs = parent?.rootfs.diff_ids ?? [];
  for (const target of sources) {
    const rec = d.store.get(target);
    if (!rec) continue;
    const t = d.store.config(target);
    const history = t.history ?? [];
    if (history.length <= parentHistory.length) continue;
    if (!parentHistory.every((h, i) => isDeepStrictEqual(h, history[i]))) continue;
    if (!parentDiffs.every((diff, i) => t.rootfs.diff_ids[i] === diff)) continue;
    const h = history[parentHistory.length]!;
    if (h.created_by !== createdBy) continue;
    const addsLayer = !h.empty_layer;
    if (addsLayer && t.rootfs.diff_ids.length <= parentDiffs.length) continue;
    const image: ImageConfigJson = {
      ...(parent ?? { architecture: t.architecture, os: t.os }),
      created: h.created ?? t.created,
      config,
      rootfs: { type: 'layers', diff_ids: addsLayer ? [...parentDiffs, t.rootfs.diff_ids[parentDiffs.length]!] : [...parentDiffs] },
      history: [...parentHistory, h],
    } as ImageConfigJson;
    delete (image as Record<string, unknown>).container_config;
    delete (image as Record<string, unknown>).container;
    const layerRecs = [...(parentRec?.layers ?? []), ...(addsLayer ? [rec.layers[parentDiffs.length]!] : [])];
    const layers = layerRecs.map((l) => () => d.content.open(l.blobDigest));
    const made = await d.store.lock.run('images', () => writeImage(d, Buffer.from(JSON.stringify(image)), layers, parentId ? { parent: parentId } : {}));
    sources.splice(0, sources.length, target);
    return made.id;
  }
  return undefined;
}
