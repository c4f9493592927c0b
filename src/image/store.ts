import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { KeyedLock, readJson, writeJsonAtomic, mkdirAll } from '../store/index.js';
import type { Logger } from '../util/index.js';
import type { ContentStore } from './content.js';
import { familiarString, parseNormalizedNamed, toString as refString, withDefaultTag, type Reference } from './reference.js';
import { Repositories } from './repositories.js';
import type { ImageConfigJson, ImageRecord, LayerRecord } from './types.js';

const HEX64 = /^[a-f0-9]{64}$/;

/**
 * Image records (`images/<hex>.json`, id = config digest) and the references that name them.
 * Records are indexed in memory at start; every change is written atomically first.
 */
export class ImageStore {
  private readonly records = new Map<string, ImageRecord>();
  private readonly configs = new Map<string, ImageConfigJson>();
  readonly repositories: Repositories;
  /** Serialises changes to the set of images (load, import, delete, prune). */
  readonly lock = new KeyedLock();

  constructor(private readonly dir: string, private readonly content: ContentStore, private readonly logger: Logger) {
    this.repositories = new Repositories(path.join(dir, 'repositories.json'));
  }

  async init(): Promise<void> {
    await mkdirAll(this.dir);
    await this.repositories.load();
    for (const name of await fsp.readdir(this.dir)) {
      if (name.startsWith('.tmp-')) { await fsp.rm(path.join(this.dir, name), { force: true }); continue; }
      if (!name.endsWith('.json') || !HEX64.test(name.slice(0, -5))) continue;
      const rec = await readJson<ImageRecord>(path.join(this.dir, name));
      if (!rec) continue;
      try {
        this.configs.set(rec.id, JSON.parse((await this.content.read(rec.id)).toString('utf8')) as ImageConfigJson);
        this.records.set(rec.id, rec);
      } catch (err) {
        // A record whose config blob is gone or corrupt cannot be served; keep the file for
        // a human to look at, but do not index it.
        this.logger.warn({ component: 'image', digest: rec.id, err }, 'skipping image with unreadable config');
      }
    }
  }

  list(): ImageRecord[] { return [...this.records.values()]; }

  /**
   * A layer with this diffId as some image keeps it, a compressed blob preferred over an
   * uncompressed one (ADR 0003's layout).
   */
  layerOf(diffId: string): LayerRecord | undefined {
    let found: LayerRecord | undefined;
    for (const rec of this.records.values()) {
      for (const l of rec.layers) {
        if (l.diffId !== diffId) continue;
        if (l.blobDigest !== l.diffId) return l;
        found ??= l;
      }
    }
    return found;
  }

  /** Whether any image keeps `digest` as its config or as a layer blob. */
  isBlobReferenced(digest: string): boolean {
    if (this.records.has(digest)) return true;
    for (const rec of this.records.values()) if (rec.layers.some((l) => l.blobDigest === digest)) return true;
    return false;
  }
  get(id: string): ImageRecord | undefined { return this.records.get(id); }

  config(id: string): ImageConfigJson {
    const c = this.configs.get(id);
    if (!c) throw new NotFoundError(`No such image: ${id}`);
    return c;
  }

  async put(rec: ImageRecord, config: ImageConfigJson): Promise<void> {
    await writeJsonAtomic(this.recordPath(rec.id), rec);
    this.records.set(rec.id, rec);
    this.configs.set(rec.id, config);
  }

  async delete(id: string): Promise<void> {
    await fsp.rm(this.recordPath(id), { force: true });
    this.records.delete(id);
    this.configs.delete(id);
  }

  /**
   * Finds an image as Docker's GetImage does: a full id (`sha256:<hex>` or 64 hex), then a
   * reference (tag defaulting to latest, or digest), then a unique id prefix.
   */
  resolve(refOrId: string): ImageRecord {
    const found = this.lookup(refOrId);
    if (found) return found;
    throw new NotFoundError(`No such image: ${this.displayName(refOrId)}`);
  }

  lookup(refOrId: string): ImageRecord | undefined {
    const s = refOrId.trim();
    if (s.startsWith('sha256:') && HEX64.test(s.slice(7))) return this.records.get(s);
    if (HEX64.test(s)) return this.records.get(`sha256:${s}`);
    let ref: Reference | undefined;
    try { ref = parseNormalizedNamed(s); } catch { ref = undefined; }
    if (ref) {
      const id = this.repositories.get(refString(withDefaultTag(ref)));
      if (id && this.records.has(id)) return this.records.get(id);
    }
    const prefix = s.startsWith('sha256:') ? s.slice(7) : s;
    if (/^[a-f0-9]+$/.test(prefix)) {
      const matches = [...this.records.keys()].filter((id) => id.slice(7).startsWith(prefix));
      if (matches.length === 1) return this.records.get(matches[0]!);
      if (matches.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${prefix}`);
    }
    return undefined;
  }

  /** The name an error shows: `foo:latest` for a reference, the string itself otherwise. */
  displayName(refOrId: string): string {
    try {
      if (/^(sha256:)?[a-f0-9]+$/.test(refOrId)) return refOrId;
      return familiarString(withDefaultTag(parseNormalizedNamed(refOrId)));
    } catch {
      return refOrId;
    }
  }

  /** Points a reference at an image; returns the image that lost it (now maybe dangling). */
  async tag(ref: Reference, id: string): Promise<string | undefined> {
    if (ref.digest && !ref.tag) throw new InvalidArgumentError('refusing to create a tag with a digest reference');
    const rec = this.records.get(id);
    if (!rec) throw new NotFoundError(`No such image: ${id}`);
    const old = await this.repositories.set(refString(ref), id);
    const updated = { ...rec, lastTagTime: new Date().toISOString() };
    // The record's new bytes are synced before the rename, the directory is not: after a power
    // loss the record is the old one or the new one, whole either way, and only LastTagTime can
    // be older (dockerd's lastUpdated write is the same: file synced, directory not).
    await writeJsonAtomic(this.recordPath(id), updated, { syncDir: false });
    this.records.set(id, updated);
    return old;
  }

  /** Records `name@digest` for an image (its RepoDigests), as a pull or push does. */
  async addDigestReference(ref: Reference, id: string): Promise<void> {
    if (!ref.digest) throw new InvalidArgumentError('a digest reference needs a digest');
    if (!this.records.has(id)) throw new NotFoundError(`No such image: ${id}`);
    await this.repositories.set(refString({ domain: ref.domain, path: ref.path, digest: ref.digest }), id);
  }

  async untag(refString: string): Promise<boolean> {
    return this.repositories.delete(refString);
  }

  /** Full reference strings naming `id`, split into tags and digests. */
  namesOf(id: string): { tags: string[]; digests: string[] } {
    const refs = this.repositories.refsOf(id);
    return { tags: refs.filter((r) => !r.includes('@')), digests: refs.filter((r) => r.includes('@')) };
  }

  private recordPath(id: string): string {
    if (!id.startsWith('sha256:') || !HEX64.test(id.slice(7))) throw new InvalidArgumentError(`invalid image id: ${id}`);
    return path.join(this.dir, `${id.slice(7)}.json`);
  }
}

