import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import { archivePath, extractArchive } from './archive-extract.js';
import { MEDIA_TYPE } from './types.js';

/** One image found in an archive: its config bytes, its layer files, the names it carries. */
export interface ArchiveImage {
  configBytes: Buffer;
  configDigest?: string;
  layerFiles: string[];
  refs: string[];
}

/** Unpacks `source` into `dir` and lists the images in it (docker-archive or OCI layout). */
export async function readArchive(source: Readable, dir: string, signal?: AbortSignal): Promise<ArchiveImage[]> {
  await extractArchive(source, dir, signal);
  const manifest = await readJsonIn(dir, 'manifest.json');
  if (manifest !== undefined) return dockerArchiveImages(dir, manifest);
  const index = await readJsonIn(dir, 'index.json');
  if (index !== undefined) return ociLayoutImages(dir, index);
  throw new InvalidArgumentError('invalid archive: it holds neither manifest.json (docker-archive) nor index.json (OCI layout)');
}

async function readJsonIn(dir: string, name: string): Promise<unknown> {
  try {
    return JSON.parse(await fsp.readFile(archivePath(dir, name), 'utf8'));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    if (err instanceof SyntaxError) throw new InvalidArgumentError(`invalid archive: ${name}: ${err.message}`, { cause: err });
    throw err;
  }
}

async function dockerArchiveImages(dir: string, manifest: unknown): Promise<ArchiveImage[]> {
  if (!Array.isArray(manifest)) throw new InvalidArgumentError('invalid archive: manifest.json must be a list');
  const out: ArchiveImage[] = [];
  for (const [i, entry] of manifest.entries()) {
    const e = entry as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) {
      throw new InvalidArgumentError(`invalid archive: manifest.json entry ${i} needs Config and Layers`);
    }
    const tags = Array.isArray(e.RepoTags) ? e.RepoTags.filter((t): t is string => typeof t === 'string') : [];
    out.push({
      configBytes: await readBlobFile(dir, e.Config),
      layerFiles: (e.Layers as string[]).map((l) => archivePath(dir, l)),
      refs: tags,
    });
  }
  return out;
}

async function readBlobFile(dir: string, name: string): Promise<Buffer> {
  try { return await fsp.readFile(archivePath(dir, name)); } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new InvalidArgumentError(`invalid archive: ${name} is missing`, { cause: err });
    throw err;
  }
}

interface Descriptor { mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string>; platform?: { os?: string; architecture?: string; variant?: string } }

function blobName(d: Descriptor): string {
  if (typeof d.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(d.digest)) throw new InvalidArgumentError(`invalid archive: bad descriptor digest ${JSON.stringify(d.digest)}`);
  return path.posix.join('blobs', 'sha256', d.digest.slice(7));
}

async function readVerified(dir: string, d: Descriptor): Promise<Buffer> {
  const bytes = await readBlobFile(dir, blobName(d));
  const { createHash } = await import('node:crypto');
  const actual = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  if (actual !== d.digest) throw new InvalidArgumentError(`invalid archive: blob ${d.digest} hashes to ${actual}`);
  return bytes;
}

/** Walks index.json (and nested indexes) to the image manifests for this host's platform. */
async function ociLayoutImages(dir: string, index: unknown): Promise<ArchiveImage[]> {
  const out: ArchiveImage[] = [];
  const top = (index as { manifests?: Descriptor[] })?.manifests;
  if (!Array.isArray(top)) throw new InvalidArgumentError('invalid archive: index.json has no manifests');
  const walk = async (descs: Descriptor[], name: string | undefined, depth: number): Promise<void> => {
    if (depth > 4) throw new InvalidArgumentError('invalid archive: indexes nest too deep');
    for (const d of descs) {
      const ref = d.annotations?.['io.containerd.image.name'] ?? fullRefAnnotation(d.annotations?.['org.opencontainers.image.ref.name']) ?? name;
      if (d.platform && (d.platform.os !== 'linux' || d.platform.architecture !== 'amd64')) continue;
      const json = JSON.parse((await readVerified(dir, d)).toString('utf8')) as { mediaType?: string; manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[] };
      const type = d.mediaType ?? json.mediaType;
      if (type === MEDIA_TYPE.ociIndex || type === MEDIA_TYPE.dockerList || Array.isArray(json.manifests)) {
        await walk(json.manifests ?? [], ref, depth + 1);
        continue;
      }
      if (!json.config || !Array.isArray(json.layers)) throw new InvalidArgumentError(`invalid archive: unknown media type ${type ?? '(none)'} for ${d.digest}`);
      for (const l of json.layers) {
        if (l.mediaType && !KNOWN_LAYER_TYPES.has(l.mediaType)) throw new InvalidArgumentError(`invalid archive: unknown layer media type ${l.mediaType}`);
      }
      out.push({
        configBytes: await readVerified(dir, json.config),
        configDigest: json.config.digest,
        layerFiles: json.layers.map((l) => archivePath(dir, blobName(l))),
        refs: ref ? [ref] : [],
      });
    }
  };
  await walk(top, undefined, 0);
  return out;
}

const KNOWN_LAYER_TYPES = new Set<string>([MEDIA_TYPE.ociLayer, MEDIA_TYPE.ociLayerGzip, MEDIA_TYPE.dockerLayer, MEDIA_TYPE.dockerLayerGzip, MEDIA_TYPE.ociLayerZstd]);

/** `org.opencontainers.image.ref.name` is a full reference only when it names a repository. */
function fullRefAnnotation(v: string | undefined): string | undefined {
  if (!v) return undefined;
  return /[/:]/.test(v) && !/^[\w][\w.-]*$/.test(v) ? v : undefined;
}

export function openLayerFile(file: string): Readable {
  return createReadStream(file);
}
