/**
 * A project's networks and volumes: created on `up` with Compose's labels, checked when they
 * exist (an external one must), removed on `down` (networks always, volumes with `-v`).
 */
import { ApiError } from '../../client/index.js';
import type { Project } from '../model/types.js';
import { ComposeError, type ComposeEngine } from './engine.js';
import { COMPOSE_VERSION, LABEL } from './labels.js';

function isNotFound(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

/** The networks the given services use (plus `default` when one of them has none). */
export function usedNetworks(project: Project, services: string[]): string[] {
  const keys = new Set<string>();
  for (const name of services) {
    const s = project.services[name];
    if (!s || s.network_mode) continue;
    for (const k of Object.keys(s.networks)) keys.add(k);
  }
  return [...keys].sort();
}

export async function ensureNetworks(engine: ComposeEngine, project: Project, keys: string[]): Promise<void> {
  for (const key of keys) {
    const n = project.networks[key];
    if (!n) throw new ComposeError(`service refers to undefined network ${key}: invalid compose project`);
    try {
      const existing = await engine.client.json<{ Labels?: Record<string, string> | null }>('GET', `/networks/${encodeURIComponent(n.name)}`, { signal: engine.signal });
      const owner = existing.Labels?.[LABEL.project];
      if (!n.external && owner !== undefined && owner !== project.name) {
        engine.output.err(`WARN[0000] a network with name ${n.name} exists but was not created for project "${project.name}".\nSet \`external: true\` to use an existing network \n`);
      }
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (n.external) throw new ComposeError(`network ${n.name} declared as external, but could not be found`);
    engine.output.progress('Network', n.name, 'Creating');
    const ipam = n.ipam ? {
      Driver: n.ipam.driver ?? 'default', Options: n.ipam.options ?? {},
      Config: (n.ipam.config ?? []).map((c) => ({ Subnet: c.subnet, IPRange: c.ip_range, Gateway: c.gateway, AuxiliaryAddresses: c.aux_addresses })),
    } : undefined;
    await engine.client.call('POST', '/networks/create', {
      json: {
        Name: n.name, Driver: n.driver ?? 'bridge', Options: n.driver_opts, Internal: n.internal === true, Attachable: n.attachable === true,
        EnableIPv6: n.enable_ipv6, IPAM: ipam, CheckDuplicate: true,
        Labels: { ...n.labels, [LABEL.project]: project.name, [LABEL.network]: key, [LABEL.version]: COMPOSE_VERSION },
      },
      signal: engine.signal,
    });
    engine.output.progress('Network', n.name, 'Created');
  }
}

/** The named volumes the given services mount. */
export function usedVolumes(project: Project, services: string[]): string[] {
  const keys = new Set<string>();
  for (const name of services) {
    for (const v of project.services[name]?.volumes ?? []) if (v.type === 'volume' && v.source && project.volumes[v.source]) keys.add(v.source);
  }
  return [...keys].sort();
}

export async function ensureVolumes(engine: ComposeEngine, project: Project, keys: string[]): Promise<void> {
  for (const key of keys) {
    const v = project.volumes[key]!;
    try {
      await engine.client.json('GET', `/volumes/${encodeURIComponent(v.name)}`, { signal: engine.signal });
      continue;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (v.external) throw new ComposeError(`external volume "${v.name}" not found`);
    engine.output.progress('Volume', `"${v.name}"`, 'Creating');
    await engine.client.call('POST', '/volumes/create', {
      json: { Name: v.name, Driver: v.driver ?? 'local', DriverOpts: v.driver_opts, Labels: { ...v.labels, [LABEL.project]: project.name, [LABEL.volume]: key, [LABEL.version]: COMPOSE_VERSION } },
      signal: engine.signal,
    });
    engine.output.progress('Volume', `"${v.name}"`, 'Created');
  }
}

/** down: the project's networks that are not external (by label, so renamed keys go too). */
export async function removeNetworks(engine: ComposeEngine, project: Project): Promise<void> {
  const list = await engine.client.json<Array<{ Name: string; Id: string }>>('GET', '/networks', {
    query: { filters: JSON.stringify({ label: [`${LABEL.project}=${project.name}`] }) }, signal: engine.signal,
  });
  const names = new Set((list ?? []).map((n) => n.Name));
  for (const n of Object.values(project.networks)) if (!n.external) names.add(n.name);
  for (const name of [...names].sort()) {
    engine.output.progress('Network', name, 'Removing');
    try {
      await engine.client.call('DELETE', `/networks/${encodeURIComponent(name)}`, { signal: engine.signal });
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
    engine.output.progress('Network', name, 'Removed');
  }
}

/** down -v: the project's volumes (named, not external) and the anonymous ones its containers had. */
export async function removeVolumes(engine: ComposeEngine, project: Project, anonymous: string[]): Promise<void> {
  const list = await engine.client.json<{ Volumes?: Array<{ Name: string }> | null }>('GET', '/volumes', {
    query: { filters: JSON.stringify({ label: [`${LABEL.project}=${project.name}`] }) }, signal: engine.signal,
  });
  const names = new Set((list.Volumes ?? []).map((v) => v.Name));
  for (const v of Object.values(project.volumes)) if (!v.external) names.add(v.name);
  for (const name of [...names].sort()) {
    try {
      await engine.client.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { signal: engine.signal });
      engine.output.progress('Volume', name, 'Removed');
    } catch (e) {
      if (isNotFound(e)) continue;
      throw e;
    }
  }
  for (const name of anonymous) {
    await engine.client.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { signal: engine.signal }).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
  }
}
