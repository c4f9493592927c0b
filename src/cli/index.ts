/**
 * The `berth` command: global flags (docker's -H, --config, -D, -l, -v), the command tree
 * of commands/, and one place that turns an outcome into an exit code and stderr text,
 * as docker's main does.
 */
import { loadCommands } from './commands/index.js';
import { CancelledError } from './commands/common.js';
import { defaultConfigDir, loadClientConfig } from './config-file.js';
import { Cli, type CliIO } from './context.js';
import type { Command } from './framework/command.js';
import { helpTopic, resolve, type DispatchIO } from './framework/dispatch.js';
import { errorText, exitCodeOf, SignalExit, StatusError } from './framework/errors.js';
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from './framework/flags.js';
import { renderHelp } from './framework/help.js';
import { BERTH_VERSION, GIT_COMMIT } from './version-info.js';

export type { CliIO } from './context.js';

export interface RunOptions {
  io: CliIO;
  env: NodeJS.ProcessEnv;
  /** Aborted (with a SignalExit reason) when the user interrupts. */
  signal?: AbortSignal;
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'];

function globalFlags(env: NodeJS.ProcessEnv): FlagSpec[] {
  // docker's defaults: the cert directory is DOCKER_CERT_PATH, else the config directory.
  const certDir = env.DOCKER_CERT_PATH || defaultConfigDir(env);
  return [
    { name: 'config', type: 'string', usage: 'Location of client config files', default: defaultConfigDir(env) },
    { name: 'context', short: 'c', type: 'string', usage: 'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")' },
    { name: 'debug', short: 'D', type: 'bool', usage: 'Enable debug mode' },
    { name: 'host', short: 'H', type: 'list', usage: 'Daemon socket to connect to' },
    { name: 'log-level', short: 'l', type: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
    { name: 'tls', type: 'bool', usage: 'Use TLS; implied by --tlsverify', default: !!env.DOCKER_TLS },
    { name: 'tlscacert', type: 'string', usage: 'Trust certs signed only by this CA', default: `${certDir}/ca.pem` },
    { name: 'tlscert', type: 'string', usage: 'Path to TLS certificate file', default: `${certDir}/cert.pem` },
    { name: 'tlskey', type: 'string', usage: 'Path to TLS key file', default: `${certDir}/key.pem` },
    { name: 'tlsverify', type: 'bool', usage: 'Use TLS and verify the remote', default: !!env.DOCKER_TLS_VERIFY },
    { name: 'version', short: 'v', type: 'bool', usage: 'Print version information and quit' },
  ];
}

const ROOT_USE = 'berth [OPTIONS] COMMAND [ARG...]';

/** The root command over `commands` (all of them for its help; ADR 0014: only those needed to run one). */
export function rootCommand(env: NodeJS.ProcessEnv, commands: Array<Command<Cli>>): Command<Cli> {
  return {
    use: ROOT_USE,
    short: 'A self-sufficient runtime for containers',
    flags: globalFlags(env),
    subcommands: commands,
  };
}

function dispatchIO(io: CliIO): DispatchIO {
  return {
    out: (t) => io.stdout.write(t),
    err: (t) => io.stderr.write(t),
    // docker wraps help at the terminal's width - 1 (80 - 1 when it cannot tell).
    cols: (io.columns && io.stdinIsTerminal ? io.columns : 80) - 1,
  };
}

function parseGlobals(env: NodeJS.ProcessEnv, argv: string[], dio: DispatchIO): { flags: ParsedFlags; args: string[]; help: boolean } {
  try {
    const r = parseFlags(globalFlags(env), argv, false);
    for (const n of r.notices) dio.out(`${n}\n`);
    return r;
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    throw new StatusError(125, `${e.message}\n\nUsage:  ${ROOT_USE}\n\nRun 'berth --help' for more information`);
  }
}

async function run(argv: string[], opts: RunOptions, signal: AbortSignal): Promise<void> {
  const dio = dispatchIO(opts.io);
  const { flags, args, help } = parseGlobals(opts.env, argv, dio);
  // Only the group that defines the command is loaded; help and `berth help` load them all.
  const root = async (name?: string): Promise<Command<Cli>> => rootCommand(opts.env, await loadCommands(name));
  if (help) return void dio.out(renderHelp(await root(), { parentPath: '', cols: dio.cols }));
  if (flags.bool('version')) return void dio.out(`berth version ${BERTH_VERSION}, build ${GIT_COMMIT}\n`);
  const level = flags.string('log-level');
  if (!LOG_LEVELS.includes(level)) throw new Error(`Unable to parse logging level: ${level}`);
  if (args.length === 0) return void dio.err(renderHelp(await root(), { parentPath: '', cols: dio.cols }));
  if (args[0] === 'help') return helpTopic(await root(), args.slice(1), dio);
  const target = resolve(await root(args[0]), args, dio);
  if (!target?.cmd.run) return;
  const config = loadClientConfig(flags.changed('config') ? flags.string('config') : undefined, opts.env);
  if (config.warning) dio.err(`${config.warning}\n`);
  const given = (name: string): string | undefined => (flags.changed(name) ? flags.string(name) : undefined);
  const endpointFlags = {
    context: given('context'),
    tls: flags.changed('tls') ? flags.bool('tls') : undefined,
    tlsVerify: flags.changed('tlsverify') ? flags.bool('tlsverify') : undefined,
    tlsCaCert: given('tlscacert'), tlsCert: given('tlscert'), tlsKey: given('tlskey'),
  };
  const cli = new Cli({ io: opts.io, env: opts.env, config, hosts: flags.list('host'), endpointFlags, debug: flags.bool('debug') || level === 'debug', signal });
  cli.checkHost();
  const path = `${target.parentPath} ${target.cmd.use.split(' ')[0]}`;
  await target.cmd.run({ ctx: cli, args: target.args, flags: target.flags, path, calledAs: target.calledAs, groupFlags: target.groupFlags });
}

/** Runs `berth argv…` and returns its exit code; all output goes to opts.io. */
export async function runCli(argv: string[], opts: RunOptions): Promise<number> {
  const signal = opts.signal ?? new AbortController().signal;
  try {
    await run(argv, opts, signal);
    return 0;
  } catch (e) {
    if (signal.aborted && signal.reason instanceof SignalExit) return exitCodeOf(signal.reason);
    if (e instanceof CancelledError) return 0;
    const text = errorText(e);
    if (text) opts.io.stderr.write(`${text}\n`);
    return exitCodeOf(e);
  }
}
