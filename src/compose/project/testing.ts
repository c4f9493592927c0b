/**
 * Builders of resolved projects for tests of the engine, so they do not depend on the
 * loader: a service with every list and map empty, as the loader normalizes it.
 */
import type { Project, ServiceConfig } from '../model/types.js';

export function testService(name: string, o: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name, environment: {}, labels: {}, ports: [], expose: [], volumes: [], tmpfs: [], networks: { default: null }, depends_on: {},
    secrets: [], configs: [], cap_add: [], cap_drop: [], ulimits: {}, sysctls: {}, devices: [], extra_hosts: [], dns: [], dns_search: [],
    dns_opt: [], scale: 1, security_opt: [], group_add: [], ...o,
  };
}

export function testProject(name: string, services: ServiceConfig[], o: Partial<Project> = {}): Project {
  return {
    name, workingDir: '/srv/app', configFiles: ['/srv/app/compose.yaml'],
    services: Object.fromEntries(services.map((s) => [s.name, s])), disabledServices: {},
    networks: { default: { name: `${name}_default`, driver_opts: {}, external: false, labels: {} } },
    volumes: {}, secrets: {}, configs: {}, environment: {}, ...o,
  };
}
