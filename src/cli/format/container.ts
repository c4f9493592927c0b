/**
 * Container rows (docker's formatter/container.go), used by `system df -v` now and by
 * `ps` later: names without their leading "/", commands quoted and cut to 20 columns,
 * ports grouped into ranges ("0.0.0.0:8080-8081->80-81/tcp").
 */
import type { ContainerSummary, Port } from '../../client/index.js';
import { familiarString, parseNormalizedNamed, ReferenceError } from '../reference.js';
import { makeRow } from './formatter.js';
import { goTimeString } from './time.js';
import { ellipsis, humanSince, humanSizeWithPrecision, truncateId } from './units.js';

export const CONTAINER_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
  Platform: 'PLATFORM',
};

function names(c: ContainerSummary, trunc: boolean): string {
  let list = (c.Names ?? []).map((n) => n.slice(1));
  if (trunc) {
    const plain = list.find((n) => !n.includes('/'));
    if (plain !== undefined) list = [plain];
  }
  return list.join(',');
}

function image(c: ContainerSummary, trunc: boolean): string {
  if (!c.Image) return '<no image>';
  if (!trunc) return c.Image;
  if (truncateId(c.ImageID ?? '') === truncateId(c.Image)) return truncateId(c.Image);
  try {
    const ref = parseNormalizedNamed(c.Image);
    return familiarString({ ...ref, digest: undefined });
  } catch (e) {
    if (e instanceof ReferenceError) return c.Image;
    throw e;
  }
}

/** formatter.DisplayablePorts. */
export function displayablePorts(ports: Port[]): string {
  const sorted = [...ports].sort((a, b) => a.PrivatePort - b.PrivatePort || (a.IP ?? '').localeCompare(b.IP ?? '')
    || (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.Type.localeCompare(b.Type));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  for (const p of sorted) {
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== p.PrivatePort) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    else if (p.PrivatePort === g.last + 1) g.last = p.PrivatePort;
    else {
      result.push(formGroup(key, g.first, g.last));
      groups.set(key, { first: p.PrivatePort, last: p.PrivatePort });
    }
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function formGroup(key: string, first: number, last: number): string {
  const parts = key.split('/');
  const type = parts.length > 1 ? parts[1]! : parts[0]!;
  const ip = parts.length > 1 ? parts[0]! : '';
  let group = first === last ? String(first) : `${first}-${last}`;
  if (ip) group = `${joinHostPort(ip, group)}->${group}`;
  return `${group}/${type}`;
}

export function containerRow(c: ContainerSummary, opts: { trunc: boolean; nowMs?: number }) {
  const labels = c.Labels ?? undefined;
  const sizeRw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  return makeRow('*formatter.ContainerContext', {
    ID: opts.trunc ? truncateId(c.Id) : c.Id,
    Names: names(c, opts.trunc),
    Image: image(c, opts.trunc),
    Command: JSON.stringify(opts.trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '')),
    // Worked out when read: the default table does not show it, and the local zone's first
    // use costs more than the rest of a row (ADR 0014).
    get CreatedAt() { return goTimeString((c.Created ?? 0) * 1000); },
    RunningFor: humanSince(c.Created ?? 0, opts.nowMs),
    Ports: displayablePorts(c.Ports ?? []),
    State: c.State ?? '',
    Status: c.Status ?? '',
    Size: (c.SizeRootFs ?? 0) > 0 ? `${sizeRw} (virtual ${humanSizeWithPrecision(c.SizeRootFs!, 3)})` : sizeRw,
    Labels: labels ? Object.entries(labels).map(([k, v]) => `${k}=${v}`).sort().join(',') : '',
    Label: (name: string) => labels?.[name] ?? '',
    Mounts: (c.Mounts ?? []).map((m) => (opts.trunc ? ellipsis(m.Name || m.Source || '', 15) : m.Name || m.Source || '')).join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Platform: null,
  });
}
