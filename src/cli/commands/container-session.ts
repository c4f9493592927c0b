/**
 * What run, start and attach share (docker/cli container/run.go attachContainer,
 * utils.go waitExitOrRemoved, tty.go, signals.go): the hijacked attach, waiting for the
 * exit code, following the terminal's size, and forwarding the CLI's signals.
 */
import { ApiError, readAll, type ContainerWaitResponse, type UpgradedConnection } from '../../client/index.js';
import type { Cli } from '../context.js';
import { streamHijacked } from '../stream/hijack.js';
import { onResize, restoreTerminalNow, ttySize } from '../stream/terminal.js';
import { pathName } from './common.js';

export interface AttachStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  detachKeys: string;
}

export interface AttachSession {
  /** Settles when the session ends: output drained, or the user detached (DetachError). */
  done: Promise<void>;
  /** Ends the session early (start failed, or the container exited and no output is attached). */
  cancel(): void;
  /** Releases the connection. */
  close(): void;
}

/** The detach keys: the flag, else config.json's detachKeys. */
export function detachKeysOf(cli: Cli, flag: string): string {
  if (flag) return flag;
  const fromConfig = cli.config.file.detachKeys;
  return typeof fromConfig === 'string' ? fromConfig : '';
}

/** POST /containers/{id}/attach upgraded, then the streamer on the CLI's streams. */
export async function attachContainer(cli: Cli, id: string, s: AttachStreams): Promise<AttachSession> {
  const conn: UpgradedConnection = await cli.client.upgrade('POST', `/containers/${pathName(id)}/attach`, {
    query: {
      detachKeys: s.detachKeys || undefined, stderr: s.stderr || undefined, stdin: s.stdin || undefined, stdout: s.stdout || undefined, stream: true,
    },
    signal: cli.signal,
  });
  const controller = new AbortController();
  const done = streamHijacked({
    socket: conn.socket,
    stdin: s.stdin ? cli.io.stdin : undefined,
    stdout: s.stdout ? cli.io.stdout : undefined,
    // With a TTY the container's stderr is its terminal, which docker copies to stdout.
    stderr: s.stderr ? (s.tty ? cli.io.stdout : cli.io.stderr) : undefined,
    tty: s.tty,
    detachKeys: s.detachKeys,
    io: cli.io,
    env: cli.env,
    signal: controller.signal,
    warn: (text) => cli.err(`WARN[0000] ${text}\n`),
  });
  done.catch(() => {});
  return { done, cancel: () => controller.abort(), close: () => conn.socket.destroy() };
}

export interface ExitWait {
  /** The exit code: the container's, or 125 when waiting failed. */
  status: Promise<number>;
  cancel(): void;
}

/**
 * waitExitOrRemoved: POST /containers/{id}/wait?condition=next-exit (or removed), resolved
 * once the daemon has answered with headers, so the container may be started after it.
 */
export async function waitExitOrRemoved(cli: Cli, id: string, waitRemove: boolean): Promise<ExitWait> {
  const controller = new AbortController();
  const res = await cli.client.request('POST', `/containers/${pathName(id)}/wait`, {
    query: { condition: waitRemove ? 'removed' : 'next-exit' },
    signal: controller.signal,
  });
  const status = readAll(res.body).then((text) => {
    const r = JSON.parse(text) as ContainerWaitResponse;
    if (r.Error?.Message) {
      cli.err(`ERRO[0000] Error waiting for container: ${r.Error.Message}\n`);
      return 125;
    }
    return r.StatusCode;
  }, (e: unknown) => {
    if (controller.signal.aborted) return 125;
    cli.err(`ERRO[0000] error waiting for container: ${(e as Error).message}\n`);
    return 125;
  });
  return { status, cancel: () => controller.abort() };
}

/** ContainerWait with the default condition, as `wait` and `attach` use it. */
export async function waitContainer(cli: Cli, id: string): Promise<ContainerWaitResponse> {
  const res = await cli.client.request('POST', `/containers/${pathName(id)}/wait`, { signal: cli.signal });
  return JSON.parse(await readAll(res.body)) as ContainerWaitResponse;
}

/** POST /containers/{id}/resize; failures are only logged by docker (at debug level). */
export async function resizeTty(cli: Cli, id: string, height: number, width: number): Promise<boolean> {
  if (height === 0 && width === 0) return true;
  try {
    await cli.client.call('POST', `/containers/${pathName(id)}/resize`, { query: { h: height, w: width } });
    return true;
  } catch (e) {
    if (e instanceof ApiError) return false;
    throw e;
  }
}

/**
 * MonitorTtySize: sends the terminal's size now (retrying a few times, as the process may
 * not be up yet) and on every resize. Returns the function that stops following.
 */
export function monitorTtySize(cli: Cli, id: string): () => void {
  const send = (): Promise<boolean> => {
    const [h, w] = ttySize(cli.io);
    return resizeTty(cli, id, h, w).catch(() => false);
  };
  void (async () => {
    if (await send()) return;
    for (let retry = 0; retry < 10; retry++) {
      await new Promise((resolve) => setTimeout(resolve, (retry + 1) * 10).unref());
      if (await send()) return;
    }
    cli.err('failed to resize tty, using default size\n');
  })();
  return onResize(cli.io, () => void send());
}

/** The signals the CLI forwards (docker forwards all but SIGCHLD, SIGPIPE and SIGURG; Node can catch these). */
const PROXIED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGWINCH', 'SIGTSTP'];

/**
 * ForwardAllSignals: while attached, the CLI's signals go to the container (POST kill)
 * instead of ending the CLI. Only for the real process: in-process runs (tests) have no
 * signals of their own. The CLI's own handlers are set aside meanwhile and put back after.
 */
export function proxySignals(cli: Cli, id: string): () => void {
  if (cli.io.stdout !== process.stdout) return () => {};
  const saved = new Map<NodeJS.Signals, Array<(...args: unknown[]) => void>>();
  for (const sig of PROXIED_SIGNALS) {
    // SIGWINCH keeps Node's own listener: it is what turns a resize into stdout's 'resize'
    // event, which the TTY size monitor follows.
    if (sig !== 'SIGWINCH') {
      saved.set(sig, process.listeners(sig) as Array<(...args: unknown[]) => void>);
      process.removeAllListeners(sig);
    }
    process.on(sig, forward);
  }
  // docker's forceExitAfter3TerminationSignals: the third SIGINT/SIGTERM ends the CLI.
  let terminations = cli.signal.aborted ? 1 : 0;
  function forward(sig: NodeJS.Signals): void {
    cli.client.call('POST', `/containers/${pathName(id)}/kill`, { query: { signal: sig.replace(/^SIG/, '') } }).catch(() => {});
    if (sig !== 'SIGINT' && sig !== 'SIGTERM') return;
    if (++terminations < 3) return;
    cli.err('\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n');
    restoreTerminalNow(cli.io);
    process.exit(1);
  }
  // Catching every signal, docker also catches SIGPIPE: a closed stdout is then a write error
  // ("write /dev/stdout: broken pipe", exit 1) instead of death by SIGPIPE.
  const stdoutListeners = process.stdout.listeners('error') as Array<(...args: unknown[]) => void>;
  const ignore = (): void => {};
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', ignore);
  return () => {
    for (const sig of PROXIED_SIGNALS) {
      process.off(sig, forward);
      for (const l of saved.get(sig) ?? []) process.on(sig, l);
    }
    process.stdout.off('error', ignore);
    for (const l of stdoutListeners) process.stdout.on('error', l);
  };
}
