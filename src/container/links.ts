import { ConflictError, InternalError, InvalidArgumentError, NotFoundError, NotImplementedError } from '../errors/index.js';
import type { ContainerLink, ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';

/**
 * Legacy links (`--link name:alias`) on the default bridge, as dockerd keeps them (moby
 * daemon/links.go, daemon/links/links.go): resolved to the child's id at create, turned into
 * environment variables and /etc/hosts entries at each start from the child's address then.
 */

/** moby opts.ParseLink: `name[:alias]`, or the `/name:/parent/alias` form inspect shows. */
export function parseLink(val: string): { name: string; alias: string } {
  if (val === '') throw new InvalidArgumentError('empty string specified for links');
  const arr = val.split(':');
  if (arr.length > 2) throw new InvalidArgumentError(`bad format for links: ${val}`);
  if (arr.length === 1) return { name: val, alias: val };
  if (arr[0]!.startsWith('/')) return { name: arr[0]!.slice(1), alias: arr[1]!.split('/').pop()! };
  return { name: arr[0]!, alias: arr[1]! };
}

/** moby registerLinks, with its words: the children of a new container on the default bridge. */
export function resolveLinks(store: ContainerStore, links: readonly string[], mode: string): ContainerLink[] {
  if (links.length === 0) return [];
  if (mode === 'host') throw new InvalidArgumentError('conflicting options: host type networking can\'t be used with links. This would result in undefined behavior');
  if (mode.startsWith('container:')) throw new InvalidArgumentError('conflicting options: container type network can\'t be used with links. This would result in undefined behavior');
  const out: ContainerLink[] = [];
  for (const l of links) {
    const { name, alias } = parseLink(l);
    let child: ContainerRecord;
    try {
      child = store.resolve(name);
    } catch (err) {
      // A 400, not a 404: the docker CLI would otherwise report the image as missing (moby#39823).
      if (err instanceof NotFoundError) throw new InvalidArgumentError(`could not get container for ${name}: ${err.message}`, { cause: err });
      throw err;
    }
    while (child.hostConfig.NetworkMode?.startsWith('container:')) child = store.resolve(child.hostConfig.NetworkMode.slice('container:'.length));
    if (child.hostConfig.NetworkMode === 'host') throw new InvalidArgumentError('conflicting options: host type networking can\'t be used with links. This would result in undefined behavior');
    if (out.some((x) => x.alias === alias)) throw new ConflictError(`Conflict. The name "/${alias}" is already in use by container "${out.find((x) => x.alias === alias)!.childId}". You have to remove (or rename) that container to be able to reuse that name.`);
    out.push({ childId: child.id, alias });
  }
  return out;
}

/** HostConfig.Links as inspect shows them: `/child:/parent/alias`. */
export function linksForInspect(store: ContainerStore, rec: ContainerRecord): string[] | null {
  if (!rec.links) return rec.hostConfig.Links ?? null;
  if (rec.links.length === 0) return null;
  return rec.links.map((l) => `${store.get(l.childId)?.name ?? `/${l.childId}`}:${rec.name}/${l.alias}`);
}

export interface LinkedChild {
  /** `/parent/alias`. */
  linkName: string;
  alias: string;
  child: ContainerRecord;
  childIp: string;
}

/** moby's check at start: every child runs and has an address on the default bridge. */
export function linkedChildren(store: ContainerStore, rec: ContainerRecord, bridgeIpOf: (id: string) => string | undefined): LinkedChild[] {
  return (rec.links ?? []).map((l) => {
    const linkName = `${rec.name}/${l.alias}`;
    const child = store.get(l.childId);
    if (!child) throw new InvalidArgumentError(`could not get container for ${l.alias}: No such container: ${l.childId}`);
    if (child.state.status !== 'running' && child.state.status !== 'paused') {
      throw new InternalError(`Cannot link to a non running container: ${child.name} AS ${linkName}`);
    }
    const childIp = bridgeIpOf(child.id);
    if (!childIp) throw new InternalError(`Cannot link to ${child.name}, as it does not belong to the default network`);
    return { linkName, alias: l.alias, child, childIp };
  });
}

/** The /etc/hosts entry of a link: alias, the child's hostname, and its name when the alias differs. */
export function linkHostsEntry(l: LinkedChild): { ip: string; names: string } {
  const childName = l.child.name.replace(/^\//, '');
  let names = `${l.alias} ${l.child.config.Hostname ?? l.child.id.slice(0, 12)}`;
  if (l.alias !== childName) names += ` ${childName}`;
  return { ip: l.childIp, names };
}

/** moby links.Link.ToEnv: ALIAS_PORT, ALIAS_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO], ranges, ALIAS_NAME, ALIAS_ENV_*. */
export function linkEnv(linkName: string, childIp: string, childEnv: readonly string[], exposedPorts: readonly string[]): string[] {
  const alias = linkName.split('/').pop()!.toUpperCase().replace(/-/g, '_');
  const ports = exposedPorts.map((k) => {
    const [port, proto = 'tcp'] = k.split('/');
    return { port: Number(port), proto };
  }).sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const env: string[] = [];
  if (ports[0]) env.push(`${alias}_PORT=${ports[0].proto}://${childIp}:${ports[0].port}`);
  for (let i = 0; i < ports.length;) {
    const p = ports[i]!;
    const j = nextContiguous(ports.map((x) => x.port), p.port, i);
    if (j > i + 1) {
      const P = p.proto.toUpperCase();
      const q = ports[j]!;
      env.push(`${alias}_PORT_${p.port}_${P}_START=${p.proto}://${childIp}:${p.port}`, `${alias}_PORT_${p.port}_${P}_ADDR=${childIp}`,
        `${alias}_PORT_${p.port}_${P}_PROTO=${p.proto}`, `${alias}_PORT_${p.port}_${P}_PORT_START=${p.port}`,
        `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_END=${q.proto}://${childIp}:${q.port}`, `${alias}_PORT_${p.port}_${q.proto.toUpperCase()}_PORT_END=${q.port}`);
      i = j + 1;
    } else {
      i++;
    }
  }
  for (const p of ports) {
    const P = p.proto.toUpperCase();
    env.push(`${alias}_PORT_${p.port}_${P}=${p.proto}://${childIp}:${p.port}`, `${alias}_PORT_${p.port}_${P}_ADDR=${childIp}`,
      `${alias}_PORT_${p.port}_${P}_PORT=${p.port}`, `${alias}_PORT_${p.port}_${P}_PROTO=${p.proto}`);
  }
  env.push(`${alias}_NAME=${linkName}`);
  for (const v of childEnv) {
    const eq = v.indexOf('=');
    if (eq < 0) continue;
    const name = v.slice(0, eq);
    // dockerd leaves out what `docker build` adds.
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${v.slice(eq + 1)}`);
  }
  return env;
}

function nextContiguous(ports: readonly number[], value: number, index: number): number {
  if (index + 1 === ports.length) return index;
  for (let i = index + 1; i < ports.length; i++) {
    if (ports[i]! > value + 1) return i - 1;
    value++;
  }
  return ports.length - 1;
}

/**
 * The legacy links of a new container (HostConfig.Links). On a user-defined network dockerd
 * ignores them (moby registerLinks returns early for `IsUserDefined()`): there a link is an
 * endpoint's (EndpointSettings.Links), and HostConfig.Links is only kept for inspect.
 * docker-compose v1 relies on it: `run` sends links to its own service's containers.
 */
export function planLinks(store: ContainerStore, links: readonly string[] | null | undefined, mode: string): ContainerLink[] | undefined {
  if (!links?.length) return undefined;
  if (mode === 'none') throw new NotImplementedError('berth supports links on the default bridge network only');
  if (mode !== 'default' && mode !== 'bridge' && mode !== 'host' && !mode.startsWith('container:')) return undefined;
  return resolveLinks(store, links, mode);
}

/** moby rmLink: `/parent/alias` leaves the parent's record (its next start has no such link). */
export async function removeLink(store: ContainerStore, linkName: string): Promise<void> {
  const shown = linkName.replace(/^\/+/, '');
  const parts = shown.split('/');
  // dockerd's plain error (500), word for word.
  if (parts.length < 2) throw new InternalError('Conflict, cannot remove the default link name of the container');
  const alias = parts.pop()!;
  let parentId: string;
  try {
    parentId = store.resolve(parts.join('/')).id;
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`No such container: ${shown}`, { cause: err });
    throw err;
  }
  await store.withLock(parentId, async () => {
    if (!store.resolve(parentId).links?.some((l) => l.alias === alias)) throw new NotFoundError(`No such container: ${shown}`);
    await store.update(parentId, (cur) => ({ ...cur, links: (cur.links ?? []).filter((l) => l.alias !== alias) }), { durable: true });
  });
}
