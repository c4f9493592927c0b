import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../util/index.js';
import { boolFilter, checkFilterNames, globMatch, matchLabels, type Filters } from '../util/index.js';
import type { ContentStore } from './content.js';
import { familiarString, parseNormalizedNamed, parseRepositoryTag, withDefaultTag } from './reference.js';
import { chainIdOf, type Snapshots } from './snapshots.js';
import type { ImageStore } from './store.js';
import { repoOf } from './repositories.js';
import type { HistoryEntry, ImageConfigJson, ImageRecord, ImageSummary } from './types.js';

/** Who uses an image: containers, once they exist. */
export type ImageUsers = (imageId: string) => Array<{ containerId: string; isRunning: boolean }>;

export interface ImageServiceDeps {
  store: ImageStore;
  content: ContentStore;
  snapshots: Snapshots;
  events: EventBus;
  logger: Logger;
  snapshotRoot: string;
  /** The containers using an image (the container store answers): `rmi` refuses to delete those. */
  users: ImageUsers;
}

export type DeleteResponseItem = { Untagged: string } | { Deleted: string };

/** The image-side operations behind `/images/*`: list, inspect, history, tag, delete, prune. */
export class ImageService {
  private readonly users: ImageUsers;

  constructor(private readonly d: ImageServiceDeps) {
    this.users = d.users;
  }

  async list(opts: { all?: boolean; filters?: Filters; digests?: boolean } = {}): Promise<ImageSummary[]> {
    const filters: Filters = opts.filters ?? new Map<string, string[]>();
    checkFilterNames(filters, ['dangling', 'label', 'before', 'since', 'reference', 'until']);
    const dangling = boolFilter(filters, 'dangling');
    const before = filters.get('before')?.map((r) => this.createdOf(this.d.store.resolve(r)));
    const since = filters.get('since')?.map((r) => this.createdOf(this.d.store.resolve(r)));
    const refs = filters.get('reference');
    const out: ImageSummary[] = [];
    // As dockerd: without `all`, untagged images that are the parent of another (a build's
    // intermediate steps) are not listed.
    const parents = new Set(this.d.store.list().map((r) => r.parent).filter((p): p is string => p !== undefined));
    for (const rec of this.d.store.list()) {
      const cfg = this.d.store.config(rec.id);
      const { tags, digests } = this.d.store.namesOf(rec.id);
      if (!opts.all && tags.length === 0 && digests.length === 0 && parents.has(rec.id)) continue;
      const created = this.createdOf(rec);
      if (dangling !== undefined && dangling !== (tags.length === 0)) continue;
      if (!matchLabels(filters.get('label'), cfg.config?.Labels)) continue;
      if (before && !before.every((t) => created < t)) continue;
      if (since && !since.every((t) => created > t)) continue;
      let shownTags = tags.map(familiarOf);
      if (refs) {
        shownTags = shownTags.filter((t) => refs.some((p) => referenceMatch(p, t)));
        if (shownTags.length === 0) continue;
      }
      out.push({
        Id: rec.id,
        ParentId: rec.parent ?? '',
        RepoTags: shownTags,
        RepoDigests: digests.map(familiarOf),
        Created: Math.floor(created / 1000),
        Size: await this.sizeOf(rec),
        SharedSize: -1,
        Labels: cfg.config?.Labels ?? {},
        Containers: -1,
      });
    }
    return out.sort((a, b) => b.Created - a.Created || a.Id.localeCompare(b.Id));
  }

  /** `GET /images/{name}/json`: Docker's ImageInspect. */
  async inspect(name: string): Promise<Record<string, unknown>> {
    const rec = this.d.store.resolve(name);
    const cfg = this.d.store.config(rec.id);
    const { tags, digests } = this.d.store.namesOf(rec.id);
    const chain = await this.chainDirs(rec);
    return {
      Id: rec.id,
      RepoTags: tags.map(familiarOf),
      RepoDigests: digests.map(familiarOf),
      Parent: rec.parent ?? '',
      Comment: cfg.comment ?? lastComment(cfg),
      Created: cfg.created ?? '',
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: cfg.config ?? {},
      Architecture: cfg.architecture,
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os,
      ...(cfg['os.version'] ? { OsVersion: cfg['os.version'] } : {}),
      Size: await this.sizeOf(rec),
      GraphDriver: { Name: 'overlay2', Data: chain },
      RootFS: { Type: 'layers', Layers: cfg.rootfs.diff_ids },
      Metadata: { LastTagTime: rec.lastTagTime ?? '0001-01-01T00:00:00Z' },
    };
  }

