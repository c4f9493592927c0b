/**
 * The `berth compose` subcommands that bring a project up and down and change its
 * containers' state: up, down, start, stop, restart, kill, pause, unpause, rm, build, pull,
 * push, create. The ones that read (ps, logs, config, …) are in compose-read.ts, exec and
 * run in compose-run.ts.
 */
import type { Command, Invocation } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import type { Cli } from '../context.js';
import {
  buildService, down, ensureImages, pullService, pushService, rm, simpleOp, up, withDependencies, ComposeError, type SimpleOp,
} from '../../compose/project/index.js';
import { engineOf, projectOf, buildFlag, noBuildFlag, forceRecreateFlag, noRecreateFlag, removeOrphansFlag, scaleFlag, noColorFlag, noLogPrefixFlag } from './compose-context.js';
import { readCommands } from './compose-read.js';
import { execCommand, runCommand } from './compose-run.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

function timeoutOf(inv: Inv): number | undefined {
  return inv.flags.changed('timeout') ? inv.flags.int('timeout') : undefined;
}

/** --scale SERVICE=NUM overrides the model's scale. */
function applyScale(project: Awaited<ReturnType<typeof projectOf>>, specs: string[]): void {
  for (const spec of specs) {
    const [name, n] = spec.split('=');
    const s = project.services[name!];
    if (!s) throw new ComposeError(`no such service: ${name}`);
    if (!/^\d+$/.test(n ?? '')) throw new ComposeError(`invalid scale value "${spec}"`);
    s.scale = Number(n);
  }
}

async function runUp(inv: Inv): Promise<void> {
  const { flags, args } = inv;
  if (flags.bool('detach') && (flags.bool('abort-on-container-exit') || flags.changed('exit-code-from'))) {
    throw new ComposeError('--abort-on-container-exit and --detach are incompatible');
  }
  if (flags.bool('force-recreate') && flags.bool('no-recreate')) throw new ComposeError('--force-recreate and --no-recreate are incompatible');
  const project = await projectOf(inv);
  applyScale(project, flags.list('scale'));
  const exitCodeFrom = flags.string('exit-code-from') || undefined;
  // "policy" is Compose's default for --pull: each service's pull_policy.
  const pull = flags.string('pull');
  const code = await up(engineOf(inv), project, {
    services: args,
    detach: flags.bool('detach') || flags.bool('wait'),
    build: flags.bool('build'), noBuild: flags.bool('no-build'), pull: pull && pull !== 'policy' ? pull : undefined,
    recreate: flags.bool('force-recreate') ? 'force' : flags.bool('no-recreate') ? 'never' : 'diverged',
    noDeps: flags.bool('no-deps'), removeOrphans: flags.bool('remove-orphans'),
    wait: flags.bool('wait'), waitTimeoutS: flags.changed('wait-timeout') ? flags.int('wait-timeout') : undefined,
    abortOnContainerExit: flags.bool('abort-on-container-exit') || exitCodeFrom !== undefined, exitCodeFrom,
    timeoutS: timeoutOf(inv), noStart: flags.bool('no-start'), noColor: flags.bool('no-color'), noLogPrefix: flags.bool('no-log-prefix'),
    attach: flags.list('attach'),
  });
  if (code !== 0) throw new StatusError(code, '');
}

async function runDown(inv: Inv): Promise<void> {
  const { flags } = inv;
  const rmi = flags.string('rmi');
  if (rmi && rmi !== 'local' && rmi !== 'all') throw new ComposeError(`invalid value for --rmi: ${rmi}`);
  await down(engineOf(inv), await projectOf(inv), {
    volumes: flags.bool('volumes'), removeOrphans: flags.bool('remove-orphans'), rmi: (rmi || undefined) as 'local' | 'all' | undefined, timeoutS: timeoutOf(inv),
  });
}

function simple(op: SimpleOp, short: string, extra: Cmd['flags'] = []): Cmd {
  return {
    use: `${op} [SERVICE...]`,
    short,
    flags: extra,
    run: async (inv) => {
      await simpleOp(engineOf(inv), await projectOf(inv), op, inv.args, {
        timeoutS: timeoutOf(inv), signal: op === 'kill' ? inv.flags.string('signal') : undefined, noDeps: op === 'restart' && inv.flags.bool('no-deps'),
      });
    },
  };
}

const timeoutFlag = { name: 'timeout', short: 't', type: 'int' as const, usage: 'Specify a shutdown timeout in seconds' };

async function runRm(inv: Inv): Promise<void> {
  await rm(engineOf(inv), await projectOf(inv), inv.args, { stop: inv.flags.bool('stop'), volumes: inv.flags.bool('volumes') });
}

async function runBuild(inv: Inv): Promise<void> {
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  for (const name of withDependencies(project, inv.args, true)) {
    const s = project.services[name]!;
    if (s.build) await buildService(engine, project, s, { noCache: inv.flags.bool('no-cache'), pull: inv.flags.bool('pull'), quiet: inv.flags.bool('quiet') });
  }
}

async function runPull(inv: Inv): Promise<void> {
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  for (const name of withDependencies(project, inv.args, true)) {
    const s = project.services[name]!;
    if (!s.image) continue;
    try {
      await pullService(engine, project, s, inv.flags.bool('quiet'));
    } catch (e) {
      if (!inv.flags.bool('ignore-pull-failures')) throw e;
      engine.output.err(`WARN[0000] ${(e as Error).message}\n`);
    }
  }
}

