import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError, InvalidArgumentError, NotFoundError, isErrno } from '../../errors/index.js';
import type { Logger } from '../../util/index.js';
import { conmonArgs } from './conmon-args.js';
import { launchConmon, type SyncMessage } from './conmon.js';
import { killQuietly, readPidFile } from './proc.js';
import { runRuntime } from './runtime-cli.js';
import { OciRuntimeError, lastJsonError } from './runtime-error.js';
import type { Created, CreateOptions, ExecOptions, ExecStarted, MonitorPaths, RuntimeDriver, RuntimeOptions, RuntimeState } from './types.js';

export interface RuntimeDriverOptions {
  runtimes: Record<string, RuntimeOptions>;
  /** Default `/usr/bin/conmon`. */
  conmonPath?: string;
  /** conmon's `--exit-dir` for containers: one file per container id, watched by ExitWatcher. */
  exitDir: string;
  logger: Logger;
}

const DEFAULT_CREATE_TIMEOUT_MS = 60_000;
const SIGNAL_RE = /^(?:\d{1,2}|(?:SIG)?[A-Z][A-Z0-9+-]*)$/;

/** Where conmon puts the attach socket and ctl FIFO of a bundle (we pass `--full-attach`). */
export function monitorPaths(bundleDir: string): MonitorPaths {
  return { attachPath: join(bundleDir, 'attach'), ctlPath: join(bundleDir, 'ctl') };
}

/**
 * A thin driver of conmon and an OCI runtime (Podman's `libpod/oci.go` idea): each method is
 * one runtime operation and keeps no state; which state a container is in, and whether an
 * operation is allowed, is the caller's decision. Errors: NotFoundError when the runtime does
 * not know the container, ConflictError when it is in the wrong state for the command,
 * OciRuntimeError (500) with the runtime's own message otherwise, InvalidArgumentError for
 * unknown runtime names and bad arguments.
 */
export class ConmonDriver implements RuntimeDriver {
  private readonly conmonPath: string;

  constructor(private readonly opts: RuntimeDriverOptions) {
    this.conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
  }

  /**
   * Starts conmon, which runs `runtime create` for the bundle (config.json written by the
   * caller), and resolves with the container's pid once conmon reports it. Rejects with the
   * runtime's message (OciRuntimeError), after undoing what was made: conmon killed, the
   * runtime's record deleted. The caller runs `start()`; the exit file appears in `exitDir`.
   */
  async create(o: CreateOptions): Promise<Created> {
    const rt = this.runtime(o.runtime);
    const containerPidFile = o.containerPidFile ?? join(o.bundleDir, 'pidfile');
    const conmonPidFile = o.conmonPidFile ?? join(o.bundleDir, 'conmon.pid');
    const runtimeLogPath = o.runtimeLogPath ?? join(o.bundleDir, 'runtime.log');
    // Left from an earlier run, these would name the wrong processes or the wrong error.
    await Promise.all([containerPidFile, conmonPidFile, runtimeLogPath].map((p) => rm(p, { force: true })));
    await mkdir(this.opts.exitDir, { recursive: true });
    const args = conmonArgs({
      id: o.id, cuuid: o.id, runtime: rt, bundleDir: o.bundleDir, containerPidFile, conmonPidFile, runtimeLogPath,
      logPath: o.logPath, logSizeMax: o.logSizeMax, exitDir: this.opts.exitDir, persistDir: o.persistDir,
      hasTty: o.hasTty ?? false, hasStdin: o.hasStdin ?? false,
      // Docker: only a non-tty container with StdinOnce gets EOF when its first attach ends;
      // with a tty, Ctrl-P Ctrl-Q must detach without closing the shell's stdin.
      leaveStdinOpen: !(o.stdinOnce && !o.hasTty),
    });
    const started = Date.now();
    try {
      const sync = await this.launch(args, o.bundleDir, o.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS, o.signal);
      if (!sync || sync.data <= 0) throw await this.failure(rt, runtimeLogPath, sync);
      const conmonPid = await this.conmonPid(conmonPidFile);
      this.opts.logger.debug({ component: 'runtime', containerId: o.id, ms: Date.now() - started }, 'container created');
      return { pid: sync.data, conmonPid, ...monitorPaths(o.bundleDir) };
    } catch (err) {
      await this.undoCreate(o.id, o.runtime, conmonPidFile);
      throw err;
    }
  }

  /** `runtime start`: runs the process `create` prepared. */
  async start(id: string, runtime: string): Promise<void> {
    await runRuntime(this.runtime(runtime), ['start', id]);
  }

  /** `runtime kill`: `signal` as a number or name (`TERM`, `SIGTERM`); `all` signals every process. */
  async kill(id: string, runtime: string, signal: string | number, all = false): Promise<void> {
    const sig = String(signal);
    if (!SIGNAL_RE.test(sig)) throw new InvalidArgumentError(`invalid signal: ${sig}`);
    await runRuntime(this.runtime(runtime), ['kill', ...(all ? ['--all'] : []), id, sig]);
  }

  async pause(id: string, runtime: string): Promise<void> {
    await runRuntime(this.runtime(runtime), ['pause', id]);
  }

  async resume(id: string, runtime: string): Promise<void> {
    await runRuntime(this.runtime(runtime), ['resume', id]);
  }

