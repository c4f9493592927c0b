import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import type { Logger } from '../util/index.js';
import { openLayerFile, readArchive } from './archive-load.js';
import { applyChanges } from './changes.js';
import { HashingStream, type ContentStore } from './content.js';
import { isUncompressed, openUncompressed, uncompressedSize } from './layers.js';
import { decompressed } from './decompress.js';
import { familiarString, fullName, parseNormalizedNamed, parseRepositoryTag, toString as refString, withDefaultTag } from './reference.js';
import type { Snapshots } from './snapshots.js';
import type { ImageStore } from './store.js';
import { MEDIA_TYPE, type ImageConfigJson, type ImageRecord, type LayerRecord } from './types.js';
import { writeImage } from './writer.js';

export interface ArchiveDeps {
  store: ImageStore;
  content: ContentStore;
  snapshots: Snapshots;
  events: EventBus;
  logger: Logger;
  tmpDir: string;
}

/** A message of the JSON stream `/images/load` and `/images/create` answer with. */
export type ProgressMessage = { stream: string } | { status: string; id?: string };

/** `docker load`, `docker save` and `docker import`. */
export class ImageArchive {
  constructor(private readonly d: ArchiveDeps) {}

  /** Loads every image of a docker-archive or OCI-layout tar; `emit` gets Docker's messages. */
  async load(source: Readable, emit: (m: ProgressMessage) => void, signal?: AbortSignal): Promise<string[]> {
    const dir = await this.tempDir('load');
    try {
      const images = await readArchive(source, dir, signal);
      const loaded: string[] = [];
      await this.d.store.lock.run('images', async () => {
        for (const img of images) {
          const rec = await writeImage(this.d, img.configBytes, img.layerFiles.map((f) => () => openLayerFile(f)), { signal });
          if (img.refs.length === 0) {
            emit({ stream: `Loaded image ID: ${rec.id}\n` });
            this.d.events.publish('image', 'load', rec.id, { name: rec.id });
          }
          for (const name of img.refs) {
            const ref = withDefaultTag(parseNormalizedNamed(name));
            const old = await this.d.store.tag(ref, rec.id);
            if (old) emit({ stream: `The image ${familiarString(ref)} already exists, renaming the old one with ID ${old} to empty string\n` });
            emit({ stream: `Loaded image: ${familiarString(ref)}\n` });
            this.d.events.publish('image', 'load', rec.id, { name: familiarString(ref) });
          }
          loaded.push(rec.id);
        }
      });
      return loaded;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Writes the named images as Docker 25+ does: an OCI layout (index.json, oci-layout,
   * blobs/sha256/…) that also carries docker-archive's manifest.json, so both docker's and
   * OCI tools can read it. A name without a tag saves every tag of that repository.
   */
  save(names: readonly string[], signal?: AbortSignal): Readable {
    const selected = this.select(names);
    const pack = tar.pack();
    const out = new PassThrough();
    void (async () => {
      const written = new Set<string>();
      const manifestJson: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
      const index: Array<Record<string, unknown>> = [];
      const addBlob = async (digest: string, bytes?: Buffer): Promise<void> => {
        if (written.has(digest)) return;
        written.add(digest);
        const name = `blobs/sha256/${digest.slice(7)}`;
        if (bytes) { pack.entry({ name, size: bytes.length, mode: 0o444, mtime: new Date(0) }, bytes); return; }
        const size = await this.d.content.size(digest);
        const entry = pack.entry({ name, size, mode: 0o444, mtime: new Date(0) });
        await pipeline(this.d.content.open(digest), entry, { signal });
      };
      /** A layer as its uncompressed tar, named by its diffId: the blob gunzipped and checked on the way (ADR 0022). */
      const addLayer = async (layer: LayerRecord, size: number): Promise<void> => {
        if (isUncompressed(layer)) return addBlob(layer.diffId);
        if (written.has(layer.diffId)) return;
        written.add(layer.diffId);
        const entry = pack.entry({ name: `blobs/sha256/${layer.diffId.slice(7)}`, size, mode: 0o444, mtime: new Date(0) });
        const hasher = new HashingStream();
        await pipeline(openUncompressed(this.d.content, layer), hasher, entry, { signal });
        if (hasher.digest() !== layer.diffId || hasher.sizeBytes !== size) {
          throw new InvalidArgumentError(`layer ${layer.diffId} is corrupt in the content store: its blob ${layer.blobDigest} gives ${hasher.digest()}`);
        }
      };
      pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime: new Date(0) });
      pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: new Date(0) });
      for (const { rec, refs } of selected.values()) {
        const sizes: number[] = [];
        for (const l of rec.layers) sizes.push(await uncompressedSize(this.d.content, l, signal));
        const layers = rec.layers.map((l, i) => ({ mediaType: MEDIA_TYPE.ociLayer, digest: l.diffId, size: sizes[i]! }));
        const manifest = Buffer.from(JSON.stringify({
          schemaVersion: 2,
          mediaType: MEDIA_TYPE.ociManifest,
          config: { mediaType: MEDIA_TYPE.ociConfig, digest: rec.id, size: await this.d.content.size(rec.id) },
          layers,
        }));
        const { createHash } = await import('node:crypto');
        const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
        await addBlob(rec.id);
        for (const [i, l] of rec.layers.entries()) await addLayer(l, sizes[i]!);
        await addBlob(manifestDigest, manifest);
        const desc = { mediaType: MEDIA_TYPE.ociManifest, digest: manifestDigest, size: manifest.length };
        if (refs.length === 0) index.push(desc);
        for (const ref of refs) {
          const r = parseNormalizedNamed(ref);
          index.push({ ...desc, annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': r.tag ?? '' } });
        }
        manifestJson.push({ Config: `blobs/sha256/${rec.id.slice(7)}`, RepoTags: refs.map((r) => familiarString(parseNormalizedNamed(r))), Layers: rec.layers.map((l) => `blobs/sha256/${l.diffId.slice(7)}`) });
      }
      const small = (name: string, v: unknown) => pack.entry({ name, mode: 0o644, mtime: new Date(0) }, JSON.stringify(v));
      small('index.json', { schemaVersion: 2, mediaType: MEDIA_TYPE.ociIndex, manifests: index });
      small('manifest.json', manifestJson);
      small('oci-layout', { imageLayoutVersion: '1.0.0' });
      pack.finalize();
      for (const { rec, refs } of selected.values()) this.d.events.publish('image', 'save', rec.id, { name: refs[0] ? familiarString(parseNormalizedNamed(refs[0])) : rec.id });
    })().catch((err: unknown) => { pack.destroy(err as Error); });
    pipeline(pack, out).catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  /** `docker import`: one layer from a rootfs tar, a config from `changes`. Returns the image id. */
  async import(source: Readable, opts: { repo?: string; tag?: string; message?: string; changes?: string[]; signal?: AbortSignal }): Promise<string> {
    const ref = opts.repo ? withDefaultTag(parseRepositoryTag(opts.repo, opts.tag || undefined)) : undefined;
    const config0 = applyChanges({}, opts.changes ?? []);
    const dir = await this.tempDir('import');
    try {
      const layerFile = path.join(dir, 'layer.tar');
      await pipeline(await decompressed(source), createWriteStream(layerFile), { signal: opts.signal });
      const { createHash } = await import('node:crypto');
      const { createReadStream } = await import('node:fs');
      const hash = createHash('sha256');
      await pipeline(createReadStream(layerFile), hash);
      const diffId = `sha256:${hash.digest('hex')}`;
      const now = new Date().toISOString();
      const config: ImageConfigJson = {
        architecture: 'amd64',
        os: 'linux',
        created: now,
        config: config0,
        rootfs: { type: 'layers', diff_ids: [diffId] },
        history: [{ created: now, comment: opts.message || 'Imported from -' }],
      };
      if (opts.message) config.comment = opts.message;
      let rec: ImageRecord | undefined;
      await this.d.store.lock.run('images', async () => {
        rec = await writeImage(this.d, Buffer.from(JSON.stringify(config)), [() => createReadStream(layerFile)], { signal: opts.signal });
        if (ref) await this.d.store.tag(ref, rec.id);
      });
      this.d.events.publish('image', 'import', rec!.id, { name: ref ? familiarString(ref) : rec!.id });
      return rec!.id;
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }

  private select(names: readonly string[]): Map<string, { rec: ImageRecord; refs: string[] }> {
    if (names.length === 0) throw new InvalidArgumentError('no images specified');
    const out = new Map<string, { rec: ImageRecord; refs: string[] }>();
    for (const name of names) {
      const rec = this.d.store.resolve(name);
      const entry = out.get(rec.id) ?? { rec, refs: [] };
      out.set(rec.id, entry);
      const isId = /^(sha256:)?[a-f0-9]+$/.test(name) && rec.id.slice(7).startsWith(name.replace(/^sha256:/, ''));
      if (isId) continue;
      const r = parseNormalizedNamed(name);
      const wanted = r.tag || r.digest
        ? [refString(withDefaultTag(r))]
        : this.d.store.namesOf(rec.id).tags.filter((t) => fullName(parseNormalizedNamed(t)) === fullName(r));
      for (const t of wanted) if (!entry.refs.includes(t) && !t.includes('@')) entry.refs.push(t);
    }
    return out;
  }

  private async tempDir(kind: string): Promise<string> {
    const dir = path.join(this.d.tmpDir, `${kind}-${randomBytes(6).toString('hex')}`);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
}