  /** `GET /images/{name}/history`: newest first, sizes of the layers each step made. */
  async history(name: string): Promise<Array<Record<string, unknown>>> {
    const rec = this.d.store.resolve(name);
    const cfg = this.d.store.config(rec.id);
    const hist: HistoryEntry[] = cfg.history?.length ? cfg.history : cfg.rootfs.diff_ids.map(() => ({}));
    const layerSizes = await Promise.all(rec.layers.map((_, i) => this.layerSize(rec, i)));
    let layer = 0;
    const rows = hist.map((h) => {
      const isEmpty = h.empty_layer === true;
      const size = isEmpty ? 0 : layerSizes[layer++] ?? 0;
      return {
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null as string[] | null,
        Size: size,
        Comment: h.comment ?? '',
      };
    }).reverse();
    if (rows[0]) {
      rows[0].Id = rec.id;
      const tags = this.d.store.namesOf(rec.id).tags.map(familiarOf);
      rows[0].Tags = tags.length ? tags : null;
    }
    return rows;
  }

  /** `POST /images/{name}/tag`. */
  async tag(source: string, repo: string, tag: string | undefined): Promise<void> {
    const rec = this.d.store.resolve(source);
    const ref = withDefaultTag(parseRepositoryTag(repo, tag));
    await this.d.store.tag(ref, rec.id);
    this.d.events.publish('image', 'tag', rec.id, { name: familiarString(ref) });
  }

  /** `DELETE /images/{name}` with Docker's untag/delete/conflict rules. */
  async remove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<DeleteResponseItem[]> {
    return this.d.store.lock.run('images', () => this.removeLocked(name, opts));
  }

  private async removeLocked(name: string, opts: { force?: boolean; noPrune?: boolean }): Promise<DeleteResponseItem[]> {
    const rec = this.d.store.resolve(name);
    const out: DeleteResponseItem[] = [];
    const { tags, digests } = this.d.store.namesOf(rec.id);
    const byReference = !isIdLike(name, rec.id);
    const users = this.users(rec.id);
    if (byReference) {
      const ref = fullRefOf(name);
      const refs = [...tags, ...digests];
      if (ref && refs.includes(ref)) {
        let remaining = refs.filter((r) => r !== ref);
        // moby: removing a repository's last tag also drops that repository's digest
        // references (a pull's RepoDigests), so they do not keep the image alive.
        let sameRepoDigests: string[] = [];
        if (!ref.includes('@') && !remaining.some((r) => !r.includes('@') && repoOf(r) === repoOf(ref))) {
          sameRepoDigests = remaining.filter((r) => r.includes('@') && repoOf(r) === repoOf(ref));
          remaining = remaining.filter((r) => !sameRepoDigests.includes(r));
        }
        if (remaining.length > 0 || (users.length > 0 && !opts.force)) {
          if (remaining.length === 0 && users.length > 0) {
            throw new ConflictError(`conflict: unable to remove repository reference "${name}" (must force) - container ${users[0]!.containerId.slice(0, 12)} is using its referenced image ${rec.id.slice(7, 19)}`);
          }
          await this.untag(rec.id, ref, out);
          for (const d of sameRepoDigests) await this.untag(rec.id, d, out);
          return out;
        }
      }
    } else if (tags.length > 1 && !opts.force) {
      throw new ConflictError(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    }
    const running = users.find((u) => u.isRunning);
    if (running) {
      throw new ConflictError(`conflict: unable to delete ${rec.id.slice(7, 19)} (cannot be forced) - image is being used by running container ${running.containerId.slice(0, 12)}`);
    }
    if (users.length > 0 && !opts.force) {
      throw new ConflictError(`conflict: unable to delete ${rec.id.slice(7, 19)} (must be forced) - image is being used by stopped container ${users[0]!.containerId.slice(0, 12)}`);
    }
    for (const ref of [...tags, ...digests]) await this.untag(rec.id, ref, out);
    if (users.length > 0) return out; // forced: untagged only, as Docker leaves an image a container uses
    await this.deleteImage(rec, out);
    return out;
  }

  /** `POST /images/prune`: dangling images, or with dangling=false every unused image. */
  async prune(filters: Filters): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }> {
    return this.d.store.lock.run('images', () => this.pruneLocked(filters));
  }

