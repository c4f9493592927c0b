import { ComposeConfigError } from './errors.js';
import type { Project } from './types.js';

type Deps = (name: string) => string[];

function dependencies(project: Pick<Project, 'services'>): Deps {
  return (name) => Object.keys(project.services[name]?.depends_on ?? {}).filter((d) => d in project.services);
}

/** Throws Compose's error when depends_on loops: `dependency cycle detected: a -> b -> a`. */
export function checkCycles(project: Pick<Project, 'services'>): void {
  const deps = dependencies(project);
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, pathSoFar: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...pathSoFar.slice(pathSoFar.indexOf(name)), name];
      throw new ComposeConfigError(`dependency cycle detected: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const d of deps(name)) visit(d, [...pathSoFar, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(project.services).sort()) visit(name, []);
}

/**
 * The services to start, dependencies first: all of them, or `services` and (unless
 * `withDependencies` is false, as `--no-deps`) everything they depend on, transitively.
 * Services at the same depth keep their name order, so the result is stable.
 */
export function startOrder(project: Pick<Project, 'services'>, services?: string[], options: { withDependencies?: boolean } = {}): string[] {
  const deps = dependencies(project);
  for (const s of services ?? []) {
    if (!(s in project.services)) throw new ComposeConfigError(`no such service: ${s}`);
  }
  const selected = new Set<string>(services ?? Object.keys(project.services));
  if (services && options.withDependencies !== false) {
    const queue = [...selected];
    while (queue.length > 0) for (const d of deps(queue.pop()!)) if (!selected.has(d)) { selected.add(d); queue.push(d); }
  }
  checkCycles(project);
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    for (const d of deps(name).sort()) if (selected.has(d)) place(d);
    order.push(name);
  };
  for (const name of [...selected].sort()) place(name);
  return order;
}

/** The order to stop or remove in: dependents before what they depend on. */
export function stopOrder(project: Pick<Project, 'services'>, services?: string[]): string[] {
  return startOrder(project, services, { withDependencies: false }).reverse();
}
