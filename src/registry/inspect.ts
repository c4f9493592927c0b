/**
 * `GET /distribution/{name}/json`: the descriptor (digest, media type, size) of a remote
 * image's manifest and the platforms it offers, read from the registry without pulling, as
 * moby's distribution router answers it.
 */
import { InternalError, InvalidArgumentError } from '../errors/index.js';
import { parseNormalizedNamed } from '../image/index.js';
import type { AuthConfig } from './auth.js';
import { engineErrorOf, RegistryResponseError } from './errors.js';
import { digestOf, parseManifest, type Platform } from './manifest.js';
import { clientFor, withEndpoints, type SessionDeps } from './session.js';

/** An OCI platform as Go's ocispec.Platform marshals it: os and architecture always, the rest when set. */
export interface OciPlatform { architecture: string; os: string; 'os.version'?: string; 'os.features'?: string[]; variant?: string }

export interface DistributionInspect {
  Descriptor: { mediaType: string; digest: string; size: number };
  /** null when none is known, as dockerd's nil slice. */
  Platforms: OciPlatform[] | null;
}

const FULL_ID = /^(sha256:)?[a-f0-9]{64}$/;

export async function inspectDistribution(deps: SessionDeps, name: string, auth: AuthConfig, signal?: AbortSignal): Promise<DistributionInspect> {
  // reference.ParseAnyReference reads a bare 64-hex string as an image ID: dockerd refuses it (500).
  if (FULL_ID.test(name)) throw new InternalError('no manifest found for full image ID');
  const ref = parseNormalizedNamed(name);
  try {
    return await withEndpoints(deps, ref.domain, {}, async (ep) => {
      const repo = clientFor(deps, ep, ref.path, auth, [`repository:${ref.path}:pull`], signal);
      await repo.ping();
      let reference: string = ref.digest ?? ref.tag ?? 'latest';
      if (!ref.digest) {
        // As distribution's tags.Get: HEAD for the digest; a failed HEAD has no body, so the
        // GET that follows is what tells why.
        try {
          reference = await repo.headManifest(reference) ?? reference;
        } catch (err) {
          if (!(err instanceof RegistryResponseError)) throw err;
        }
      }
      const fetched = await repo.getManifest(reference);
      const digest = digestOf(fetched.bytes);
      if (reference.startsWith('sha256:') && digest !== reference) throw new InvalidArgumentError(`manifest verification failed for digest ${reference}`);
      const m = parseManifest(fetched.bytes, fetched.mediaType, name);
      const out: DistributionInspect = { Descriptor: { mediaType: m.mediaType, digest, size: fetched.bytes.length }, Platforms: null };
      if (m.kind === 'index') {
        out.Platforms = m.manifests.map((d) => ociPlatform(d.platform ?? { os: '', architecture: '' }));
        return out;
      }
      // dockerd reads the config's platform for Docker schema2 manifests only (its switch has no
      // OCI manifest case, so an OCI image answers Platforms: null); berth reads it for both.
      let config: Buffer;
      try {
        config = await repo.readBlob(m.config.digest, 8 * 1024 * 1024);
      } catch (err) {
        // dockerd leaves the platforms out when the config cannot be read, and still answers.
        if (err instanceof RegistryResponseError) return out;
        throw err;
      }
      if (digestOf(config) !== m.config.digest) throw new InvalidArgumentError(`image config verification failed for digest ${m.config.digest}`);
      const p = parsePlatformOf(config);
      if (p && (p.os || p.architecture)) out.Platforms = [ociPlatform(p)];
      return out;
    });
  } catch (err) {
    throw engineErrorOf(err);
  }
}

function parsePlatformOf(config: Buffer): (Platform & { 'os.features'?: string[] }) | undefined {
  try {
    const json = JSON.parse(config.toString('utf8')) as Record<string, unknown>;
    return json && typeof json === 'object' ? json as unknown as Platform : undefined;
  } catch {
    // As dockerd: a config that is no JSON gives no platform, not an error.
    return undefined;
  }
}

function ociPlatform(p: Platform & { 'os.features'?: string[] }): OciPlatform {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    architecture: str(p.architecture), os: str(p.os),
    ...(str(p['os.version']) ? { 'os.version': str(p['os.version']) } : {}),
    ...(Array.isArray(p['os.features']) && p['os.features'].length ? { 'os.features': p['os.features'] } : {}),
    ...(str(p.variant) ? { variant: str(p.variant) } : {}),
  };
}