  private async pruneLocked(filters: Filters): Promise<{ ImagesDeleted: DeleteResponseItem[] | null; SpaceReclaimed: number }> {
    checkFilterNames(filters, ['dangling', 'label', 'label!', 'until']);
    const danglingOnly = boolFilter(filters, 'dangling') ?? true;
    const until = filters.get('until')?.map(parseUntil);
    const deleted: DeleteResponseItem[] = [];
    let reclaimed = 0;
    for (const rec of this.d.store.list()) {
      const cfg = this.d.store.config(rec.id);
      const { tags, digests } = this.d.store.namesOf(rec.id);
      if (danglingOnly && tags.length > 0) continue;
      if (this.users(rec.id).length > 0) continue;
      if (!matchLabels(filters.get('label'), cfg.config?.Labels)) continue;
      const notLabels = filters.get('label!');
      if (notLabels && notLabels.some((l) => matchLabels([l], cfg.config?.Labels))) continue;
      if (until && !until.every((t) => this.createdOf(rec) < t)) continue;
      const before = await this.uniqueSize(rec);
      for (const ref of [...tags, ...digests]) await this.untag(rec.id, ref, deleted);
      await this.deleteImage(rec, deleted);
      reclaimed += before;
    }
    if (deleted.length) this.d.events.publish('image', 'prune', '', { reclaimed: String(reclaimed) });
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /**
   * The image part of `GET /system/df`. Sizes are what the data-root holds (ADR 0022): each
   * snapshot as `du -sb` counts it, each layer blob, each config. A part shared by several
   * images counts once in `layersSize` and in each image's `SharedSize`, as dockerd counts.
   */
  async usage(): Promise<{ images: Array<ImageSummary & { SharedSize: number; Containers: number }>; layersSize: number }> {
    const list = await this.list({ all: true });
    const counts = new Map<string, number>();
    const sizes = new Map<string, number>();
    for (const rec of this.d.store.list()) {
      for (const [key, bytes] of await this.parts(rec)) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        sizes.set(key, bytes);
      }
    }
    const images = [];
    for (const s of list) {
      const rec = this.d.store.get(s.Id)!;
      let shared = 0;
      for (const [key, bytes] of await this.parts(rec)) if ((counts.get(key) ?? 0) > 1) shared += bytes;
      images.push({ ...s, SharedSize: shared, Containers: this.users(s.Id).length });
    }
    return { images, layersSize: [...sizes.values()].reduce((a, b) => a + b, 0) };
  }

  /** The snapshot chain id of an image's top layer (what a container's rootfs stacks on). */
  topChainId(rec: ImageRecord): string | undefined {
    return chainIds(rec).at(-1);
  }

  private async untag(id: string, ref: string, out: DeleteResponseItem[]): Promise<void> {
    if (await this.d.store.untag(ref)) {
      out.push({ Untagged: familiarOf(ref) });
      this.d.events.publish('image', 'untag', id, { name: familiarOf(ref) });
    }
  }

  /** Deletes the record, then snapshots and blobs no remaining image refers to. */
  private async deleteImage(rec: ImageRecord, out: DeleteResponseItem[]): Promise<void> {
    await this.d.store.delete(rec.id);
    out.push({ Deleted: rec.id });
    this.d.events.publish('image', 'delete', rec.id, { name: rec.id });
    const keepChains = new Set<string>();
    for (const other of this.d.store.list()) for (const c of chainIds(other)) keepChains.add(c);
    const mine = chainIds(rec);
    for (const chain of [...mine].reverse()) {
      if (keepChains.has(chain)) continue;
      await this.d.snapshots.remove(chain);
      out.push({ Deleted: chain });
    }
    for (const blob of [rec.id, ...rec.layers.map((l) => l.blobDigest)]) {
      if (!this.d.store.isBlobReferenced(blob)) await this.d.content.delete(blob);
    }
  }

  private createdOf(rec: ImageRecord): number {
    const c = this.d.store.config(rec.id).created;
    const t = c ? Date.parse(c) : NaN;
    return Number.isNaN(t) ? Date.parse(rec.loadedAt) : t;
  }

