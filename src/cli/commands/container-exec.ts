/**
 * `berth exec`, as docker/cli's container/exec.go: inspect first (so "No such container"
 * wins), check the TTY before the exec exists, create it, then either start it detached or
 * start it upgraded and stream; the exec's exit code becomes the CLI's.
 */
import { ApiError, ConnectionError } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import type { Cli } from '../context.js';
import { readKeyValueStrings } from '../opts/kvfile.js';
import { detachKeysToBytes } from '../stream/escape.js';
import { streamHijacked } from '../stream/hijack.js';
import { checkTty, onResize, ttySize } from '../stream/terminal.js';
import { pathName } from './common.js';
import { detachKeysOf } from './container-session.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

export interface ExecCreate {
  User: string;
  Privileged: boolean;
  Tty: boolean;
  ConsoleSize: [number, number];
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  DetachKeys: string;
  Env: string[];
  WorkingDir: string;
  Cmd: string[];
}

/** opts.ValidateEnv: a bare name takes the CLI's value when it has one. */
function validateEnv(values: string[], env: NodeJS.ProcessEnv): string[] {
  return values.map((v) => (v.includes('=') || env[v] === undefined ? v : `${v}=${env[v]}`));
}

function parseExec(inv: Inv): ExecCreate {
  const { ctx, flags, args } = inv;
  const detach = flags.bool('detach');
  const detachKeysFlag = flags.string('detach-keys');
  if (detachKeysFlag) {
    try {
      detachKeysToBytes(detachKeysFlag);
    } catch (e) {
      throw new Error(`invalid detach keys (${detachKeysFlag}): ${(e as Error).message}`);
    }
  }
  const tty = flags.bool('tty');
  return {
    User: flags.string('user'),
    Privileged: flags.bool('privileged'),
    Tty: tty,
    ConsoleSize: tty ? ttySize(ctx.io) : [0, 0],
    AttachStdin: !detach && flags.bool('interactive'),
    AttachStdout: !detach,
    AttachStderr: !detach,
    DetachKeys: detachKeysOf(ctx, detachKeysFlag),
    Env: readKeyValueStrings(flags.list('env-file'), validateEnv(flags.list('env'), ctx.env), (k) => ctx.env[k]),
    WorkingDir: flags.string('workdir'),
    Cmd: args.slice(1),
  };
}

async function runExec(inv: Inv): Promise<void> {
  const { ctx, args, flags } = inv;
  const container = args[0]!;
  const o = parseExec(inv);
  await ctx.client.json('GET', `/containers/${pathName(container)}/json`, { signal: ctx.signal });
  if (!flags.bool('detach')) checkTty(ctx.io, o.AttachStdin, o.Tty);
  const created = await ctx.client.json<{ Id?: string }>('POST', `/containers/${pathName(container)}/exec`, { json: o, signal: ctx.signal });
  const execId = created?.Id;
  if (!execId) throw new Error('exec ID empty');
  if (flags.bool('detach')) {
    await ctx.client.call('POST', `/exec/${execId}/start`, { json: { Detach: true, Tty: o.Tty, ConsoleSize: o.ConsoleSize }, signal: ctx.signal });
    return;
  }
  await interactiveExec(ctx, execId, o);
}

/** Starts an exec upgraded and streams it; its exit code becomes the CLI's (compose's exec shares it). */
export async function interactiveExec(cli: Cli, execId: string, o: ExecCreate): Promise<void> {
  const conn = await cli.client.upgrade('POST', `/exec/${execId}/start`, { json: { Detach: false, Tty: o.Tty, ConsoleSize: o.ConsoleSize }, signal: cli.signal });
  let stopResize = (): void => {};
  try {
    const done = streamHijacked({
      socket: conn.socket,
      stdin: o.AttachStdin ? cli.io.stdin : undefined,
      stdout: cli.io.stdout,
      // With a TTY the exec's stderr is its terminal, which docker copies to stdout.
      stderr: o.Tty ? cli.io.stdout : cli.io.stderr,
      tty: o.Tty,
      detachKeys: o.DetachKeys,
      io: cli.io,
      env: cli.env,
      warn: (text) => cli.err(`WARN[0000] ${text}\n`),
    });
    if (o.Tty && cli.io.stdinIsTerminal) stopResize = monitorExecTtySize(cli, execId);
    await done;
  } finally {
    stopResize();
    conn.socket.destroy();
  }
  await execExitStatus(cli, execId);
}

/** MonitorTtySize for an exec: the size now (retried while the process starts) and on each change. */
function monitorExecTtySize(cli: Cli, execId: string): () => void {
  const send = async (): Promise<boolean> => {
    const [h, w] = ttySize(cli.io);
    if (h === 0 && w === 0) return true;
    try {
      await cli.client.call('POST', `/exec/${execId}/resize`, { query: { h, w } });
      return true;
    } catch (e) {
      if (e instanceof ApiError) return false;
      throw e;
    }
  };
  void (async () => {
    for (let retry = 0; retry < 10; retry++) {
      if (await send().catch(() => false)) return;
      await new Promise((resolve) => setTimeout(resolve, (retry + 1) * 10).unref());
    }
    cli.err('failed to resize tty, using default size\n');
  })();
  return onResize(cli.io, () => void send().catch(() => false));
}

/** getExecExitStatus: the exec's code; -1 when the daemon went away. */
async function execExitStatus(cli: Cli, execId: string): Promise<void> {
  let code: number;
  try {
    const r = await cli.client.json<{ ExitCode?: number | null }>('GET', `/exec/${execId}/json`, { signal: cli.signal });
    code = r?.ExitCode ?? 0;
  } catch (e) {
    if (e instanceof ConnectionError) throw new StatusError(255, ''); // cli.StatusError{StatusCode: -1}: the process exits 255.
    throw e;
  }
  if (code !== 0) throw new StatusError(code, '');
}

export const execCommand: Cmd = {
  use: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  aliasesText: 'berth container exec, berth exec',
  args: { kind: 'min', n: 2 },
  interspersed: false,
  flags: [
    { name: 'detach', short: 'd', type: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', type: 'list', usage: 'Set environment variables' },
    { name: 'env-file', type: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', type: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', type: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', type: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', type: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', type: 'string', usage: 'Working directory inside the container' },
  ],
  run: runExec,
};
