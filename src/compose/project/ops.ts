/**
 * The per-container commands over a project's containers: stop, start, restart, kill,
 * pause, unpause, rm, and `down` which stops and removes everything up made. Stops go in
 * reverse dependency order, starts in dependency order, as Compose does.
 */
import { ApiError, type ContainerSummary } from '../../client/index.js';
import type { Project } from '../model/types.js';
import { Converger } from './converge.js';
import { dependencyOrder, nameOf, restartDependents, type ComposeEngine, ComposeError } from './engine.js';
import { imageName } from './create-body.js';
import { LABEL } from './labels.js';
import { removeNetworks, removeVolumes } from './resources.js';

/** Containers ordered so dependents come before their dependencies (stop order). */
export function stopOrder(project: Project | undefined, list: ContainerSummary[]): ContainerSummary[] {
  if (!project) return list;
  const rank = new Map(dependencyOrder(project).map((s, i) => [s.name, i]));
  return [...list].sort((a, b) => (rank.get(b.Labels?.[LABEL.service] ?? '') ?? -1) - (rank.get(a.Labels?.[LABEL.service] ?? '') ?? -1));
}

export async function stopContainers(engine: ComposeEngine, list: ContainerSummary[], timeoutS?: number): Promise<void> {
  for (const c of list) {
    if (c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused') continue;
    engine.output.progress('Container', nameOf(c), 'Stopping');
    await engine.client.call('POST', `/containers/${c.Id}/stop`, { query: { t: timeoutS }, signal: engine.signal });
    engine.output.progress('Container', nameOf(c), 'Stopped');
  }
}

export async function removeContainers(engine: ComposeEngine, list: ContainerSummary[], volumes = false): Promise<void> {
  for (const c of list) {
    engine.output.progress('Container', nameOf(c), 'Removing');
    try {
      await engine.client.call('DELETE', `/containers/${c.Id}`, { query: { force: true, v: volumes }, signal: engine.signal });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    engine.output.progress('Container', nameOf(c), 'Removed');
  }
}

export interface DownOptions {
  volumes?: boolean;
  removeOrphans?: boolean;
  rmi?: 'local' | 'all';
  timeoutS?: number;
}

export async function down(engine: ComposeEngine, project: Project, o: DownOptions): Promise<void> {
  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices)]);
  const all = await engine.containers(project.name, { all: true });
  const orphans = all.filter((c) => !known.has(c.Labels?.[LABEL.service] ?? ''));
  if (orphans.length > 0 && !o.removeOrphans) {
    engine.output.err(`WARN[0000] Found orphan containers ([${orphans.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
  }
  const list = stopOrder(project, o.removeOrphans ? all : all.filter((c) => !orphans.includes(c)));
  const anonymous: string[] = [];
  if (o.volumes) {
    for (const c of list) for (const m of c.Mounts ?? []) if (m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name)) anonymous.push(m.Name);
  }
  await stopContainers(engine, list, o.timeoutS);
  await removeContainers(engine, list, o.volumes === true);
  await removeNetworks(engine, project);
  if (o.volumes) await removeVolumes(engine, project, anonymous);
  if (o.rmi) {
    for (const s of Object.values(project.services)) {
      if (o.rmi === 'local' && s.image) continue;
      const ref = imageName(project, s);
      try {
        await engine.client.call('DELETE', `/images/${encodeURIComponent(ref)}`, { signal: engine.signal });
        engine.output.progress('Image', ref, 'Removed');
      } catch (e) {
        if (!(e instanceof ApiError && (e.status === 404 || e.status === 409))) throw e;
      }
    }
  }
}

export type SimpleOp = 'start' | 'stop' | 'restart' | 'kill' | 'pause' | 'unpause';

const DONE: Record<SimpleOp, [string, string]> = {
  start: ['Starting', 'Started'], stop: ['Stopping', 'Stopped'], restart: ['Restarting', 'Started'],
  kill: ['Killing', 'Killed'], pause: ['Pausing', 'Paused'], unpause: ['Unpausing', 'Unpaused'],
};

/** The simple per-container commands over the named services (all when none). */
export async function simpleOp(engine: ComposeEngine, project: Project, op: SimpleOp, services: string[], o: { timeoutS?: number; signal?: string; noDeps?: boolean } = {}): Promise<void> {
  for (const n of services) if (!project.services[n]) throw new ComposeError(`no such service: ${n}`);
  let list = await engine.containers(project.name, { all: true, oneoff: false, services });
  if (op === 'start') {
    if (list.length === 0) throw new ComposeError('service(s) not found or no containers to start');
    const converger = new Converger(engine, project);
    const rank = new Map(dependencyOrder(project).map((s, i) => [s.name, i]));
    list = [...list].sort((a, b) => (rank.get(a.Labels?.[LABEL.service] ?? '') ?? 0) - (rank.get(b.Labels?.[LABEL.service] ?? '') ?? 0));
    for (const c of list) {
      const s = project.services[c.Labels?.[LABEL.service] ?? ''];
      if (s) await converger.waitDependencies(s, engine.signal);
      await converger.start(c.Id);
    }
    return;
  }
  if (op === 'restart') return restart(engine, project, services, o.timeoutS, o.noDeps === true);
  list = stopOrder(project, list);
  if (op === 'kill' || op === 'pause') list = list.filter((c) => c.State === 'running');
  if (op === 'stop') list = list.filter((c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting');
  if (op === 'unpause') list = list.filter((c) => c.State === 'paused');
  if (op === 'kill' && list.length === 0) throw new ComposeError('no container to kill');
  const [doing, done] = DONE[op];
  for (const c of list) {
    engine.output.progress('Container', nameOf(c), doing);
    const query = op === 'kill' ? { signal: o.signal || 'SIGKILL' } : op === 'stop' ? { t: o.timeoutS } : {};
    await engine.client.call('POST', `/containers/${c.Id}/${op}`, { query, signal: engine.signal });
    engine.output.progress('Container', nameOf(c), done);
  }
}

/**
 * `restart` as Compose v2 does it: the named services (all when none) and, transitively, the
 * services that depend on them with `restart: true`, in dependency order, each once its
 * restarted `restart: true` dependencies met their condition again (`--no-deps`: the named
 * services only). Created-only containers are left alone.
 */
async function restart(engine: ComposeEngine, project: Project, services: string[], timeoutS: number | undefined, noDeps: boolean): Promise<void> {
  const names = services.length === 0 ? Object.keys(project.services) : [...services, ...(noDeps ? [] : restartDependents(project, services))];
  const list = await engine.containers(project.name, { all: true, oneoff: false, services: names });
  const converger = new Converger(engine, project);
  for (const s of dependencyOrder(project, names).filter((x) => names.includes(x.name))) {
    const mine = list.filter((c) => c.Labels?.[LABEL.service] === s.name && c.State !== 'created');
    if (mine.length === 0) continue;
    await converger.waitDependencies(s, engine.signal, (dep, d) => d.restart && names.includes(dep));
    for (const c of mine) {
      engine.output.progress('Container', nameOf(c), 'Restarting');
      await engine.client.call('POST', `/containers/${c.Id}/restart`, { query: { t: timeoutS }, signal: engine.signal });
      engine.output.progress('Container', nameOf(c), 'Started');
    }
  }
}

/** `rm`: stopped containers of the services (with `stop`, running ones are stopped first). */
export async function rm(engine: ComposeEngine, project: Project, services: string[], o: { stop?: boolean; volumes?: boolean; timeoutS?: number }): Promise<void> {
  let list = await engine.containers(project.name, { all: true, oneoff: false, services });
  if (o.stop) {
    await stopContainers(engine, stopOrder(project, list), o.timeoutS);
    list = await engine.containers(project.name, { all: true, oneoff: false, services });
  }
  const stopped = list.filter((c) => c.State !== 'running' && c.State !== 'restarting' && c.State !== 'paused');
  if (stopped.length === 0) {
    engine.output.err('No stopped containers\n');
    return;
  }
  await removeContainers(engine, stopped, o.volumes === true);
}
