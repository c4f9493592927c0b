/**
 * Manifests as a registry serves them: Docker schema2 and OCI image manifests, manifest lists
 * and OCI indexes (one entry chosen for this host's platform), and schema1, which is refused
 * with Docker's deprecation message.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { MEDIA_TYPE } from '../image/index.js';

export const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
export const SCHEMA1 = 'application/vnd.docker.distribution.manifest.v1+json';

export const MANIFEST_ACCEPT = [
  MEDIA_TYPE.dockerManifest, MEDIA_TYPE.dockerList, MEDIA_TYPE.ociManifest, MEDIA_TYPE.ociIndex, SCHEMA1_SIGNED, SCHEMA1,
];

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform { os: string; architecture: string; variant?: string; 'os.version'?: string }

export interface ImageManifest { kind: 'manifest'; mediaType: string; config: Descriptor; layers: Descriptor[] }
export interface ManifestIndex { kind: 'index'; mediaType: string; manifests: Descriptor[] }
export type Manifest = ImageManifest | ManifestIndex;

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function schema1Error(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of ${name} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/`);
}

function descriptor(d: unknown, what: string): Descriptor {
  const o = d as Descriptor;
  if (typeof o !== 'object' || o === null || typeof o.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(o.digest) || typeof o.size !== 'number') {
    throw new InvalidArgumentError(`invalid manifest: bad ${what} descriptor`);
  }
  return o;
}

/** Parses a manifest body; `contentType` is the registry's header, used when the body has no mediaType. */
export function parseManifest(bytes: Buffer, contentType: string, name: string): Manifest {
  let json: Record<string, unknown>;
  try { json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>; } catch (err) {
    throw new InvalidArgumentError(`invalid manifest for ${name}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null) throw new InvalidArgumentError(`invalid manifest for ${name}`);
  if (json.schemaVersion === 1 || contentType === SCHEMA1_SIGNED || contentType === SCHEMA1) throw schema1Error(name);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : contentType;
  if (Array.isArray(json.manifests) || mediaType === MEDIA_TYPE.dockerList || mediaType === MEDIA_TYPE.ociIndex) {
    if (!Array.isArray(json.manifests)) throw new InvalidArgumentError(`invalid manifest list for ${name}`);
    return { kind: 'index', mediaType: mediaType || MEDIA_TYPE.ociIndex, manifests: json.manifests.map((m) => descriptor(m, 'manifest')) };
  }
  if (mediaType === MEDIA_TYPE.dockerManifest || mediaType === MEDIA_TYPE.ociManifest || (json.config && Array.isArray(json.layers))) {
    if (!Array.isArray(json.layers)) throw new InvalidArgumentError(`invalid manifest for ${name}: no layers`);
    return { kind: 'manifest', mediaType: mediaType || MEDIA_TYPE.ociManifest, config: descriptor(json.config, 'config'), layers: json.layers.map((l) => descriptor(l, 'layer')) };
  }
  throw new InvalidArgumentError(`unsupported manifest media type and no default available: ${mediaType}`);
}

const ARCH: Record<string, { architecture: string; variant?: string }> = {
  x64: { architecture: 'amd64' }, arm64: { architecture: 'arm64', variant: 'v8' }, arm: { architecture: 'arm', variant: 'v7' },
  ia32: { architecture: '386' }, ppc64: { architecture: 'ppc64le' }, s390x: { architecture: 's390x' }, riscv64: { architecture: 'riscv64' },
};

export function hostPlatform(): Platform {
  const a = ARCH[process.arch] ?? { architecture: process.arch };
  return { os: 'linux', ...a };
}

/** containerd's platforms.Normalize: "aarch64" → arm64, arm64's default variant v8, etc. */
export function normalizePlatform(p: Platform): Platform {
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (arch === 'x86_64' || arch === 'x86-64') arch = 'amd64';
  if (arch === 'aarch64') arch = 'arm64';
  if (arch === 'armhf') { arch = 'arm'; variant = 'v7'; }
  if (arch === 'armel') { arch = 'arm'; variant = 'v6'; }
  if (arch === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (arch === 'arm' && variant === undefined) variant = 'v7';
  if (arch === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  if (arch === 'amd64' && variant === 'v1') variant = undefined;
  return { os: p.os.toLowerCase(), architecture: arch, ...(variant ? { variant } : {}) };
}

/** Parses "os[/arch[/variant]]" as docker's --platform. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new InvalidArgumentError(`"${s}": unknown operating system or architecture: invalid argument`);
  const host = hostPlatform();
  if (parts.length === 1) {
    if (parts[0] !== 'linux') throw new InvalidArgumentError(`"${s}": unknown operating system or architecture: invalid argument`);
    return normalizePlatform(host);
  }
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) });
}

export function platformString(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Whether an image of platform `have` runs where `want` is asked (arm v7 runs v6, v5). */
export function platformMatches(want: Platform, have: Platform): boolean {
  const w = normalizePlatform(want);
  const h = normalizePlatform(have);
  if (w.os !== h.os || w.architecture !== h.architecture) return false;
  if (w.variant === h.variant) return true;
  if (w.architecture === 'arm' && w.variant && h.variant) return Number(h.variant.slice(1)) <= Number(w.variant.slice(1));
  return w.variant === undefined || h.variant === undefined;
}

/** Picks the index entry for `want`: exact variant first, then a compatible one (skips attestations). */
export function selectManifest(index: ManifestIndex, want: Platform): Descriptor {
  const candidates = index.manifests.filter((d) => d.platform && d.platform.os !== 'unknown' && platformMatches(want, d.platform));
  const w = normalizePlatform(want);
  const exact = candidates.find((d) => normalizePlatform(d.platform!).variant === w.variant);
  const chosen = exact ?? candidates.sort((a, b) => (normalizePlatform(b.platform!).variant ?? '').localeCompare(normalizePlatform(a.platform!).variant ?? ''))[0];
  if (!chosen) throw new NotFoundError(`no matching manifest for ${platformString(w)} in the manifest list entries`);
  return chosen;
}
