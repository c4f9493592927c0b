import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ContentStore, ImageConfigJson, ImageStore, Snapshots } from '../image/index.js';
import { applyChanges, ingestCompressed, writeImage, type LayerSource } from '../image/index.js';
import { isOverlayWhiteoutStat } from './whiteout-stat.js';

/** `GET /containers/{id}/changes`: Kind 0 modified, 1 added, 2 deleted, as Docker's overlay2 reports. */
export async function changes(upper: string, lowerDirs: string[]): Promise<Array<{ Path: string; Kind: number }>> {
  const out: Array<{ Path: string; Kind: number }> = [];
  const inLower = async (rel: string) => {
    for (const l of lowerDirs) if (await fsp.lstat(path.join(l, rel)).then(() => true, () => false)) return true;
    return false;
  };
  const walk = async (rel: string): Promise<void> => {
    const entries = await fsp.readdir(path.join(upper, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const r = path.join(rel, e.name);
      const st = await fsp.lstat(path.join(upper, r));
      if (isOverlayWhiteoutStat(st)) { out.push({ Path: `/${r}`, Kind: 2 }); continue; }
      out.push({ Path: `/${r}`, Kind: (await inLower(r)) ? 0 : 1 });
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

/**
 * `docker commit`: the container's changes become one new layer on top of its image's layers;
 * the config is the container's, with `changes` applied, and one more history entry.
 */
export async function commit(
  deps: { content: ContentStore; snapshots: Snapshots; store: ImageStore },
  o: { diff: () => Readable; imageId: string; containerConfig: ImageConfigJson['config']; changes: string[]; comment: string; author: string; createdBy: string; created?: string },
): Promise<string> {
  const base = deps.store.config(o.imageId);
  const rec = deps.store.get(o.imageId)!;
  // The diff is gzipped once, as the layer's blob; the snapshot is extracted from it (ADR 0022).
  const { diffId, blob } = await ingestCompressed(deps.content, o.diff());
  const now = o.created ?? new Date().toISOString();
  const config: ImageConfigJson = {
    ...base,
    created: now,
    ...(o.author ? { author: o.author } : {}),
    ...(o.comment ? { comment: o.comment } : {}),
    config: applyChanges(o.containerConfig ?? {}, o.changes),
    rootfs: { type: 'layers', diff_ids: [...base.rootfs.diff_ids, diffId] },
    history: [...(base.history ?? []), { created: now, created_by: o.createdBy, ...(o.author ? { author: o.author } : {}), ...(o.comment ? { comment: o.comment } : {}) }],
  };
  delete (config as Record<string, unknown>).container_config;
  const layers: LayerSource[] = [...rec.layers, blob];
  try {
    const img = await writeImage(deps, Buffer.from(JSON.stringify(config)), layers, { parent: o.imageId });
    return img.id;
  } catch (err) {
    if (!deps.store.isBlobReferenced(blob.blobDigest)) await deps.content.delete(blob.blobDigest).catch(() => undefined);
    throw err;
  }
}

export async function drain(src: Readable, dst: NodeJS.WritableStream): Promise<void> {
  await pipeline(src, dst);
}