  /** `runtime delete`; a container the runtime does not know is already deleted (no error). */
  async delete(id: string, runtime: string, opts: { force?: boolean } = {}): Promise<void> {
    try {
      await runRuntime(this.runtime(runtime), ['delete', ...(opts.force ? ['--force'] : []), id]);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  /** `runtime state`, or undefined when the runtime does not know the container. */
  async state(id: string, runtime: string): Promise<RuntimeState | undefined> {
    let out: Buffer;
    try {
      out = await runRuntime(this.runtime(runtime), ['state', id]);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const state = JSON.parse(out.toString('utf8')) as { status: RuntimeState['status']; pid?: number };
    return { status: state.status, pid: state.pid ?? 0 };
  }

  /** The pids in the container's cgroup (`runtime ps`); ConflictError when it is not running. */
  async ps(id: string, runtime: string): Promise<number[]> {
    const out = await runRuntime(this.runtime(runtime), ['ps', '--format', 'json', id]);
    return (JSON.parse(out.toString('utf8')) as number[] | null) ?? [];
  }

  /** `runtime update` with OCI `linux.resources` (fed on stdin: no temp file). */
  async update(id: string, runtime: string, resources: object): Promise<void> {
    await runRuntime(this.runtime(runtime), ['update', '--resources', '-', id], { input: JSON.stringify(resources) });
  }

  /**
   * Runs a process in a running container through its own conmon (`--exec`), with the same
   * sync, attach and exit mechanics as `create`: resolves once the process runs, with its pid;
   * its exit code lands in `<execDir>/exit`. With `beforeStart`, conmon waits for it before
   * running the process (`--exec-attach`), so an attach made there misses no output.
   */
  async exec(o: ExecOptions): Promise<ExecStarted> {
    const rt = this.runtime(o.runtime);
    const made = await mkdir(o.execDir, { recursive: true });
    const containerPidFile = join(o.execDir, 'pidfile');
    const conmonPidFile = join(o.execDir, 'conmon.pid');
    const runtimeLogPath = o.runtimeLogPath ?? join(o.execDir, 'runtime.log');
    const exitPath = join(o.execDir, 'exit');
    const processSpecPath = join(o.execDir, 'process.json');
    // A directory made just now holds nothing of an earlier run (every exec and probe has one of its own).
    if (made === undefined) await Promise.all([containerPidFile, conmonPidFile, runtimeLogPath, exitPath].map((p) => rm(p, { force: true })));
    // runc ignores `exec --tty` when given --process: the spec's own field decides.
    await writeFile(processSpecPath, JSON.stringify({ ...o.process, terminal: o.hasTty ?? false }));
    const args = conmonArgs({
      id: o.id, cuuid: o.execId, runtime: rt, bundleDir: o.execDir, containerPidFile, conmonPidFile, runtimeLogPath,
      logPath: o.logPath, persistDir: o.execDir, hasTty: o.hasTty ?? false, hasStdin: o.hasStdin ?? false,
      leaveStdinOpen: false, exec: { processSpecPath, hasAttach: o.beforeStart !== undefined },
    });
    const paths = monitorPaths(o.execDir);
    const onAttachReady = o.beforeStart && (() => o.beforeStart!(paths));
    try {
      const sync = await this.launch(args, o.execDir, o.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS, o.signal, onAttachReady);
      if (!sync || sync.data <= 0) throw await this.failure(rt, runtimeLogPath, sync);
      return { pid: sync.data, conmonPid: await this.conmonPid(conmonPidFile), exitPath, ...paths };
    } catch (err) {
      await this.killConmon(conmonPidFile);
      throw err;
    }
  }

  private runtime(name: string): RuntimeOptions {
    const rt = Object.hasOwn(this.opts.runtimes, name) ? this.opts.runtimes[name] : undefined;
    if (!rt) throw new InvalidArgumentError(`unknown or invalid runtime name: ${name}`);
    return rt;
  }

  private async launch(args: string[], cwd: string, timeoutMs: number, signal?: AbortSignal, onAttachReady?: () => Promise<void>): Promise<SyncMessage | undefined> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      return await launchConmon({ conmonPath: this.conmonPath, args, cwd, signal: combined, logger: this.opts.logger, onAttachReady });
    } catch (err) {
      if (deadline.aborted && !signal?.aborted) {
        throw new InternalError(`conmon did not report the container's pid within ${timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
  }

  /** The runtime's own words for a failed create/exec: its JSON log, else what conmon relayed. */
  private async failure(rt: RuntimeOptions, runtimeLogPath: string, sync: SyncMessage | undefined): Promise<Error> {
    let logged: string | undefined;
    try {
      logged = lastJsonError(await readFile(runtimeLogPath, 'utf8'));
    } catch (err) {
      // No log: the runtime never ran (conmon failed first); conmon's own message follows.
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const message = logged ?? sync?.message?.trim();
    if (message) return new OciRuntimeError(rt.name, message);
    return new InternalError(`conmon exited without reporting a pid${sync ? ` (sync data ${sync.data})` : ''}`);
  }

  private async conmonPid(conmonPidFile: string): Promise<number> {
    const pid = await readPidFile(conmonPidFile);
    // conmon writes it before its first process exits, which launchConmon waited for.
    if (pid === undefined) throw new InternalError(`conmon wrote no pid file at ${conmonPidFile}`);
    return pid;
  }

  private async killConmon(conmonPidFile: string): Promise<void> {
    const pid = await readPidFile(conmonPidFile);
    if (pid !== undefined) killQuietly(pid);
  }

  /** Undo of a failed create; each step is idempotent and a failure of one is logged, not thrown over the cause. */
  private async undoCreate(id: string, runtime: string, conmonPidFile: string): Promise<void> {
    try {
      await this.killConmon(conmonPidFile);
      await this.delete(id, runtime, { force: true });
    } catch (err) {
      this.opts.logger.warn({ component: 'runtime', containerId: id, err }, 'cleanup after failed create');
    }
  }
}
