/**
 * `compose exec` and `compose run`, on the CLI's own exec and run streaming
 * (container-exec.ts, container-run.ts): exec finds the service's container by its number
 * (--index), run makes a one-off container (oneoff=True, `<project>-<service>-run-<id>`)
 * after starting the service's dependencies, without the service's ports unless asked.
 */
import type { Command, Invocation } from '../framework/command.js';
import type { Cli } from '../context.js';
import { ComposeError, Converger, ensureImages, ensureNetworks, ensureVolumes, LABEL, up, usedNetworks, usedVolumes } from '../../compose/project/index.js';
import { ttySize } from '../stream/terminal.js';
import { interactiveExec, type ExecCreate } from './container-exec.js';
import { runContainer } from './container-run.js';
import { engineOf, projectOf } from './compose-context.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/** -e NAME takes the CLI's value, as Compose resolves it. */
function envOf(values: string[], env: NodeJS.ProcessEnv): string[] {
  return values.map((v) => (v.includes('=') || env[v] === undefined ? v : `${v}=${env[v]}`));
}

async function runExec(inv: Inv): Promise<void> {
  const { ctx, flags, args } = inv;
  const [service, ...cmd] = args as [string, ...string[]];
  const project = await projectOf(inv);
  if (!project.services[service]) throw new ComposeError(`service "${service}" is not running`);
  const index = flags.int('index') || 1;
  const list = await engineOf(inv).containers(project.name, { services: [service], oneoff: false });
  const c = list.find((x) => Number(x.Labels?.[LABEL.number]) === index);
  if (!c) throw new ComposeError(`service "${service}" is not running`);
  const detach = flags.bool('detach');
  const tty = !flags.bool('no-TTY') && !detach && ctx.io.stdinIsTerminal;
  const o: ExecCreate = {
    User: flags.string('user'), Privileged: flags.bool('privileged'), Tty: tty, ConsoleSize: tty ? ttySize(ctx.io) : [0, 0],
    AttachStdin: !detach && flags.bool('interactive'), AttachStdout: !detach, AttachStderr: !detach, DetachKeys: '',
    Env: envOf(flags.list('env'), ctx.env), WorkingDir: flags.string('workdir'), Cmd: cmd,
  };
  const created = await ctx.client.json<{ Id: string }>('POST', `/containers/${c.Id}/exec`, { json: o, signal: ctx.signal });
  if (detach) {
    await ctx.client.call('POST', `/exec/${created.Id}/start`, { json: { Detach: true, Tty: false }, signal: ctx.signal });
    return;
  }
  await interactiveExec(ctx, created.Id, o);
}

async function runRun(inv: Inv): Promise<void> {
  const { ctx, flags, args } = inv;
  const [name, ...cmd] = args as [string, ...string[]];
  const project = await projectOf(inv);
  const s = project.services[name];
  if (!s) throw new ComposeError(`no such service: ${name}`);
  const engine = engineOf(inv);
  const deps = Object.keys(s.depends_on).filter((d) => project.services[d]);
  if (!flags.bool('no-deps') && deps.length > 0) await up(engine, project, { services: deps, detach: true, recreate: 'diverged' });
  await ensureNetworks(engine, project, usedNetworks(project, [name]));
  await ensureVolumes(engine, project, usedVolumes(project, [name]));
  await ensureImages(engine, project, [s], { build: flags.bool('build') });
  const service = { ...s, ports: flags.bool('service-ports') ? s.ports : [], labels: { ...s.labels, ...Object.fromEntries(flags.list('label').map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')])) } };
  const detach = flags.bool('detach');
  const tty = !flags.bool('no-TTY') && ctx.io.stdinIsTerminal && (s.tty ?? true);
  const interactive = flags.bool('interactive') && !detach;
  const entrypoint = flags.changed('entrypoint') ? (flags.string('entrypoint') === '' ? [] : [flags.string('entrypoint')]) : undefined;
  const id = await new Converger(engine, project).create(service, 1, {
    oneoff: true, name: flags.string('name') || undefined,
    overrides: {
      command: cmd.length > 0 ? cmd : undefined, entrypoint, env: envOf(flags.list('env'), ctx.env), tty, stdinOpen: interactive,
      user: flags.string('user') || undefined, workdir: flags.string('workdir') || undefined, ports: flags.list('publish'),
    },
  });
  if (detach) {
    await ctx.client.call('POST', `/containers/${id}/start`, { signal: ctx.signal });
    const info = await engine.inspect<{ Name: string }>(id);
    await ctx.out(`${info.Name.replace(/^\//, '')}\n`);
    return;
  }
  try {
    await runContainer(ctx, id, { attachStdin: interactive, attachStdout: true, attachStderr: true, tty, autoRemove: false }, '');
  } finally {
    // Compose removes the one-off itself (not AutoRemove), also when it failed.
    if (flags.bool('rm')) await ctx.client.call('DELETE', `/containers/${id}`, { query: { force: true } });
  }
}

export const execCommand: Cmd = {
  use: 'exec [OPTIONS] SERVICE COMMAND [ARGS...]',
  short: 'Execute a command in a running container',
  args: { kind: 'min', n: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', usage: 'Detached mode: Run command in the background' },
    { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables' },
    { name: 'index', type: 'int', usage: 'Index of the container if service has multiple replicas' },
    { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached', default: true, hidden: true },
    { name: 'no-TTY', short: 'T', type: 'bool', usage: 'Disable pseudo-TTY allocation. By default `docker compose exec` allocates a TTY.' },
    { name: 'privileged', type: 'bool', usage: 'Give extended privileges to the process' },
    { name: 'user', short: 'u', type: 'string', usage: 'Run the command as this user' },
    { name: 'workdir', short: 'w', type: 'string', usage: 'Path to workdir directory for this command' },
  ],
  run: runExec,
};

export const runCommand: Cmd = {
  use: 'run [OPTIONS] SERVICE [COMMAND] [ARGS...]',
  short: 'Run a one-off command on a service',
  args: { kind: 'min', n: 1 },
  interspersed: false,
  flags: [
    { name: 'build', type: 'bool', usage: 'Build image before starting container' },
    { name: 'detach', short: 'd', type: 'bool', usage: 'Run container in background and print container ID' },
    { name: 'entrypoint', type: 'string', usage: 'Override the entrypoint of the image' },
    { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached', default: true },
    { name: 'label', short: 'l', type: 'list', usage: 'Add or override a label' },
    { name: 'name', type: 'string', usage: 'Assign a name to the container' },
    { name: 'no-TTY', short: 'T', type: 'bool', usage: 'Disable pseudo-TTY allocation (default: auto-detected)' },
    { name: 'no-deps', type: 'bool', usage: "Don't start linked services" },
    { name: 'publish', short: 'p', type: 'list', usage: "Publish a container's port(s) to the host" },
    { name: 'rm', type: 'bool', usage: 'Automatically remove the container when it exits' },
    { name: 'service-ports', short: 'P', type: 'bool', usage: "Run command with all service's ports enabled and mapped to the host" },
    { name: 'use-aliases', type: 'bool', usage: "Use the service's network useAliases in the network(s) the container connects to" },
    { name: 'user', short: 'u', type: 'string', usage: 'Run as specified username or uid' },
    { name: 'workdir', short: 'w', type: 'string', usage: 'Working directory inside the container' },
  ],
  run: runRun,
};
