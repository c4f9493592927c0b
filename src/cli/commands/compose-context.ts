/**
 * What every `berth compose` subcommand shares: the global flags (given before the
 * subcommand or after it, as Compose's persistent flags are), loading the project, and the
 * engine with Compose's progress output.
 */
import type { Invocation } from '../framework/command.js';
import type { FlagSpec, ParsedFlags } from '../framework/flags.js';
import type { Cli } from '../context.js';
import { ComposeEngine, type ComposeOutput } from '../../compose/project/index.js';
import { loadProject } from '../../compose/model/index.js';
import type { Project } from '../../compose/model/types.js';

type Inv = Invocation<Cli>;

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'file', short: 'f', type: 'list', usage: 'Compose configuration files' },
  { name: 'project-name', short: 'p', type: 'string', usage: 'Project name' },
  { name: 'project-directory', type: 'string', usage: 'Specify an alternate working directory\n(default: the path of the, first specified, Compose file)' },
  { name: 'env-file', type: 'list', usage: 'Specify an alternate environment file' },
  { name: 'profile', type: 'list', usage: 'Specify a profile to enable' },
  { name: 'ansi', type: 'string', usage: 'Control when to print ANSI control characters ("never"|"always"|"auto")', default: 'auto' },
  { name: 'progress', type: 'string', usage: 'Set type of progress output (auto, tty, plain, json, quiet)', default: 'auto' },
  { name: 'parallel', type: 'int', usage: 'Control max parallelism, -1 for unlimited', default: -1 },
  { name: 'compatibility', type: 'bool', usage: 'Run compose in backward compatibility mode' },
  { name: 'all-resources', type: 'bool', usage: 'Include all resources, even those not used by services' },
];

/** The global value of a flag: set after the subcommand wins, else before it. */
function global(inv: Inv, name: string): ParsedFlags | undefined {
  if (inv.flags.changed(name)) return inv.flags;
  return (inv.groupFlags ?? []).find((f) => f.changed(name));
}

export function globalString(inv: Inv, name: string): string | undefined {
  return global(inv, name)?.string(name);
}

export function globalList(inv: Inv, name: string): string[] {
  return [...(inv.groupFlags ?? []).flatMap((f) => (f.changed(name) ? f.list(name) : [])), ...(inv.flags.changed(name) ? inv.flags.list(name) : [])];
}

/** Compose's progress lines on stderr (" Container p-web-1  Started"), unless --progress quiet. */
export function composeOutput(inv: Inv): ComposeOutput {
  const { ctx } = inv;
  const quiet = globalString(inv, 'progress') === 'quiet';
  const ansi = globalString(inv, 'ansi') ?? 'auto';
  return {
    progress: (kind, name, status) => {
      if (!quiet) ctx.err(` ${kind} ${name}  ${status}\n`);
    },
    err: (text) => ctx.err(text),
    out: (text) => ctx.out(text),
    isTerminal: ansi === 'always' || (ansi === 'auto' && ctx.io.stdoutIsTerminal),
  };
}

export function engineOf(inv: Inv): ComposeEngine {
  return new ComposeEngine(inv.ctx.client, composeOutput(inv), inv.ctx.signal);
}

/** Loads the project; with no file but -p, an empty project of that name (down/ps/logs by name work). */
export async function projectOf(inv: Inv): Promise<Project> {
  const { ctx } = inv;
  const name = globalString(inv, 'project-name');
  try {
    return await loadProject({
      files: globalList(inv, 'file'), projectName: name, projectDirectory: globalString(inv, 'project-directory'),
      envFiles: globalList(inv, 'env-file'), profiles: globalList(inv, 'profile'), env: ctx.env, cwd: process.cwd(),
    });
  } catch (e) {
    if (name && /no configuration file provided/.test((e as Error).message)) {
      return { name, workingDir: process.cwd(), configFiles: [], services: {}, disabledServices: {}, networks: {}, volumes: {}, secrets: {}, configs: {}, environment: {} };
    }
    throw e;
  }
}

/** Flags several compose commands share, as Compose v2 declares them. */
export const buildFlag = { name: 'build', type: 'bool' as const, usage: 'Build images before starting containers' };
export const noBuildFlag = { name: 'no-build', type: 'bool' as const, usage: "Don't build an image, even if it's policy" };
export const forceRecreateFlag = { name: 'force-recreate', type: 'bool' as const, usage: "Recreate containers even if their configuration and image haven't changed" };
export const noRecreateFlag = { name: 'no-recreate', type: 'bool' as const, usage: "If containers already exist, don't recreate them. Incompatible with --force-recreate." };
export const removeOrphansFlag = { name: 'remove-orphans', type: 'bool' as const, usage: 'Remove containers for services not defined in the Compose file' };
export const scaleFlag = { name: 'scale', type: 'list' as const, usage: 'Scale SERVICE to NUM instances. Overrides the `scale` setting in the Compose file if present.' };
export const noColorFlag = { name: 'no-color', type: 'bool' as const, usage: 'Produce monochrome output' };
export const noLogPrefixFlag = { name: 'no-log-prefix', type: 'bool' as const, usage: "Don't print prefix in logs" };