async function runPush(inv: Inv): Promise<void> {
  const project = await projectOf(inv);
  const engine = engineOf(inv);
  for (const name of withDependencies(project, inv.args, true)) {
    const s = project.services[name]!;
    if (!s.image) continue;
    try {
      await pushService(engine, project, s);
    } catch (e) {
      if (!inv.flags.bool('ignore-push-failures')) throw e;
    }
  }
}

async function runCreate(inv: Inv): Promise<void> {
  const { flags } = inv;
  const project = await projectOf(inv);
  applyScale(project, flags.list('scale'));
  const engine = engineOf(inv);
  await ensureImages(engine, project, Object.values(project.services), { build: flags.bool('build'), noBuild: flags.bool('no-build'), pull: flags.string('pull') || undefined });
  await up(engine, project, {
    services: inv.args, detach: true, noStart: true, recreate: flags.bool('force-recreate') ? 'force' : flags.bool('no-recreate') ? 'never' : 'diverged',
    removeOrphans: flags.bool('remove-orphans'),
  });
}

export function composeCommands(): Cmd[] {
  return [
    {
      use: 'up [OPTIONS] [SERVICE...]',
      short: 'Create and start containers',
      flags: [
        { name: 'detach', short: 'd', type: 'bool', usage: 'Detached mode: Run containers in the background' },
        buildFlag,
        noBuildFlag,
        { name: 'pull', type: 'string', usage: 'Pull image before running ("always"|"missing"|"never")', default: 'policy' },
        forceRecreateFlag,
        noRecreateFlag,
        { name: 'no-deps', type: 'bool', usage: "Don't start linked services" },
        { name: 'no-start', type: 'bool', usage: "Don't start the services after creating them" },
        removeOrphansFlag,
        { name: 'wait', type: 'bool', usage: 'Wait for services to be running|healthy. Implies detached mode.' },
        { name: 'wait-timeout', type: 'int', usage: 'Maximum duration in seconds to wait for the project to be running|healthy' },
        { name: 'abort-on-container-exit', type: 'bool', usage: 'Stops all containers if any container was stopped. Incompatible with -d' },
        { name: 'exit-code-from', type: 'string', usage: 'Return the exit code of the selected service container. Implies --abort-on-container-exit' },
        scaleFlag,
        { name: 'attach', type: 'list', usage: 'Restrict attaching to the specified services. Incompatible with --attach-dependencies.' },
        noColorFlag,
        noLogPrefixFlag,
        { name: 'quiet-pull', type: 'bool', usage: 'Pull without printing progress information' },
        timeoutFlag,
      ],
      run: runUp,
    },
    {
      use: 'down [OPTIONS] [SERVICES]',
      short: 'Stop and remove containers, networks',
      flags: [
        { name: 'volumes', short: 'v', type: 'bool', usage: 'Remove named volumes declared in the "volumes" section of the Compose file and anonymous volumes attached to containers' },
        { name: 'rmi', type: 'string', usage: 'Remove images used by services. "local" remove only images that don\'t have a custom tag ("local"|"all")' },
        removeOrphansFlag,
        timeoutFlag,
      ],
      run: runDown,
    },
    {
      use: 'create [OPTIONS] [SERVICE...]',
      short: 'Creates containers for a service',
      flags: [
        buildFlag,
        noBuildFlag,
        { name: 'pull', type: 'string', usage: 'Pull image before running ("always"|"missing"|"never"|"build")' },
        forceRecreateFlag,
        noRecreateFlag,
        removeOrphansFlag,
        scaleFlag,
      ],
      run: runCreate,
    },
    simple('start', 'Start services'),
    simple('stop', 'Stop services', [timeoutFlag]),
    simple('restart', 'Restart service containers', [timeoutFlag, { name: 'no-deps', type: 'bool', usage: "Don't restart dependent services" }]),
    simple('kill', 'Force stop service containers', [{ name: 'signal', short: 's', type: 'string', usage: 'SIGNAL to send to the container', default: 'SIGKILL' }, removeOrphansFlag]),
    simple('pause', 'Pause services'),
    simple('unpause', 'Unpause services'),
    {
      use: 'rm [OPTIONS] [SERVICE...]',
      short: 'Removes stopped service containers',
      flags: [
        { name: 'force', short: 'f', type: 'bool', usage: "Don't ask to confirm removal" },
        { name: 'stop', short: 's', type: 'bool', usage: 'Stop the containers, if required, before removing' },
        { name: 'volumes', short: 'v', type: 'bool', usage: 'Remove any anonymous volumes attached to containers' },
      ],
      run: runRm,
    },
    {
      use: 'build [OPTIONS] [SERVICE...]',
      short: 'Build or rebuild services',
      flags: [
        { name: 'no-cache', type: 'bool', usage: 'Do not use cache when building the image' },
        { name: 'pull', type: 'bool', usage: 'Always attempt to pull a newer version of the image' },
        { name: 'quiet', short: 'q', type: 'bool', usage: "Don't print anything to STDOUT" },
      ],
      run: runBuild,
    },
    {
      use: 'pull [OPTIONS] [SERVICE...]',
      short: 'Pull service images',
      flags: [
        { name: 'quiet', short: 'q', type: 'bool', usage: 'Pull without printing progress information' },
        { name: 'ignore-pull-failures', type: 'bool', usage: 'Pull what it can and ignores images with pull failures' },
      ],
      run: runPull,
    },
    {
      use: 'push [OPTIONS] [SERVICE...]',
      short: 'Push service images',
      flags: [{ name: 'ignore-push-failures', type: 'bool', usage: 'Push what it can and ignores images with push failures' }],
      run: runPush,
    },
    execCommand,
    runCommand,
    ...readCommands(),
  ];
}
