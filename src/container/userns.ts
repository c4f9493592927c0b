import { promises as fsp } from 'node:fs';
import { InvalidArgumentError } from '../errors/index.js';
import type { IdMapping } from '../sys/index.js';
import type { HostConfig, OciSpec } from '../types/container.js';

/** The daemon's userns-remap: the ranges, and an fd of a user namespace with them (idmapped layers). */
export interface IdRemap {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
  usernsFd: number;
}

/** The mappings a remapped container was created with (kept in its record). */
export interface ContainerIdMappings {
  uidMappings: IdMapping[];
  gidMappings: IdMapping[];
}

/** A container id's host id under `mappings`; ids outside every range are the overflow id. */
export function toHostId(mappings: readonly IdMapping[], id: number): number {
  for (const m of mappings) if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  return 65534;
}

/**
 * moby verifyPlatformContainerSettings' user namespace checks: `--userns` is '' or host, and a
 * remapped container cannot be privileged nor share the host's network or PID namespace.
 */
export function checkUsernsMode(hc: HostConfig, isRemapActive: boolean): void {
  const mode = hc.UsernsMode ?? '';
  if (mode !== '' && mode !== 'host') throw new InvalidArgumentError(`invalid USER mode: ${mode}`);
  if (!isRemapActive || mode === 'host') return;
  if (hc.Privileged) throw new InvalidArgumentError('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  if (hc.NetworkMode === 'host') throw new InvalidArgumentError("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host') throw new InvalidArgumentError('cannot share the host PID namespace when user namespaces are enabled');
}

/** Files berthd makes for a remapped container belong to its root, as under dockerd. */
export async function chownToRoot(m: ContainerIdMappings, ...files: string[]): Promise<void> {
  const uid = toHostId(m.uidMappings, 0);
  const gid = toHostId(m.gidMappings, 0);
  for (const f of files) await fsp.lchown(f, uid, gid);
}

/**
 * The spec of a remapped container (moby WithNamespaces/withMounts under userns): its own user
 * namespace with the ranges, and the cgroup mount not read-only (it cannot be remounted
 * read-only from inside a user namespace).
 */
export function applyUserns(spec: OciSpec, m: ContainerIdMappings): void {
  const linux = spec.linux ?? (spec.linux = {});
  const ns = linux.namespaces ?? (linux.namespaces = []);
  if (!ns.some((n) => n.type === 'user')) ns.push({ type: 'user' });
  linux.uidMappings = m.uidMappings.map((x) => ({ ...x }));
  linux.gidMappings = m.gidMappings.map((x) => ({ ...x }));
  // Docker's default ping range names every gid; inside a user namespace only mapped ones may be named.
  if (linux.sysctl?.['net.ipv4.ping_group_range'] === '0 2147483647') {
    const size = m.gidMappings.reduce((n, x) => Math.max(n, x.containerID + x.size), 0);
    linux.sysctl['net.ipv4.ping_group_range'] = `0 ${size - 1}`;
  }
  for (const mount of spec.mounts ?? []) {
    if (mount.type === 'cgroup') mount.options = (mount.options ?? []).filter((o) => o !== 'ro');
  }
}

/** A host id back to the container's (the overflow id when outside every range), as dockerd's archives map them. */
export function toContainerId(mappings: readonly IdMapping[], hostId: number): number {
  for (const m of mappings) if (hostId >= m.hostID && hostId < m.hostID + m.size) return m.containerID + (hostId - m.hostID);
  return 65534;
}

/** The tar owner mapping of a remapped container's files (commit, export); undefined when not remapped. */
export function unshiftIds(m: ContainerIdMappings | undefined): ((uid: number, gid: number) => [number, number]) | undefined {
  if (!m) return undefined;
  return (uid, gid) => [toContainerId(m.uidMappings, uid), toContainerId(m.gidMappings, gid)];
}

/**
 * The idmapped-layer mount of a remapped container (undefined for others), refused when the
 * daemon runs with another mapping than the one the container was made with.
 */
export function idmapFor(rec: { id: string; idMappings?: ContainerIdMappings }, remap: IdRemap | undefined): { usernsFd: number } | undefined {
  if (!rec.idMappings) return undefined;
  const same = remap && JSON.stringify(remap.uidMappings) === JSON.stringify(rec.idMappings.uidMappings) && JSON.stringify(remap.gidMappings) === JSON.stringify(rec.idMappings.gidMappings);
  if (!same) throw new InvalidArgumentError(`container ${rec.id} was created with userns-remap ranges ${JSON.stringify(rec.idMappings.uidMappings)}: start berthd with the same userns-remap setting to run it`);
  return { usernsFd: remap.usernsFd };
}
