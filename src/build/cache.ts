import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../errors/index.js';
import { chainIds, parseUntil, type ContentStore, type ImageService, type ImageStore, type Snapshots } from '../image/index.js';
import { readJson, writeJsonAtomic } from '../store/index.js';
import { checkFilterNames, type Filters, type Logger } from '../util/index.js';

/** One step's record, `<cacheDir>/<key>.json`. Records from before the usage fields carry only imageId. */
interface CacheRecordFile {
  imageId: string;
  description?: string;
  createdAt?: string;
  lastUsedAt?: string;
  usageCount?: number;
}

/** The Engine API's BuildCache object (`GET /system/df`), one per step record. */
export interface BuildCacheEntry {
  ID: string;
  Parents: string[] | null;
  Type: 'regular';
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

export interface BuildCacheDeps {
  dir: string;
  store: ImageStore;
  content: ContentStore;
  snapshots: Snapshots;
  images: Pick<ImageService, 'remove'>;
  logger: Logger;
}

/** How long use counts gather in memory before they are written (a build's lookups come together). */
const COUNT_FLUSH_DELAY_MS = 200;

export const BUILD_PRUNE_FILTERS = ['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private', 'label', 'label!'];

/**
 * The legacy builder's step cache: key → the image the step made. A record's image lives in
 * the image store as an untagged intermediate image; the record is what makes it "build
 * cache". An entry is Shared when its image is also kept by a tag (it is a tagged image or
 * one of its parents): pruning the record frees nothing then. InUse: a running build holds
 * it. `prune` drops records and then the images only they kept (untagged, no children, no
 * container), children first, so `builder prune` frees what `system df` counted.
 */
export class BuildCache {
  /** Images running builds hold (refcounted), which prune must not delete under them. */
  private readonly held = new Map<string, number>();

  /** Use counts being written (lookup does not wait for them). */
  private readonly counting = new Set<Promise<void>>();

  /**
   * Records by key, each read from its file once (absent ones too): later lookups answer from
   * memory. This class is the directory's only writer (save, the use counts, prune), so what
   * it holds stays the disk's truth.
   */
  private readonly known = new Map<string, Promise<CacheRecordFile | undefined>>();

  /** Keys whose use count changed in memory since it was last written. */
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: BuildCacheDeps) {}

  hold(imageId: string): void { this.held.set(imageId, (this.held.get(imageId) ?? 0) + 1); }

  release(imageId: string): void {
    const n = (this.held.get(imageId) ?? 0) - 1;
    if (n <= 0) this.held.delete(imageId); else this.held.set(imageId, n);
  }

  private file(key: string): string { return path.join(this.d.dir, `${key}.json`); }

  private record(key: string): Promise<CacheRecordFile | undefined> {
    let rec = this.known.get(key);
    if (!rec) {
      rec = readJson<CacheRecordFile>(this.file(key));
      this.known.set(key, rec);
      // A failed read is tried again by the next lookup rather than remembered.
      rec.catch(() => { if (this.known.get(key) === rec) this.known.delete(key); });
    }
    return rec;
  }

  /** The image of a step, when its record and its image are both there; counts the use. */
  async lookup(key: string): Promise<string | undefined> {
    const rec = await this.record(key);
    if (!rec || !this.d.store.get(rec.imageId)) return undefined;
    // The use is counted in memory and written shortly after, unsynced and in one batch: `builder
    // prune --filter until` and `system df -v` read it (they write pending counts first), and
    // losing a count in a crash costs nothing; a cached build waits for none of it.
    rec.lastUsedAt = new Date().toISOString();
    rec.usageCount = (rec.usageCount ?? 0) + 1;
    this.dirty.add(key);
    this.flushTimer ??= setTimeout(() => { this.flushTimer = undefined; void this.flushCounts(); }, COUNT_FLUSH_DELAY_MS).unref();
    return rec.imageId;
  }

