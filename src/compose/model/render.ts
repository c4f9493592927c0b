import YAML from 'yaml';
import type { Project } from './types.js';

/** Drops what Compose's output leaves out (empty lists and maps, `external: false`) and sorts keys. */
function prune(v: unknown, keepNull: boolean): unknown {
  if (Array.isArray(v)) return v.map((e) => prune(e, true));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || (x === null && !keepNull)) continue;
      if (k === 'external' && x === false) continue;
      if (Array.isArray(x) && x.length === 0) continue;
      if (x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0) continue;
      out[k] = prune(x, true);
    }
    return out;
  }
  return v;
}

/** The project as `docker compose config` shows it: resolved, long syntax, keys sorted. */
export function projectToConfig(project: Project): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const name of Object.keys(project.services).sort()) {
    const { name: _name, scale, ...svc } = project.services[name]!;
    services[name] = { ...(prune(svc, true) as Record<string, unknown>), ...(scale !== 1 ? { scale } : {}) };
  }
  const out: Record<string, unknown> = { name: project.name, services };
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    if (Object.keys(project[kind]).length > 0) out[kind] = prune(project[kind], true);
  }
  return out;
}

/** What `config` prints: YAML (default) or JSON. */
export function renderConfig(project: Project, options: { format: 'yaml' | 'json' } = { format: 'yaml' }): string {
  const model = projectToConfig(project);
  if (options.format === 'json') return `${JSON.stringify(model, null, 2)}\n`;
  return YAML.stringify(model, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** `config --services`: the enabled services, one per line as Compose prints them. */
export function serviceNames(project: Project): string[] {
  return Object.keys(project.services).sort();
}

/** `config --volumes`: the top-level volumes' keys. */
export function volumeNames(project: Project): string[] {
  return Object.keys(project.volumes).sort();
}
