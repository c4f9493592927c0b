/**
 * `berth compose`: Docker Compose v2's command line over compose/model (loading) and
 * compose/project (running). The global flags (-f, -p, --project-directory, --env-file,
 * --profile) go before the subcommand or after it, as Compose's persistent flags do.
 * Errors print as Compose prints them and exit 1.
 */
import type { Command } from '../framework/command.js';
import type { Cli } from '../context.js';
import { COMPOSE_VERSION } from '../../compose/project/index.js';
import { StatusError } from '../framework/errors.js';
import { composeCommands } from './compose-commands.js';
import { GLOBAL_FLAGS } from './compose-context.js';

type Cmd = Command<Cli>;

/** A leaf with the global flags merged in (a local flag of the same name or shorthand wins). */
export function withGlobals(cmd: Cmd): Cmd {
  const local = cmd.flags ?? [];
  const names = new Set(local.map((f) => f.name));
  const shorts = new Set(local.map((f) => f.short).filter(Boolean));
  const extra = GLOBAL_FLAGS.filter((g) => !names.has(g.name)).map((g) => ({ ...g, hidden: true, short: g.short && !shorts.has(g.short) ? g.short : undefined }));
  const run = cmd.run;
  return {
    ...cmd, flags: [...local, ...extra],
    run: run && (async (inv) => {
      try {
        await run(inv);
      } catch (e) {
        if (e instanceof StatusError || inv.ctx.signal.aborted) throw e;
        // Compose prints its errors as they are and exits 1 (15 for an invalid file is v1's).
        throw new StatusError(1, (e as Error).message);
      }
    }),
  };
}

export const composeGroup: Cmd = {
  use: 'compose [OPTIONS] COMMAND',
  short: 'Define and run multi-container applications with Docker',
  flags: GLOBAL_FLAGS,
  subcommands: composeCommands().map(withGlobals),
};

/** The docker CLI plugin protocol: `docker compose …` runs this binary as `berth compose …`. */
export const pluginMetadataCommand: Cmd = {
  use: 'docker-cli-plugin-metadata',
  short: 'Metadata for the docker CLI plugin protocol',
  hidden: true,
  args: { kind: 'none' },
  run: async ({ ctx }) => {
    await ctx.out(`${JSON.stringify({ SchemaVersion: '0.1.0', Vendor: 'berth', Version: `v${COMPOSE_VERSION}`, ShortDescription: 'Docker Compose' }, null, '     ')}\n`);
  },
};
