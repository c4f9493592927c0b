import os from 'node:os';
import path from 'node:path';
import { ComposeConfigError } from './errors.js';
import type { ServicePort, ServiceVolume } from './types.js';
import { parseBytes, toBool, toInt } from './units.js';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

/**
 * One `ports:` entry in its long form(s), as Compose reads them (docker/go-connections'
 * ParsePortSpec): `80`, `"8080:80"`, `"127.0.0.1:8080:80/udp"`, `"127.0.0.1::80"`, `"[::1]:80:80"`,
 * ranges `"8000-8001:80-81"` (one entry per port) and `"8000-8010:80"` (a host range for one port).
 */
export function parsePort(entry: unknown, where: string): ServicePort[] {
  if (typeof entry === 'number') return [{ target: entry, protocol: 'tcp', mode: 'ingress' }];
  if (entry && typeof entry === 'object') return [longPort(entry as Record<string, unknown>, where)];
  let spec = String(entry).trim();
  let protocol = 'tcp';
  const slash = spec.lastIndexOf('/');
  if (slash >= 0) { protocol = spec.slice(slash + 1).toLowerCase(); spec = spec.slice(0, slash); }
  if (!PROTOCOLS.has(protocol)) throw new ComposeConfigError(`${where}: invalid proto: ${protocol}`);
  let hostIp = '';
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    if (end < 0 || spec[end + 1] !== ':') throw new ComposeConfigError(`${where}: invalid port specification: "${String(entry)}"`);
    hostIp = spec.slice(1, end);
    spec = spec.slice(end + 2);
  }
  const parts = spec.split(':');
  let published = '';
  let target: string;
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) [published, target] = parts as [string, string];
  else if (!hostIp && parts.length === 3) [hostIp, published, target] = parts as [string, string, string];
  else if (!hostIp) { target = parts.pop()!; published = parts.pop()!; hostIp = parts.join(':'); }
  else throw new ComposeConfigError(`${where}: invalid port specification: "${String(entry)}"`);
  const targets = portRange(target, `${where}: invalid containerPort: ${target}`);
  const hosts = published === '' ? undefined : portRange(published, `${where}: invalid hostPort: ${published}`);
  const base = { ...(hostIp ? { host_ip: hostIp } : {}), protocol: protocol as ServicePort['protocol'], mode: 'ingress' as const };
  if (!hosts) return targets.map((t) => ({ ...base, target: t }));
  if (targets.length === 1) {
    return [{ ...base, target: targets[0]!, published: hosts.length === 1 ? String(hosts[0]) : `${hosts[0]}-${hosts[hosts.length - 1]}` }];
  }
  if (hosts.length !== targets.length) throw new ComposeConfigError(`${where}: invalid ranges specified for container and host Ports: ${target} and ${published}`);
  return targets.map((t, i) => ({ ...base, target: t, published: String(hosts[i]) }));
}

function portRange(s: string, message: string): number[] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m) throw new ComposeConfigError(message);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (lo > 65535 || hi > 65535 || hi < lo) throw new ComposeConfigError(message);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

function longPort(p: Record<string, unknown>, where: string): ServicePort {
  const protocol = String(p.protocol ?? 'tcp').toLowerCase();
  if (!PROTOCOLS.has(protocol)) throw new ComposeConfigError(`${where}: invalid proto: ${protocol}`);
  const port: ServicePort = {
    target: toInt(p.target, `${where}.target`),
    protocol: protocol as ServicePort['protocol'],
    mode: p.mode === 'host' ? 'host' : 'ingress',
  };
  if (p.host_ip) port.host_ip = String(p.host_ip);
  if (p.published !== undefined && p.published !== null && p.published !== '') port.published = String(p.published);
  return port;
}

/** The key Compose uses to tell two `ports:` entries apart when files are merged. */
export function portKey(p: ServicePort): string {
  return `${p.host_ip ?? ''}:${p.published ?? ''}:${p.target}/${p.protocol}`;
}

const PROPAGATIONS = new Set(['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate']);

/** Paths in a compose file: absolute, `~` from HOME, otherwise relative to `dir`. */
export function resolvePath(p: string, dir: string, home: string | undefined): string {
  if (p === '~' || p.startsWith('~/')) return path.join(home ?? os.homedir(), p.slice(1));
  return path.resolve(dir, p);
}

