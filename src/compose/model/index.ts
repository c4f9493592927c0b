/**
 * compose/model: loading a Compose project (discovery, .env, interpolation, schema, merge,
 * extends, include, profiles, long syntax, names) into the resolved `Project` that
 * compose/project runs, and printing it as `docker compose config` does. Pure: reads files,
 * never talks to an engine.
 */
export type * from './types.js';
export { ComposeConfigError } from './errors.js';
export { loadProject, normalizeProjectName } from './load.js';
export { renderConfig, projectToConfig, serviceNames, volumeNames } from './render.js';
export { startOrder, stopOrder, checkCycles } from './graph.js';
export { COMPOSE_FILE_NAMES, OVERRIDE_FILE_NAMES } from './discovery.js';
export { splitShellWords } from './shellwords.js';
export { parseBytes } from './units.js';