  /** Writes the use counts changed in memory (each record replaced whole, unsynced). */
  private flushCounts(): Promise<void> {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    const keys = [...this.dirty];
    this.dirty.clear();
    if (keys.length === 0) return Promise.all([...this.counting]).then(() => undefined);
    const counting: Promise<void> = (async () => {
      for (const key of keys) {
        // A record pruned meanwhile is not written back.
        const rec = await this.known.get(key);
        if (rec) await writeJsonAtomic(this.file(key), rec, { sync: false });
      }
    })()
      .catch((err: unknown) => this.d.logger.warn({ component: 'build', err }, 'counting a build cache use failed'))
      .finally(() => this.counting.delete(counting));
    this.counting.add(counting);
    return Promise.all([...this.counting]).then(() => undefined);
  }

  async save(key: string, imageId: string, description: string): Promise<void> {
    await fsp.mkdir(this.d.dir, { recursive: true });
    const now = new Date().toISOString();
    const rec: CacheRecordFile = { imageId, description, createdAt: now, lastUsedAt: now, usageCount: 0 };
    await writeJsonAtomic(this.file(key), rec);
    this.known.set(key, Promise.resolve(rec));
    this.dirty.delete(key);
  }

  private async keysOnDisk(): Promise<string[]> {
    const names = await fsp.readdir(this.d.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    return names.filter((x) => /^[0-9a-f]{64}\.json$/.test(x)).sort().map((n) => n.slice(0, -5));
  }

  private async records(): Promise<Array<{ key: string; rec: CacheRecordFile; mtime: Date }>> {
    // Uses still being counted land first: df and prune read what the builds did.
    await this.flushCounts();
    const out = [];
    for (const key of await this.keysOnDisk()) {
      const rec = await readJson<CacheRecordFile>(this.file(key));
      const st = await fsp.stat(this.file(key)).catch(() => undefined);
      if (rec && st) out.push({ key, rec, mtime: st.mtime });
    }
    return out;
  }

  /** Images a tag keeps: tagged (or digest-referenced) images and all their parents. */
  private keptByTags(): Set<string> {
    const kept = new Set<string>();
    for (const img of this.d.store.list()) {
      const names = this.d.store.namesOf(img.id);
      if (names.tags.length + names.digests.length === 0) continue;
      for (let id: string | undefined = img.id; id && !kept.has(id); id = this.d.store.get(id)?.parent) kept.add(id);
    }
    return kept;
  }

  /** What the step added on disk: its layer (snapshot and blob) when it made one, and its config. */
  private async stepSize(imageId: string): Promise<number> {
    const img = this.d.store.get(imageId);
    if (!img) return 0;
    const parent = img.parent ? this.d.store.get(img.parent) : undefined;
    let n = await this.d.content.size(imageId).catch(() => 0);
    if (img.layers.length > (parent?.layers.length ?? 0)) {
      const chain = chainIds(img).at(-1)!;
      const st = await this.d.snapshots.stat(chain).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      n += (st ? st.usageBytes ?? st.sizeBytes : 0) + img.layers.at(-1)!.blobSizeBytes;
    }
    return n;
  }

  async usage(): Promise<BuildCacheEntry[]> {
    return this.entriesOf(await this.records());
  }

  private async entriesOf(list: Array<{ key: string; rec: CacheRecordFile; mtime: Date }>): Promise<BuildCacheEntry[]> {
    const kept = this.keptByTags();
    const byImage = new Map<string, string>();
    for (const { key, rec } of list) byImage.set(rec.imageId, key);
    const out: BuildCacheEntry[] = [];
    for (const { key, rec, mtime } of list) {
      const img = this.d.store.get(rec.imageId);
      const parentKey = img?.parent ? byImage.get(img.parent) : undefined;
      out.push({
        ID: key.slice(0, 25),
        Parents: parentKey ? [parentKey.slice(0, 25)] : null,
        Type: 'regular',
        Description: rec.description ?? '',
        InUse: this.held.has(rec.imageId),
        Shared: kept.has(rec.imageId),
        Size: img ? await this.stepSize(rec.imageId) : 0,
        CreatedAt: rec.createdAt ?? mtime.toISOString(),
        LastUsedAt: rec.lastUsedAt ?? null,
        UsageCount: rec.usageCount ?? 0,
      });
    }
    return out;
  }

  /**
   * `POST /build/prune`: without `all` the records no tag shares (BuildKit's rule for
   * "dangling" cache), with it every record a build is not using; `until` keeps what was used
   * more recently, as dockerd turns it into BuildKit's keep-duration.
   */
  async prune(opts: { all: boolean; filters: Filters; keepBytes?: number }): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    checkFilterNames(opts.filters, BUILD_PRUNE_FILTERS);
    const f = opts.filters;
    const until = f.get('until')?.map(parseUntil);
    // One listing for both, so an entry and its record stay paired while builds add records.
    const records = await this.records();
    const entries = await this.entriesOf(records);
    const chosen = records.filter(({ key, rec }, i) => {
      const e = entries[i]!;
      if (e.InUse) return false;
      if (!opts.all && e.Shared && !f.has('shared')) return false;
      const lastUsed = Date.parse(e.LastUsedAt ?? e.CreatedAt);
      if (until && !until.every((t) => lastUsed < t)) return false;
      if (f.has('id') && !f.get('id')!.some((v) => key.startsWith(v))) return false;
      if (f.has('description') && !f.get('description')!.some((v) => (rec.description ?? '').includes(v))) return false;
      if (f.has('type') && !f.get('type')!.includes('regular')) return false;
      if (f.has('shared') && !e.Shared) return false;
      if (f.has('private') && e.Shared) return false;
      if (f.has('inuse')) return false;
      return true;
    });
    if (opts.keepBytes) {
      // keep-storage: the most recently used stay while the cache is within the limit; the
      // oldest of the chosen go first (BuildKit's keepBytes).
      const sizeOf = (key: string): number => entries[records.findIndex((r) => r.key === key)]!.Size;
      let total = entries.filter((e) => !e.Shared).reduce((n, e) => n + e.Size, 0);
      const lastUsed = (key: string): number => { const e = entries[records.findIndex((r) => r.key === key)]!; return Date.parse(e.LastUsedAt ?? e.CreatedAt); };
      chosen.sort((a, b) => lastUsed(a.key) - lastUsed(b.key));
      let n = 0;
      while (n < chosen.length && total > opts.keepBytes) { total -= sizeOf(chosen[n]!.key); n++; }
      chosen.splice(n);
    }
    let reclaimed = 0;
    const candidates = new Map<string, number>();
    for (const { key, rec } of chosen) {
      candidates.set(rec.imageId, entries[records.findIndex((r) => r.key === key)]!.Size);
      await fsp.rm(this.file(key), { force: true });
      this.known.delete(key);
      this.dirty.delete(key);
    }
    const stillCached = new Set((await this.records()).map((r) => r.rec.imageId));
    // Children first: an image with a child (another step's image) is deleted once the child is.
    for (let progress = true; progress;) {
      progress = false;
      for (const [id, size] of candidates) {
        if (!this.d.store.get(id)) { candidates.delete(id); continue; }
        const names = this.d.store.namesOf(id);
        if (stillCached.has(id) || names.tags.length + names.digests.length > 0) { candidates.delete(id); continue; }
        if (this.d.store.list().some((o) => o.parent === id)) continue;
        try {
          await this.d.images.remove(id, { noPrune: true });
          reclaimed += size;
        } catch (err) {
          // A container still uses it: the record goes, the image stays (it is no cache any more).
          if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
        }
        candidates.delete(id);
        progress = true;
        // The empty base a FROM scratch stage made for its first step has no record of its own.
        const parent = this.d.store.get(id)?.parent ?? undefined;
        const p = parent ? this.d.store.get(parent) : undefined;
        if (p && p.layers.length === 0 && !stillCached.has(p.id) && !candidates.has(p.id)) candidates.set(p.id, 0);
      }
    }
    const deleted = chosen.map((c) => c.key.slice(0, 25));
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}
