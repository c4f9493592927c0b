/**
 * What every compose command shares: the Engine API client, the progress lines Compose v2
 * prints on stderr (" Container p-web-1  Started"), and finding a project's containers,
 * networks and volumes by their labels (Compose keeps no state of its own).
 */
import { ApiError, type ContainerSummary, type EngineClient } from '../../client/index.js';
import type { Project, ServiceConfig } from '../model/types.js';
import { LABEL } from './labels.js';

export interface ComposeOutput {
  /** One progress line on stderr: " Container p-web-1  Started". */
  progress(kind: 'Network' | 'Volume' | 'Container' | 'Image' | 'Service', name: string, status: string): void;
  /** Text on stderr as is (warnings). */
  err(text: string): void;
  /** Text on stdout (attached logs, ps); waits for drain. */
  out(text: string): Promise<void>;
  /** Whether stdout is a terminal (colours in attached logs). */
  isTerminal: boolean;
}

export class ComposeError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'ComposeError';
  }
}

export interface ListOptions {
  all?: boolean;
  services?: string[];
  /** true: only one-off (run) containers; false: none; undefined: both. */
  oneoff?: boolean;
}

export class ComposeEngine {
  constructor(readonly client: EngineClient, readonly output: ComposeOutput, readonly signal?: AbortSignal) {}

  /** The project's containers, newest API listing filtered by labels, sorted by service and number. */
  async containers(projectName: string, o: ListOptions = {}): Promise<ContainerSummary[]> {
    const labels = [`${LABEL.project}=${projectName}`];
    if (o.oneoff === true) labels.push(`${LABEL.oneoff}=True`);
    if (o.oneoff === false) labels.push(`${LABEL.oneoff}=False`);
    const list = await this.client.json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all: o.all === true, filters: JSON.stringify({ label: labels }) }, signal: this.signal,
    });
    const wanted = o.services && o.services.length > 0 ? new Set(o.services) : undefined;
    return (list ?? [])
      .filter((c) => !wanted || wanted.has(c.Labels?.[LABEL.service] ?? ''))
      .sort((a, b) => {
        const sa = a.Labels?.[LABEL.service] ?? '';
        const sb = b.Labels?.[LABEL.service] ?? '';
        if (sa !== sb) return sa < sb ? -1 : 1;
        return Number(a.Labels?.[LABEL.number] ?? 0) - Number(b.Labels?.[LABEL.number] ?? 0);
      });
  }

  async inspect<T = Record<string, unknown>>(id: string): Promise<T> {
    return this.client.json<T>('GET', `/containers/${encodeURIComponent(id)}/json`, { signal: this.signal });
  }

  /** Whether an image exists locally; its ID when it does. */
  async imageId(ref: string): Promise<string | undefined> {
    try {
      const img = await this.client.json<{ Id: string }>('GET', `/images/${encodeURIComponent(ref)}/json`, { signal: this.signal });
      return img.Id;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** Every project name that has containers (ls): from the labels of all containers. */
  async projects(all: boolean): Promise<Array<{ name: string; states: string[]; configFiles: string }>> {
    const list = await this.client.json<ContainerSummary[]>('GET', '/containers/json', {
      query: { all, filters: JSON.stringify({ label: [LABEL.project] }) }, signal: this.signal,
    });
    const byName = new Map<string, { name: string; states: string[]; configFiles: string }>();
    for (const c of list ?? []) {
      const name = c.Labels?.[LABEL.project] ?? '';
      const p = byName.get(name) ?? { name, states: [], configFiles: c.Labels?.[LABEL.configFiles] ?? '' };
      p.states.push(c.State ?? '');
      byName.set(name, p);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}

/** The container's name as Compose prints it: without the leading slash. */
export function nameOf(c: ContainerSummary): string {
  return (c.Names?.[0] ?? c.Id).replace(/^\//, '');
}

/** Services in dependency order (dependencies first), stable by name; a cycle is an error. */
export function dependencyOrder(project: Project, names?: string[]): ServiceConfig[] {
  const order: ServiceConfig[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, from: string[]): void => {
    const s = project.services[name];
    if (!s) return;
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new ComposeError(`dependency cycle detected: ${[...from, name].join(' -> ')}`);
    state.set(name, 'visiting');
    for (const dep of Object.keys(s.depends_on).sort()) visit(dep, [...from, name]);
    state.set(name, 'done');
    order.push(s);
  };
  for (const name of (names ?? Object.keys(project.services)).slice().sort()) visit(name, []);
  return order;
}

/** The named services plus (unless noDeps) everything they depend on. */
export function withDependencies(project: Project, names: string[], noDeps: boolean): string[] {
  if (names.length === 0) return Object.keys(project.services);
  for (const n of names) if (!project.services[n]) throw new ComposeError(`no such service: ${n}`);
  if (noDeps) return names;
  return dependencyOrder(project, names).map((s) => s.name);
}

/**
 * The services that declare `depends_on: {<name>: {restart: true}}` on any of `names`,
 * transitively (compose-go's GetDependentsForService, followed as `restart` does with
 * IncludeDependents once the edges without restart are dropped); `names` not included.
 */
export function restartDependents(project: Project, names: string[]): string[] {
  const found = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift()!;
    for (const s of Object.values(project.services)) {
      if (s.depends_on[name]?.restart && !found.has(s.name) && !names.includes(s.name)) {
        found.add(s.name);
        queue.push(s.name);
      }
    }
  }
  return [...found].sort();
}
