/** One OCI runtime berth can drive (Docker's `runtimes` in daemon.json). */
export interface RuntimeOptions {
  /** `runc` or `crun`: the name containers ask for with `--runtime`. */
  name: string;
  /** Absolute path of the runtime binary. */
  path: string;
  /** Extra global flags, before the command (Docker's `runtimeArgs`). */
  runtimeArgs: string[];
  /** The runtime's `--root` (its state directory), under berth's exec-root. */
  root: string;
}

/** Where conmon puts its per-container (or per-exec) endpoints; all live in the bundle dir. */
export interface MonitorPaths {
  /** SOCK_SEQPACKET attach socket: read with `attach()`. */
  attachPath: string;
  /** Control FIFO: `resize()` and `reopenLog()`. */
  ctlPath: string;
}

export interface CreateOptions {
  id: string;
  /** Holds `config.json` (written by the caller). conmon creates `attach`, `ctl` and `winsz` here. */
  bundleDir: string;
  /** A key of the driver's `runtimes`. */
  runtime: string;
  /** The k8s-file log conmon writes. conmon's option parser splits on ':', so none may appear. */
  logPath?: string;
  /** conmon starts the log afresh (losing old lines) past this size; berthd rotates below it. */
  logSizeMax?: number;
  hasTty?: boolean;
  /** Give the container a stdin pipe (`-i`), fed through the attach socket. */
  hasStdin?: boolean;
  /** Docker's StdinOnce: without a tty, the first attach's EOF closes the container's stdin. */
  stdinOnce?: boolean;
  /** conmon writes `exit` (the code) and `oom` (after an OOM kill) here. */
  persistDir?: string;
  /** Default `<bundleDir>/conmon.pid`. */
  conmonPidFile?: string;
  /** Default `<bundleDir>/pidfile`. */
  containerPidFile?: string;
  /** The runtime's JSON log (`--log`), read back for the error message. Default `<bundleDir>/runtime.log`. */
  runtimeLogPath?: string;
  /** Deadline for `runtime create` (default 60 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Created extends MonitorPaths {
  /** The container's init process, in berthd's pid namespace. */
  pid: number;
  /** The conmon that monitors it (its parent is no longer berthd). */
  conmonPid: number;
}

export interface ExecOptions {
  /** The running container to exec into. */
  id: string;
  /** The exec session's id: conmon's `--cuuid`. */
  execId: string;
  runtime: string;
  /**
   * A directory of this session alone: conmon's bundle (attach socket, ctl FIFO) and persist dir,
   * so the exit code lands in `<execDir>/exit`. The driver writes `process.json` here.
   */
  execDir: string;
  /** The OCI process to run (args, env, cwd, user, capabilities…); `terminal` is set from `hasTty`. */
  process: Record<string, unknown>;
  hasTty?: boolean;
  hasStdin?: boolean;
  /** k8s-file log of the session's output; without one, output goes only to attached clients. */
  logPath?: string;
  /**
   * Called once conmon's attach socket exists and before `runtime exec` runs, so an attach made
   * here sees all output. The exec waits for the returned promise.
   */
  beforeStart?: (paths: MonitorPaths) => Promise<void>;
  runtimeLogPath?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecStarted extends Created {
  /** conmon writes the exec's exit code here (read it with `readExitFile` / `waitExitFile`). */
  exitPath: string;
}

/** `runtime state`, trimmed to what callers decide on. */
export interface RuntimeState {
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  /** 0 once stopped. */
  pid: number;
}

export interface ExitInfo {
  /** The process's code, or 128+signal; -1 when conmon could not tell (e.g. its timeout). */
  exitCode: number;
  /** The exit file's mtime. */
  finishedAt: Date;
}

/**
 * What berth asks of an OCI runtime and its monitor: one method per runtime operation, no
 * state kept, no decision about container state (that is container/'s). ConmonDriver is the
 * real one (conmon + runc/crun); FakeDriver runs nothing, for the state machine's unit tests.
 *
 * Errors: NotFoundError when the runtime does not know the container, ConflictError when it
 * is in the wrong state for the command, OciRuntimeError (500) with the runtime's own message
 * otherwise, InvalidArgumentError for unknown runtime names and bad arguments. An exit is
 * never returned by a method: it is reported later through the exit directory (ExitWatcher).
 */
export interface RuntimeDriver {
  /** Starts the monitor, which runs `runtime create`; resolves with the pids once created. Undoes itself on failure. */
  create(o: CreateOptions): Promise<Created>;
  /** `runtime start`: runs the process `create` prepared. */
  start(id: string, runtime: string): Promise<void>;
  /** `signal` as a number or name; `all` signals every process of the container. */
  kill(id: string, runtime: string, signal: string | number, all?: boolean): Promise<void>;
  pause(id: string, runtime: string): Promise<void>;
  resume(id: string, runtime: string): Promise<void>;
  /** A container the runtime does not know is already deleted (no error). */
  delete(id: string, runtime: string, opts?: { force?: boolean }): Promise<void>;
  /** Undefined when the runtime does not know the container. */
  state(id: string, runtime: string): Promise<RuntimeState | undefined>;
  ps(id: string, runtime: string): Promise<number[]>;
  /** `runtime update` with OCI `linux.resources`. */
  update(id: string, runtime: string, resources: object): Promise<void>;
  /** A process in a running container, under its own monitor; its exit code lands in `<execDir>/exit`. */
  exec(o: ExecOptions): Promise<ExecStarted>;
}
