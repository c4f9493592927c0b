import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { createUserNamespace, type IdMapping, type UserNamespace } from '../sys/index.js';
import { exec } from '../util/index.js';

/** The user Docker makes for `userns-remap: default`. */
export const DEFAULT_REMAP_USER = 'dockremap';
const RANGE_START = 100000;
const RANGE_SIZE = 65536;

export interface SubIdFiles { subuid: string; subgid: string }

interface Range { name: string; start: number; size: number }

/** /etc/subuid lines `name:start:count` (or numeric uid), in file order. */
export function parseSubIds(text: string): Range[] {
  const out: Range[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [name, start, size] = t.split(':');
    if (!name || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(size ?? '')) continue;
    out.push({ name, start: Number(start), size: Number(size) });
  }
  return out;
}

/** The ranges of `name` (or its numeric id) as container ids 0… mapped in file order (moby idtools). */
export function mappingsFor(ranges: readonly Range[], names: readonly string[]): IdMapping[] {
  const mine = ranges.filter((r) => names.includes(r.name));
  const out: IdMapping[] = [];
  let containerID = 0;
  for (const r of mine) {
    out.push({ containerID, hostID: r.start, size: r.size });
    containerID += r.size;
  }
  return out;
}

interface PasswdEntry { name: string; id: number }

function readDb(file: string): PasswdEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const f = l.split(':');
    return { name: f[0]!, id: Number(f[2]) };
  });
}

/** A user or group given by name or number, as its name and number (both may be used in subid files). */
function lookup(db: PasswdEntry[], spec: string, kind: 'user' | 'group'): { name: string; id: number } {
  const e = /^\d+$/.test(spec) ? db.find((x) => x.id === Number(spec)) : db.find((x) => x.name === spec);
  if (!e) throw new Error(`Can't create ID mappings: no such ${kind}: ${spec}`);
  return e;
}

/**
 * `userns-remap` as dockerd reads it: `default` is the `dockremap` user and group (made, with a
 * free 65536-id range in the subuid/subgid files, when missing), or `user[:group]` by name or id.
 * Every subordinate range of the user (group) maps in order from container id 0.
 */
export async function resolveRemap(spec: string, files: SubIdFiles): Promise<{ user: string; group: string; uidMappings: IdMapping[]; gidMappings: IdMapping[] }> {
  let userSpec: string;
  let groupSpec: string;
  if (spec === 'default') {
    await ensureDefaultUser(files);
    userSpec = groupSpec = DEFAULT_REMAP_USER;
  } else {
    const [u, g] = spec.split(':');
    if (!u) throw new Error(`Can't create ID mappings: invalid userns-remap value: ${JSON.stringify(spec)}`);
    userSpec = u;
    groupSpec = g || u;
  }
  const user = lookup(readDb('/etc/passwd'), userSpec, 'user');
  const group = lookup(readDb('/etc/group'), groupSpec, 'group');
  const uids = parseSubIds(existsSync(files.subuid) ? readFileSync(files.subuid, 'utf8') : '');
  const gids = parseSubIds(existsSync(files.subgid) ? readFileSync(files.subgid, 'utf8') : '');
  const uidMappings = mappingsFor(uids, [user.name, String(user.id)]);
  const gidMappings = mappingsFor(gids, [group.name, String(group.id)]);
  if (uidMappings.length === 0) throw new Error(`Can't create ID mappings: no subuid ranges found for user "${user.name}"`);
  if (gidMappings.length === 0) throw new Error(`Can't create ID mappings: no subgid ranges found for group "${group.name}"`);
  return { user: user.name, group: group.name, uidMappings, gidMappings };
}

/** dockerd's `default`: a system user `dockremap` and a free 65536-id range, made once. */
async function ensureDefaultUser(files: SubIdFiles): Promise<void> {
  if (!readDb('/etc/passwd').some((e) => e.name === DEFAULT_REMAP_USER)) {
    await exec('useradd', ['--system', '--shell', '/bin/false', '--no-create-home', '--user-group', DEFAULT_REMAP_USER], { timeoutMs: 30_000 });
  }
  for (const file of [files.subuid, files.subgid]) {
    const ranges = parseSubIds(existsSync(file) ? readFileSync(file, 'utf8') : '');
    if (ranges.some((r) => r.name === DEFAULT_REMAP_USER)) continue;
    // The first free 65536 ids at or above 100000, past every range already given out.
    let start = RANGE_START;
    for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
      if (start + RANGE_SIZE <= r.start) break;
      start = Math.max(start, r.start + r.size);
    }
    await fsp.appendFile(file, `${DEFAULT_REMAP_USER}:${start}:${RANGE_SIZE}\n`);
  }
}

/** The remapping in effect: its ranges and a user namespace with them, for idmapped layers. */
export interface Remap {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  userns: UserNamespace;
}

export async function openRemap(spec: string, files: SubIdFiles): Promise<Remap> {
  const r = await resolveRemap(spec, files);
  const userns = await createUserNamespace(r.uidMappings, r.gidMappings);
  return { uidMappings: r.uidMappings, gidMappings: r.gidMappings, userns };
}
