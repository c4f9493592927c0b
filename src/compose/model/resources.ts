import { toMap, type PathContext } from './normalize-service.js';
import { resolvePath } from './short-syntax.js';
import type { FileObjectConfig, NetworkConfig, VolumeConfig } from './types.js';
import { toBool } from './units.js';

type Raw = Record<string, unknown>;

/** A top-level network or volume as one file gives it; `name` only when written. */
export type NetworkDraft = Partial<NetworkConfig>;
export type VolumeDraft = Partial<VolumeConfig>;
export type FileObjectDraft = Partial<FileObjectConfig>;

/** `external: true`, or the legacy `external: {name: x}`. */
function external(r: Raw, out: { external?: boolean; name?: string }, at: string): void {
  if (r.external === undefined || r.external === null) return;
  if (typeof r.external === 'object') {
    out.external = true;
    const n = (r.external as Raw).name;
    if (n !== undefined && out.name === undefined) out.name = String(n);
  } else {
    out.external = toBool(r.external, `${at}.external`);
  }
}

export function normalizeNetwork(key: string, v: unknown): NetworkDraft {
  const r = (v ?? {}) as Raw;
  const at = `networks.${key}`;
  const n: NetworkDraft = {};
  if (r.name !== undefined) n.name = String(r.name);
  external(r, n, at);
  if (r.driver !== undefined) n.driver = String(r.driver);
  if (r.driver_opts !== undefined) n.driver_opts = toMap(r.driver_opts, false) as Record<string, string>;
  if (r.labels !== undefined) n.labels = toMap(r.labels, false) as Record<string, string>;
  for (const k of ['internal', 'attachable', 'enable_ipv6'] as const) if (r[k] !== undefined && r[k] !== null) n[k] = toBool(r[k], `${at}.${k}`);
  if (r.ipam && typeof r.ipam === 'object') {
    const ipam = r.ipam as Raw;
    n.ipam = {};
    if (ipam.driver !== undefined) n.ipam.driver = String(ipam.driver);
    if (ipam.options !== undefined) n.ipam.options = toMap(ipam.options, false) as Record<string, string>;
    if (Array.isArray(ipam.config)) {
      n.ipam.config = ipam.config.map((c: Raw) => ({
        ...(c.subnet !== undefined ? { subnet: String(c.subnet) } : {}),
        ...(c.ip_range !== undefined ? { ip_range: String(c.ip_range) } : {}),
        ...(c.gateway !== undefined ? { gateway: String(c.gateway) } : {}),
        ...(c.aux_addresses !== undefined ? { aux_addresses: toMap(c.aux_addresses, false) as Record<string, string> } : {}),
      }));
    }
  }
  return n;
}

export function normalizeVolume(key: string, v: unknown): VolumeDraft {
  const r = (v ?? {}) as Raw;
  const out: VolumeDraft = {};
  if (r.name !== undefined) out.name = String(r.name);
  external(r, out, `volumes.${key}`);
  if (r.driver !== undefined) out.driver = String(r.driver);
  if (r.driver_opts !== undefined) out.driver_opts = toMap(r.driver_opts, false) as Record<string, string>;
  if (r.labels !== undefined) out.labels = toMap(r.labels, false) as Record<string, string>;
  return out;
}

/** A top-level secret or config: `file` made absolute against the file's directory. */
export function normalizeFileObject(kind: 'secrets' | 'configs', key: string, v: unknown, ctx: PathContext): FileObjectDraft {
  const r = (v ?? {}) as Raw;
  const out: FileObjectDraft = {};
  if (r.name !== undefined) out.name = String(r.name);
  external(r, out, `${kind}.${key}`);
  if (r.file !== undefined) out.file = resolvePath(String(r.file), ctx.dir, ctx.home);
  if (r.environment !== undefined) out.environment = String(r.environment);
  if (r.content !== undefined) out.content = String(r.content);
  return out;
}