  /**
   * What an image occupies, part by part, keyed so that parts shared between images can be
   * told apart: its config blob, each layer's snapshot (`du -sb` of it) and blob.
   */
  private async parts(rec: ImageRecord): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    out.set(`blob:${rec.id}`, await this.d.content.size(rec.id).catch(() => 0));
    for (const [i, chain] of chainIds(rec).entries()) {
      const st = await this.d.snapshots.stat(chain).catch((err: unknown) => {
        if (err instanceof NotFoundError) return undefined;
        throw err;
      });
      out.set(`snapshot:${chain}`, st ? st.usageBytes ?? st.sizeBytes : 0);
      const l = rec.layers[i]!;
      out.set(`blob:${l.blobDigest}`, l.blobSizeBytes);
    }
    return out;
  }

  /** An image's size as `docker images` shows it: everything it occupies on disk (ADR 0022). */
  private async sizeOf(rec: ImageRecord): Promise<number> {
    let total = 0;
    for (const bytes of (await this.parts(rec)).values()) total += bytes;
    return total;
  }

  /** The bytes of one layer's files (history's per-step size, as Docker's). */
  private async layerSize(rec: ImageRecord, i: number): Promise<number> {
    const chain = chainIds(rec)[i];
    if (!chain) return 0;
    try { return (await this.d.snapshots.stat(chain)).sizeBytes; } catch (err) {
      if (err instanceof NotFoundError) return 0;
      throw err;
    }
  }

  /** What deleting the image alone would free: the parts no other image has. */
  private async uniqueSize(rec: ImageRecord): Promise<number> {
    const others = new Set<string>();
    for (const o of this.d.store.list()) if (o.id !== rec.id) for (const key of (await this.parts(o)).keys()) others.add(key);
    let n = 0;
    for (const [key, bytes] of await this.parts(rec)) if (!others.has(key)) n += bytes;
    return n;
  }

  private async chainDirs(rec: ImageRecord): Promise<Record<string, string>> {
    const top = chainIds(rec).at(-1);
    if (!top) return {};
    const dirs = await this.d.snapshots.lowerDirs(top);
    const data: Record<string, string> = { UpperDir: dirs[0]!, WorkDir: path.join(path.dirname(dirs[0]!), 'work'), MergedDir: path.join(path.dirname(dirs[0]!), 'merged') };
    if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(':');
    return { ...(data.LowerDir ? { LowerDir: data.LowerDir } : {}), MergedDir: data.MergedDir!, UpperDir: data.UpperDir!, WorkDir: data.WorkDir! };
  }
}


/** The chain ids of an image's layers, bottom first. */
export function chainIds(rec: ImageRecord): string[] {
  const out: string[] = [];
  for (const l of rec.layers) out.push(chainIdOf(out.at(-1), l.diffId));
  return out;
}

function familiarOf(ref: string): string {
  try { return familiarString(parseNormalizedNamed(ref)); } catch { return ref; }
}

function lastComment(cfg: ImageConfigJson): string {
  return cfg.history?.at(-1)?.comment ?? '';
}

function isIdLike(name: string, id: string): boolean {
  const s = name.startsWith('sha256:') ? name.slice(7) : name;
  return /^[a-f0-9]+$/.test(s) && id.slice(7).startsWith(s);
}

function fullRefOf(name: string): string | undefined {
  try {
    const r = withDefaultTag(parseNormalizedNamed(name));
    return r.digest && !r.tag ? `${r.domain}/${r.path}@${r.digest}` : r.digest ? `${r.domain}/${r.path}:${r.tag}@${r.digest}` : `${r.domain}/${r.path}:${r.tag}`;
  } catch { return undefined; }
}

/** Docker's reference filter: the pattern is matched against the familiar name and name:tag. */
function referenceMatch(pattern: string, familiarTag: string): boolean {
  if (globMatch(pattern, familiarTag)) return true;
  const colon = familiarTag.lastIndexOf(':');
  const name = colon > familiarTag.lastIndexOf('/') ? familiarTag.slice(0, colon) : familiarTag;
  return globMatch(pattern, name);
}

/** `until` accepts a Unix timestamp (seconds, fractions allowed), an RFC 3339 time, or a Go duration ago. */
export function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v);
  if (dur) {
    const mult: Record<string, number> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
    return Date.now() - Number(dur[1]!) * mult[dur[2]!]!;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid filter 'until=${v}'`);
  return t;
}