/** Go's path.Clean for a container path, as compose-go cleans volume targets. */
export function cleanTarget(t: string): string {
  return t === '' ? t : path.posix.normalize(t).replace(/(.)\/+$/, '$1');
}

function isHostPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || /^[A-Za-z]:[\\/]/.test(source);
}

/**
 * One `volumes:` entry of a service in its long form, as compose-go's ParseVolume reads the
 * short one: `/data` (anonymous), `name:/data[:opts]` (named volume), `./dir:/data[:ro,z]`
 * (bind, relative to `dir`, created when missing), `~/dir:/data`. Options: ro, rw, nocopy,
 * z/Z and the propagation modes.
 */
export function parseServiceVolume(entry: unknown, where: string, dir: string, home: string | undefined): ServiceVolume {
  if (entry && typeof entry === 'object') return longVolume(entry as Record<string, unknown>, where, dir, home);
  const spec = String(entry);
  if (spec === '') throw new ComposeConfigError(`${where}: invalid empty volume spec`);
  const parts = splitVolumeSpec(spec);
  if (parts.some((p) => p === '')) throw new ComposeConfigError(`invalid spec: ${spec}: empty section between colons`);
  if (parts.length > 3) throw new ComposeConfigError(`invalid spec: ${spec}: too many colons`);
  if (parts.length === 1) return { type: 'volume', target: cleanTarget(parts[0]!) };
  const [source, rawTarget, opts] = parts as [string, string, string | undefined];
  const target = cleanTarget(rawTarget);
  const vol: ServiceVolume = isHostPath(source)
    ? { type: 'bind', source: resolvePath(source, dir, home), target, bind: { create_host_path: true } }
    : { type: 'volume', source, target };
  for (const o of (opts ?? '').split(',').filter(Boolean)) {
    if (o === 'ro') vol.read_only = true;
    else if (o === 'rw') vol.read_only = false;
    else if (o === 'nocopy') vol.volume = { ...vol.volume, nocopy: true };
    else if (o === 'z' || o === 'Z') { if (vol.type === 'bind') vol.bind = { ...vol.bind, selinux: o }; }
    else if (PROPAGATIONS.has(o)) { if (vol.type === 'bind') vol.bind = { ...vol.bind, propagation: o }; }
    // compose-go ignores options it does not know, and so do we.
  }
  return vol;
}

/** Splits on ':' except the one of a Windows drive letter ("C:\dir:/data"). */
function splitVolumeSpec(spec: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === ':' && !(cur.length === 1 && /[A-Za-z]/.test(cur) && /[\\/]/.test(spec[i + 1] ?? ''))) { parts.push(cur); cur = ''; } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function longVolume(v: Record<string, unknown>, where: string, dir: string, home: string | undefined): ServiceVolume {
  const type = String(v.type) as ServiceVolume['type'];
  const vol: ServiceVolume = { type, target: cleanTarget(String(v.target ?? '')) };
  if (v.source !== undefined && v.source !== null && v.source !== '') {
    vol.source = type === 'bind' ? resolvePath(String(v.source), dir, home) : String(v.source);
  }
  if (v.read_only !== undefined) vol.read_only = toBool(v.read_only, `${where}.read_only`);
  const bind = v.bind as Record<string, unknown> | undefined;
  if (bind) {
    vol.bind = {};
    if (bind.propagation !== undefined) vol.bind.propagation = String(bind.propagation);
    if (bind.create_host_path !== undefined) vol.bind.create_host_path = toBool(bind.create_host_path, `${where}.bind.create_host_path`);
    if (bind.selinux !== undefined) vol.bind.selinux = String(bind.selinux) as 'z' | 'Z';
  }
  const volume = v.volume as Record<string, unknown> | undefined;
  if (volume) {
    vol.volume = {};
    if (volume.nocopy !== undefined) vol.volume.nocopy = toBool(volume.nocopy, `${where}.volume.nocopy`);
    if (volume.subpath !== undefined) vol.volume.subpath = String(volume.subpath);
  }
  const tmpfs = v.tmpfs as Record<string, unknown> | undefined;
  if (tmpfs) {
    vol.tmpfs = {};
    if (tmpfs.size !== undefined) vol.tmpfs.size = parseBytes(tmpfs.size, `${where}.tmpfs.size`);
    if (tmpfs.mode !== undefined) vol.tmpfs.mode = typeof tmpfs.mode === 'number' ? tmpfs.mode : parseInt(String(tmpfs.mode), 8);
  }
  return vol;
}
