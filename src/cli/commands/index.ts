/**
 * Every command berth has, as docker groups them, each group's code loaded only when one of
 * its commands runs (ADR 0014): `berth ps` loads the container commands and not the image,
 * network or volume ones; `berth --version` loads none. A group is one line below: the
 * top-level names it answers to (its group command, docker's top-level shortcuts and their
 * aliases), its module, and which of the module's exports are root commands. Help of the root,
 * `berth help` and an unknown name load every group. index.test.ts checks each line's names
 * against the commands its module defines.
 */
import type { Command } from '../framework/command.js';
import type { Cli } from '../context.js';

type Cmd = Command<Cli>;

export interface LazyCommands {
  /** The names (and aliases) of the root's commands this group defines. */
  names: readonly string[];
  load: () => Promise<Cmd[]>;
}

function group<M>(names: readonly string[], load: () => Promise<M>, pick: (m: M) => Cmd[]): LazyCommands {
  return { names, load: async () => pick(await load()) };
}

export const commandGroups: LazyCommands[] = [
  group(['container', 'run', 'exec', 'ps', 'attach', 'commit', 'cp', 'create', 'diff', 'export', 'kill', 'logs', 'pause', 'rename', 'restart', 'rm', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait'], () => import('./container.js'), (m) => [m.containerGroup, ...m.containerShortcuts]),
  group(['image', 'images', 'build', 'history', 'import', 'load', 'rmi', 'save', 'tag'], () => import('./image.js'), (m) => [m.imageGroup, ...m.imageShortcuts]),
  group(['builder'], () => import('./builder.js'), (m) => [m.builderGroup]),
  group(['network'], () => import('./network.js'), (m) => [m.networkGroup]),
  group(['system', 'version', 'info', 'events'], () => import('./system.js'), (m) => [m.systemGroup, ...m.systemShortcuts]),
  group(['volume'], () => import('./volume.js'), (m) => [m.volumeGroup]),
  group(['pull', 'push', 'login', 'logout', 'search'], () => import('./registry.js'), (m) => m.registryShortcuts),
  group(['inspect'], () => import('./inspect.js'), (m) => [m.inspectCommand]),
  group(['compose', 'docker-cli-plugin-metadata'], () => import('./compose.js'), (m) => [m.composeGroup, m.pluginMetadataCommand]),
];

/**
 * Root commands whose module loads without the rest of their group: `berth ps` loads
 * container-ps.js, not every container command's module (run's flag tables, cp, exec, …).
 * Each is one line: the name, its module and the command in it, which is the very object
 * the group lists (index.test.ts checks it), so it runs, and prints its help and errors, as
 * from the group. Running it needs nothing of its siblings: a leaf's dispatch reads only the
 * leaf (framework/dispatch.ts). The build bundles each alone (ADR 0014).
 */
export const aloneCommands = new Map<string, () => Promise<Cmd>>([
  alone('ps', () => import('./container-ps.js'), (m) => m.psShortcut),
]);

function alone<M>(name: string, load: () => Promise<M>, pick: (m: M) => Cmd): [string, () => Promise<Cmd>] {
  return [name, async () => pick(await load())];
}

/**
 * The root's commands needed to run `name` (the first word after the global flags): that
 * command alone when it loads alone, else the groups that define it, or every group when no
 * group claims it (an unknown command's error) or when there is no name (root help,
 * `berth help`).
 */
export async function loadCommands(name?: string): Promise<Cmd[]> {
  const only = name === undefined ? undefined : aloneCommands.get(name);
  if (only !== undefined) return [await only()];
  const claimed = name === undefined ? [] : commandGroups.filter((g) => g.names.includes(name));
  const lists = await Promise.all((claimed.length > 0 ? claimed : commandGroups).map((g) => g.load()));
  return lists.flat();
}
