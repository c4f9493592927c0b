/**
 * Docker Compose's labels and names, which are its state: Compose keeps no database, it finds
 * a project's containers, networks and volumes by these labels on the engine, so berth's
 * containers and docker compose's (and docker-compose v1's) are each other's.
 */
import { createHash } from 'node:crypto';
import type { ServiceConfig } from '../model/types.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configHash: 'com.docker.compose.config-hash',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  environmentFile: 'com.docker.compose.project.environment_file',
  dependsOn: 'com.docker.compose.depends_on',
  image: 'com.docker.compose.image',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  replace: 'com.docker.compose.replace',
} as const;

/** The Compose version berth's compose speaks for (the .version label, `version`). */
export const COMPOSE_VERSION = '2.32.4';

/** `<project>-<service>-<n>`: Compose v2's name (v1 used `_`). */
export function containerName(project: string, service: ServiceConfig, number: number): string {
  return service.container_name ?? `${project}-${service.name}-${number}`;
}

/** A one-off (`run`) container: `<project>-<service>-run-<12 hex>`. */
export function oneoffName(project: string, service: string, random: string): string {
  return `${project}-${service}-run-${random}`;
}

/** Go's json.Marshal of a value with keys sorted: a stable text to hash. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * compose's ServiceHash: the service's configuration minus what does not change a container
 * (scale and replicas, build, pull_policy, depends_on's restart flag) hashed, so `up` recreates
 * a container only when this label differs.
 */
export function configHash(service: ServiceConfig): string {
  const { scale: _scale, build: _build, pull_policy: _pull, deploy, ...rest } = service;
  const kept = { ...rest, deploy: deploy ? { ...deploy, replicas: undefined } : undefined };
  return createHash('sha256').update(stableJson(kept)).digest('hex');
}

/** The `com.docker.compose.depends_on` label: `service:condition:restart` joined by commas. */
export function dependsOnLabel(service: ServiceConfig): string {
  return Object.entries(service.depends_on).map(([name, d]) => `${name}:${d.condition}:${d.restart}`).join(',');
}
