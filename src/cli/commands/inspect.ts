/**
 * `berth inspect NAME|ID…`: docker's system inspect, which tries each object kind in turn
 * (container, image, network, volume) and skips kinds that answer "not found". Swarm
 * kinds (service, task, node, secret, config) are only tried with --type: berth has no
 * swarm, and docker skips them too when the daemon is not a swarm manager.
 */
import { ApiError } from '../../client/index.js';
import type { Command } from '../framework/command.js';
import { runInspect } from '../inspect.js';
import type { Cli } from '../context.js';
import { formatFlag, INSPECT_FORMAT_HELP, pathName } from './common.js';

const ALL_TYPES = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

interface Kind { type: string; path: (ref: string) => string; sizeSupported?: boolean; swarm?: boolean }

const KINDS: Kind[] = [
  { type: 'container', path: (r) => `/containers/${pathName(r)}/json`, sizeSupported: true },
  { type: 'image', path: (r) => `/images/${pathName(r)}/json` },
  { type: 'network', path: (r) => `/networks/${pathName(r)}` },
  { type: 'volume', path: (r) => `/volumes/${pathName(r)}` },
  { type: 'service', path: (r) => `/services/${pathName(r)}?insertDefaults=true`, swarm: true },
  { type: 'task', path: (r) => `/tasks/${pathName(r)}`, swarm: true },
  { type: 'node', path: (r) => `/nodes/${pathName(r)}`, swarm: true },
  { type: 'plugin', path: (r) => `/plugins/${pathName(r)}/json` },
  { type: 'secret', path: (r) => `/secrets/${pathName(r)}`, swarm: true },
  { type: 'config', path: (r) => `/configs/${pathName(r)}`, swarm: true },
];

function isSkippable(e: unknown): boolean {
  if (!(e instanceof ApiError)) return false;
  return e.isNotFound || e.message.includes('not supported') || e.message.includes('invalid reference format');
}

async function inspectAny(cli: Cli, ref: string, onlyType: string, size: boolean): Promise<string> {
  for (const kind of KINDS) {
    if (onlyType && kind.type !== onlyType) continue;
    if (!onlyType && kind.swarm) continue;
    try {
      const path = kind.path(ref);
      const raw = await cli.client.text('GET', path, { query: kind.sizeSupported && size ? { size: '1' } : undefined, signal: cli.signal });
      if (size && !kind.sizeSupported) cli.err(`WARNING: --size ignored for ${kind.type}\n`);
      return raw;
    } catch (e) {
      if (!onlyType && isSkippable(e)) continue;
      throw e;
    }
  }
  throw new Error(`Error: No such object: ${ref}`);
}

export const inspectCommand: Command<Cli> = {
  use: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on berth objects',
  args: { kind: 'min', n: 1 },
  flags: [
    formatFlag('f', INSPECT_FORMAT_HELP),
    { name: 'size', short: 's', type: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', type: 'string', usage: 'Only inspect objects of the given type' },
  ],
  run: async ({ ctx, args, flags }) => {
    const type = flags.string('type');
    const allowed = `"${ALL_TYPES.join('", "')}"`;
    if (flags.changed('type') && type === '') throw new Error(`type is empty: must be one of ${allowed}`);
    if (type && !ALL_TYPES.includes(type)) throw new Error(`unknown type: ${JSON.stringify(type)}: must be one of ${allowed}`);
    await runInspect(ctx, args, flags.string('format'), (ref) => inspectAny(ctx, ref, type, flags.bool('size')));
  },
};
