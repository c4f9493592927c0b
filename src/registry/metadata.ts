/**
 * Which compressed blob a layer was pulled from or pushed as, per repository (moby's
 * V2MetadataService): `distribution/v2metadata.json` in the data-root maps a diffId to
 * `{digest, repository}` pairs. Push uses it to skip layers a registry already has and to
 * mount them from another repository of the same registry instead of uploading again.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { KeyedLock, readJson, writeJsonAtomic } from '../store/index.js';

export interface BlobOrigin {
  /** Digest of the compressed blob in the registry. */
  digest: string;
  /** Full repository name: "127.0.0.1:5000/app", "docker.io/library/busybox". */
  repository: string;
  mediaType: string;
  sizeBytes: number;
}

const MAX_PER_LAYER = 50;

export class DistributionMetadata {
  private byDiffId = new Map<string, BlobOrigin[]>();
  private readonly lock = new KeyedLock();
  private readonly file: string;

  constructor(dir: string) { this.file = path.join(dir, 'v2metadata.json'); }

  async init(): Promise<void> {
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    const json = await readJson<Record<string, BlobOrigin[]>>(this.file);
    this.byDiffId = new Map(Object.entries(json ?? {}));
  }

  origins(diffId: string): BlobOrigin[] { return [...(this.byDiffId.get(diffId) ?? [])]; }

  async add(diffId: string, origin: BlobOrigin): Promise<void> {
    const list = (this.byDiffId.get(diffId) ?? []).filter((o) => !(o.digest === origin.digest && o.repository === origin.repository));
    list.unshift(origin);
    this.byDiffId.set(diffId, list.slice(0, MAX_PER_LAYER));
    await this.save();
  }

  async remove(diffId: string, origin: Pick<BlobOrigin, 'digest' | 'repository'>): Promise<void> {
    const list = (this.byDiffId.get(diffId) ?? []).filter((o) => !(o.digest === origin.digest && o.repository === origin.repository));
    if (list.length) this.byDiffId.set(diffId, list); else this.byDiffId.delete(diffId);
    await this.save();
  }

  private save(): Promise<void> {
    return this.lock.run('file', () => writeJsonAtomic(this.file, Object.fromEntries(this.byDiffId)));
  }
}
