import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, EngineError, InvalidArgumentError, NotFoundError, NotModifiedError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { freezerState, type CgroupLayout } from '../runtime/cgroups/index.js';
import { OciRuntimeError, monitorPaths, readExitFile, type RuntimeDriver } from '../runtime/driver/index.js';
import { cgroupsPathFor } from '../runtime/spec/generate.js';
import { exec } from '../util/index.js';
import { writeBundle, type BundleDeps } from './bundle.js';
import { eventAttributes } from './events.js';
import type { HealthMonitor } from './health.js';
import { LogRotator, rotationPolicy } from './log-rotate.js';
import type { Preparer, PreparerGroups, StartContext } from './prepare/index.js';
import type { ContainerRecord } from './record.js';
import { RestartTimers, shouldRestart } from './restart-policy.js';
import type { ContainerStore } from './store.js';
import { parseSignal } from './validate.js';
import type { Waiters } from './waiters.js';
import { mkdirAll } from '../store/index.js';

export interface LifecycleDeps extends BundleDeps {
  store: ContainerStore;
  driver: RuntimeDriver;
  events: EventBus;
  cgroups: CgroupLayout;
  /** conmon's --exit-dir (one file per container id). */
  exitDir: string;
  /** The start path's steps (prepare/index.ts has berthd's). */
  preparers: PreparerGroups;
  waiters: Waiters;
  health: HealthMonitor;
  /** Attachers waiting for a start: let in after `runtime create`, let go after a failed start. */
  attachments: { beforeStart(rec: ContainerRecord): Promise<void>; release(id: string): void };
  /** Live restore of the container's exec sessions. */
  execs: { restore(rec: ContainerRecord): Promise<void> };
  /** `rm -v` and AutoRemove take the container's anonymous volumes along. */
  volumes: { removeAnonymous(rec: ContainerRecord): Promise<void> };
}

/** How often a wait for an exit looks for conmon's exit file itself, in case its event was missed. */
const EXIT_FILE_POLL_MS = 1000;

function isActive(rec: ContainerRecord | undefined): boolean {
  return rec !== undefined && (rec.state.status === 'running' || rec.state.status === 'paused');
}

/**
 * The container state machine: created → running ⇄ paused → exited (→ restarting → running)
 * → removing → gone. Every transition runs under the container's lock and changes the record
 * through `store.update` (the ownership rule, ADR 0011); the runtime driver does each
 * operation. Docker's synchronous semantics: `kill` with SIGKILL, `stop`, `restart` and
 * `rm -f` answer once the exit is recorded, and an exit that a restart policy follows is
 * `restarting` before anyone waiting hears of it.
 */
export class Lifecycle {
  private readonly rotator: LogRotator;
  private readonly restarts = new RestartTimers();
  private readonly preparers: Preparer[];

  constructor(private readonly d: LifecycleDeps) {
    this.rotator = new LogRotator(d.logger);
    this.preparers = d.preparers.flat();
  }

  /** Stops background work (restart timers, log watchers, health checks) at daemon shutdown. */
  close(): void {
    this.restarts.closeAll();
    this.rotator.stopAll();
    this.d.health.stopAll();
  }

  async start(idOrName: string): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.d.store.withLock(rec.id, async () => {
      const cur = this.current(rec.id);
      // As dockerd: a restarting container counts as running.
      if (cur.state.status === 'running' || cur.state.status === 'restarting') throw new NotModifiedError('container already started');
      if (cur.state.status === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
      if (cur.state.status === 'removing' || cur.state.status === 'dead') throw new ConflictError(`container is marked for removal and cannot be started`);
      await this.startLocked(cur, { isRestartPolicy: false });
    });
  }

  private async startLocked(rec: ContainerRecord, opts: { isRestartPolicy: boolean }): Promise<void> {
    const paths = this.d.store.paths(rec.id);
    const tried: Preparer[] = [];
    let created = false;
    const trace = new StepTrace();
    const ctx: StartContext = { rec, paths, networkMode: 'default', peer: {}, mounts: [], beforeProcess: [] };
    try {
      await mkdirAll(paths.run, 0o700);
      for (const group of this.d.preparers) {
        tried.push(...group);
        const results = await Promise.allSettled(group.map((p) => p.prepare(ctx)));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        trace.mark(group.map((p) => p.name).join('+'));
      }
      await fsp.rm(path.join(paths.run, 'oom'), { force: true });
      await fsp.rm(path.join(this.d.exitDir, rec.id), { force: true });
      await writeBundle(ctx, this.d);
      trace.mark('bundle');
      const logSizeMax = this.logSizeMax(rec);
      const started = await this.d.driver.create({
        id: rec.id,
        bundleDir: paths.run,
        runtime: rec.runtime,
        ...(rec.hostConfig.LogConfig?.Type === 'none' ? {} : { logPath: paths.log }),
        ...(logSizeMax ? { logSizeMax } : {}),
        hasTty: rec.config.Tty ?? false,
        hasStdin: rec.config.OpenStdin ?? false,
        stdinOnce: rec.config.StdinOnce ?? false,
        persistDir: paths.run,
      });
      created = true;
      trace.mark('create');
      // A remapped container's netns is made by runc inside its user namespace (sysfs needs
      // that); loopback is brought up from the host before the process runs.
      if (rec.idMappings && !ctx.netnsPath && (ctx.networkMode === 'default' || ctx.networkMode === 'none')) {
        await exec('nsenter', [`--net=/proc/${started.pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
      }
      await this.d.attachments.beforeStart(rec);
      trace.mark('attach');
      // What steps left running alongside the bundle and the runtime's create (the network's interfaces).
      await Promise.all(ctx.beforeProcess);
      trace.mark('background');
      await this.d.driver.start(rec.id, rec.runtime);
      trace.mark('start');
      const next = await this.d.store.update(rec.id, (cur) => this.d.health.initialState({
        ...cur,
        state: { ...cur.state, status: 'running', pid: started.pid, conmonPid: started.conmonPid, exitCode: 0, error: '', startedAt: new Date().toISOString(), oomKilled: false, hasBeenManuallyStopped: false, pausedForCommit: undefined },
        restartCount: opts.isRestartPolicy ? cur.restartCount + 1 : cur.restartCount,
      }));
      this.d.health.start(next);
      this.watchLog(next);
      for (const p of this.preparers) p.started?.(next);
      this.d.events.publish('container', 'start', rec.id, eventAttributes(next));
      this.d.waiters.started(rec.id);
      trace.mark('record');
      // Where a start's time goes, step by step (bench/containers.mjs --trace reads these).
      this.d.logger.debug({ component: 'container', containerId: rec.id, stepsMs: trace.steps, totalMs: trace.totalMs() }, 'start steps');
    } catch (err) {
      // The release of a step must not run beside its own unfinished work.
      await Promise.allSettled(ctx.beforeProcess);
      await this.failStart(rec, tried, created, err);
      if (err instanceof OciRuntimeError) throw new InvalidArgumentError(startErrorMessage(err), { cause: err });
      throw err;
    }
  }

  /** Undoes a start that failed at any step and records why, as dockerd does (exit code 126/127/128). */
  private async failStart(rec: ContainerRecord, tried: Preparer[], created: boolean, err: unknown): Promise<void> {
    const warn = (e: unknown, what: string) => this.d.logger.warn({ component: 'container', containerId: rec.id, err: e }, what);
    // Undo steps are idempotent and each is tried; the start error is what the client sees.
    if (created) await this.d.driver.delete(rec.id, rec.runtime, { force: true }).catch((e: unknown) => warn(e, 'runtime delete after a failed start'));
    const paths = this.d.store.paths(rec.id);
    for (const p of [...tried].reverse()) await p.release(rec, paths).catch((e: unknown) => warn(e, `undo of ${p.name} after a failed start`));
    const message = startErrorMessage(err);
    const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : /permission denied/.test(message) ? 126 : 128;
    const failed = await this.d.store.update(rec.id, (cur) => ({ ...cur, state: { ...cur.state, status: cur.state.status === 'created' ? 'created' : 'exited', pid: 0, conmonPid: 0, exitCode, error: message } }));
    // As dockerd: a failed start ends `wait` with the code, and attached clients are let go.
    this.d.waiters.exited(rec.id, { StatusCode: exitCode, Error: null });
    this.d.attachments.release(rec.id);
    // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for it).
    if (failed.hostConfig.AutoRemove) await this.removeLocked(failed, { removeVolumes: true }).catch((e: unknown) => warn(e, 'auto-remove after a failed start'));
  }

  /**
   * conmon's own cap, the backstop while berthd is not rotating. conmon enforces it by cutting
   * its file, which loses lines: it must stay out of reach of berthd's rotation, which lags a
   * burst by a few writes. Four times the whole budget (at least 16 MiB) leaves that room and still bounds disk.
   */
  private logSizeMax(rec: ContainerRecord): number | undefined {
    const p = rotationPolicy(rec.hostConfig.LogConfig);
    return p ? Math.max(p.maxSizeBytes * p.maxFiles * 4, 16 * 1024 * 1024) : undefined;
  }

  private watchLog(rec: ContainerRecord): void {
    const p = rotationPolicy(rec.hostConfig.LogConfig);
    if (!p) return;
    const paths = this.d.store.paths(rec.id);
    this.rotator.watch(rec.id, paths.log, monitorPaths(paths.run).ctlPath, p);
  }

  /**
   * Records an exit that conmon reported (or that restore or a waiter found). Idempotent: an
   * exit of a container that is not running is ignored. When the restart policy applies, the
   * record goes straight to `restarting`, before waiters hear of the exit, so that nobody can
   * see an `exited` container that is about to run again (dockerd's SetRestarting).
   */
  async handleExit(id: string, exitCode: number, finishedAt: Date): Promise<void> {
    await this.d.store.withLock(id, async () => {
      const rec = this.d.store.get(id);
      if (!isActive(rec)) {
        await fsp.rm(path.join(this.d.exitDir, id), { force: true });
        return;
      }
      const paths = this.d.store.paths(id);
      const oomKilled = existsSync(path.join(paths.run, 'oom'));
      const trace = new StepTrace();
      await this.rotator.finish(id);
      await this.cleanupRuntime(rec!, trace);
      const next = await this.d.store.update(id, (cur) => ({
        ...cur,
        state: { ...cur.state, status: shouldRestart(cur, exitCode) ? 'restarting' : 'exited', pid: 0, conmonPid: 0, exitCode, finishedAt: finishedAt.toISOString(), oomKilled, pausedForCommit: undefined },
      }));
      await fsp.rm(path.join(this.d.exitDir, id), { force: true });
      if (oomKilled) this.d.events.publish('container', 'oom', id, eventAttributes(next));
      this.d.events.publish('container', 'die', id, { ...eventAttributes(next), exitCode: String(exitCode) });
      this.d.waiters.exited(id, { StatusCode: exitCode, Error: null });
      if (next.state.status === 'restarting') this.scheduleRestart(id);
      else if (next.hostConfig.AutoRemove) {
        trace.mark('exited');
        await this.removeLocked(next, { removeVolumes: true }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: id, err }, 'auto-remove failed'));
        trace.mark('removed');
      }
      // Where an exit's time goes (bench/network.mjs --trace reads these).
      this.d.logger.debug({ component: 'container', containerId: id, stepsMs: trace.steps, totalMs: trace.totalMs() }, 'exit steps');
    });
  }

  /** Tears down what a run of the container holds: runtime state, then each preparer's resource. */
  private async cleanupRuntime(rec: ContainerRecord, trace?: StepTrace): Promise<void> {
    this.d.health.stop(rec.id);
    const paths = this.d.store.paths(rec.id);
    await this.d.driver.delete(rec.id, rec.runtime, { force: true }).catch((err: unknown) => {
      this.d.logger.debug({ component: 'container', containerId: rec.id, err }, 'runtime delete after exit');
    });
    trace?.mark('delete');
    for (const p of [...this.preparers].reverse()) {
      await p.release(rec, paths).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err }, `releasing ${p.name} left something behind`));
      trace?.mark(p.name);
    }
  }

  private scheduleRestart(id: string): void {
    this.restarts.schedule(id, () => {
      this.d.store.withLock(id, async () => {
        const cur = this.d.store.get(id);
        if (!cur || cur.state.status !== 'restarting') return;
        await this.startLocked(cur, { isRestartPolicy: true });
      }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: id, err }, 'restart failed'));
    });
  }

  /**
   * A `restarting` container is stopped where it stands (stop, kill, rm -f): no restart comes,
   * it is `exited` with the code of its last run, and waiters hear of it. Under the lock.
   */
  private async stopRestarting(cur: ContainerRecord): Promise<void> {
    this.restarts.cancel(cur.id);
    const next = await this.d.store.update(cur.id, (c) => ({ ...c, state: { ...c.state, status: 'exited', hasBeenManuallyStopped: true } }));
    this.d.waiters.exited(cur.id, { StatusCode: next.state.exitCode, Error: null });
  }

  /**
   * The locked first step of stop and kill: a restarting container is stopped where it stands,
   * a running one is marked as stopped by hand (no restart policy brings it back) and is to be
   * signalled, anything else is not running.
   */
  private beginStop(id: string): Promise<'stopped' | 'not-running' | 'signal'> {
    return this.d.store.withLock(id, async () => {
      const cur = this.current(id);
      if (cur.state.status === 'restarting') { await this.stopRestarting(cur); return 'stopped'; }
      if (!isActive(cur)) return 'not-running';
      await this.markManuallyStopped(cur.id);
      return 'signal';
    });
  }

  /** `docker stop`: the stop signal, then SIGKILL after `timeoutS` (-1: wait forever). */
  async stop(idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    const sig = opts.signal || rec.config.StopSignal || 'SIGTERM';
    parseSignal(sig);
    const plan = await this.beginStop(rec.id);
    if (plan === 'not-running') throw new NotModifiedError('container already stopped');
    if (plan === 'signal') {
      const timeoutS = opts.timeoutS ?? rec.config.StopTimeout ?? 10;
      await this.signalIfRunning(rec.id, sig);
      const deadline = timeoutS >= 0 ? AbortSignal.timeout(timeoutS * 1000) : undefined;
      if (!(await this.untilExited(rec.id, deadline))) {
        await this.signalIfRunning(rec.id, 'SIGKILL');
        await this.untilExited(rec.id);
      }
    }
    this.d.events.publish('container', 'stop', rec.id, eventAttributes(this.d.store.get(rec.id) ?? rec));
  }

  /**
   * `docker kill`: any signal to a running container. With SIGKILL it answers once the exit is
   * recorded, as dockerd does (clients `kill` then `rm` or `inspect` at once).
   */
  async kill(idOrName: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    const num = parseSignal(signal);
    const plan = await this.beginStop(rec.id);
    if (plan === 'not-running') throw new ConflictError(`Cannot kill container: ${idOrName}: container ${rec.id} is not running`);
    if (plan === 'stopped') return;
    try {
      await this.signal(this.current(rec.id), num);
    } catch (err) {
      if (err instanceof ConflictError) throw new ConflictError(`Cannot kill container: ${idOrName}: ${err.message}`, { cause: err });
      throw err;
    }
    if (num === 9) await this.untilExited(rec.id);
  }

  /** Sets HasBeenManuallyStopped (dockerd sets it for every kill and stop): no restart policy brings it back. */
  private async markManuallyStopped(id: string): Promise<void> {
    await this.d.store.update(id, (cur) => cur.state.hasBeenManuallyStopped ? cur : { ...cur, state: { ...cur.state, hasBeenManuallyStopped: true } });
  }

  /**
   * Resolves true once the container's exit is recorded (or it is gone), false when `deadline`
   * fires first. Besides the record's own change, conmon's exit file is looked at every second:
   * an exit whose file event was missed is recorded from it, so a stop or `rm -f` never hangs.
   */
  private async untilExited(id: string, deadline?: AbortSignal): Promise<boolean> {
    const done = new AbortController();
    const signal = deadline ? AbortSignal.any([deadline, done.signal]) : done.signal;
    const poll = setInterval(() => {
      readExitFile(path.join(this.d.exitDir, id)).then(
        (exit) => exit ? this.handleExit(id, exit.exitCode, exit.finishedAt) : undefined,
      ).catch((err: unknown) => this.d.logger.debug({ component: 'container', containerId: id, err }, 'exit file poll'));
    }, EXIT_FILE_POLL_MS);
    try {
      await this.d.store.waitUntil(id, (r) => !isActive(r), signal);
      // The exit's holder (handleExit) finishes under the lock: its events, waiters and any
      // auto-removal come first, so what follows (a `stop` event, an inspect) sees the end.
      await this.d.store.withLock(id, async () => undefined);
      return true;
    } catch {
      return false;
    } finally {
      clearInterval(poll);
      done.abort();
    }
  }

  /** A signal to the container's process; one that exited meanwhile is no error. */
  private async signalIfRunning(id: string, signal: string): Promise<void> {
    const cur = this.d.store.get(id);
    if (!isActive(cur)) return;
    await this.signal(cur!, parseSignal(signal)).catch((err: unknown) => {
      if (!(err instanceof ConflictError)) throw err;
    });
  }

  private async signal(rec: ContainerRecord, num: number): Promise<void> {
    this.d.events.publish('container', 'kill', rec.id, { ...eventAttributes(rec), signal: String(num) });
    try {
      // Docker signals the init process only; SIGKILL goes to every process of the container.
      await this.d.driver.kill(rec.id, rec.runtime, num, num === 9);
    } catch (err) {
      if (err instanceof EngineError && err.status === 404) throw new ConflictError(`container ${rec.id} is not running`, { cause: err });
      throw err;
    }
    // A frozen process cannot act on a signal: thaw it, as dockerd does for a paused container.
    if (rec.state.status === 'paused' && num === 9) await this.unpause(rec.id).catch(() => undefined);
  }

  async restart(idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    try { await this.stop(rec.id, opts); } catch (err) { if (!(err instanceof NotModifiedError)) throw err; }
    await this.start(rec.id);
    this.d.events.publish('container', 'restart', rec.id, eventAttributes(this.current(rec.id)));
  }

  /** `docker pause`; `forCommit` records that berthd paused it for a commit (thawed at restore if the commit never ended). */
  async pause(idOrName: string, opts: { forCommit?: boolean } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.d.store.withLock(rec.id, async () => {
      const cur = this.current(rec.id);
      if (cur.state.status === 'paused') throw new ConflictError(`container ${cur.id} is already paused`);
      if (cur.state.status !== 'running') throw new ConflictError(`container ${cur.id} is not running`);
      if (opts.forCommit) {
        // Recorded durably before the freeze: a crash after it must find the mark.
        await this.d.store.update(cur.id, (c) => ({ ...c, state: { ...c.state, pausedForCommit: true } }), { durable: true });
      }
      await this.d.driver.pause(cur.id, cur.runtime);
      const next = await this.d.store.update(cur.id, (c) => ({ ...c, state: { ...c.state, status: 'paused' } }));
      this.d.events.publish('container', 'pause', cur.id, eventAttributes(next));
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.d.store.withLock(rec.id, async () => {
      const cur = this.current(rec.id);
      if (cur.state.status !== 'paused') throw new ConflictError(`container ${cur.id} is not paused`);
      await this.d.driver.resume(cur.id, cur.runtime);
      const next = await this.d.store.update(cur.id, (c) => ({ ...c, state: { ...c.state, status: 'running', pausedForCommit: undefined } }));
      this.d.events.publish('container', 'unpause', cur.id, eventAttributes(next));
    });
  }

  /**
   * `docker rm`: a running, paused or restarting container needs force (then SIGKILL, and the
   * removal waits for the exit). A container that another start brought back meanwhile is not removed.
   */
  async remove(idOrName: string, opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    const refuse = (cur: ContainerRecord) => new ConflictError(`cannot remove container "${cur.name}": container is ${cur.state.status}: stop the container before removing or force remove`);
    const removeNow = async (): Promise<boolean> => {
      const cur = this.d.store.get(rec.id);
      if (!cur) return true;
      if (cur.state.status === 'removing') throw new ConflictError(`removal of container ${cur.id} is already in progress`);
      if (cur.state.status === 'restarting') {
        if (!opts.force) throw refuse(cur);
        await this.stopRestarting(cur);
      } else if (isActive(cur)) {
        if (!opts.force) throw refuse(cur);
        await this.markManuallyStopped(cur.id);
        return false;
      }
      await this.removeLocked(this.current(cur.id), opts);
      return true;
    };
    if (await this.d.store.withLock(rec.id, removeNow)) return;
    await this.signalIfRunning(rec.id, 'SIGKILL');
    await this.untilExited(rec.id);
    await this.d.store.withLock(rec.id, async () => {
      const cur = this.d.store.get(rec.id);
      if (!cur) return;
      if (isActive(cur) || cur.state.status === 'restarting') throw refuse(cur);
      await this.removeLocked(cur, opts);
    });
  }

  /** Removes a stopped container and everything it has on disk. Under the lock. */
  private async removeLocked(rec: ContainerRecord, opts: { removeVolumes?: boolean }): Promise<void> {
    const paths = this.d.store.paths(rec.id);
    this.restarts.forget(rec.id);
    await this.d.store.update(rec.id, (cur) => ({ ...cur, state: { ...cur.state, status: 'removing' } }));
    await this.cleanupRuntime(rec);
    await fsp.rm(paths.run, { recursive: true, force: true });
    await fsp.rm(paths.dir, { recursive: true, force: true });
    await fsp.rm(path.join(this.d.exitDir, rec.id), { force: true });
    this.d.store.forget(rec.id);
    if (opts.removeVolumes) await this.d.volumes.removeAnonymous(rec);
    this.d.events.publish('container', 'destroy', rec.id, eventAttributes(rec));
    this.d.waiters.removed(rec.id, { StatusCode: rec.state.exitCode, Error: null });
  }

  /**
   * Live restore at daemon start: a container recorded as running is either still running
   * (re-adopted as is), exited while berthd was down (its exit file says how and when), or
   * gone without an exit file (the host restarted): recorded as exited 255, as dockerd does.
   * Restart policies then apply.
   */
  async restore(id: string): Promise<void> {
    const first = this.current(id);
    await this.d.execs.restore(first).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: id, err }, 'restoring execs failed'));
    const status = this.current(id).state.status;
    if (status === 'removing') {
      await this.d.store.withLock(id, async () => {
        const cur = this.d.store.get(id);
        if (cur?.state.status === 'removing') await this.removeLocked(cur, {});
      });
      return;
    }
    if (status === 'restarting') {
      await this.d.store.withLock(id, async () => {
        // The exit watcher may have recorded this exit and scheduled its restart already (it
        // starts before restore): one start only, and only while it is still restarting.
        const cur = this.d.store.get(id);
        if (cur?.state.status !== 'restarting') return;
        this.restarts.cancel(id);
        await this.startLocked(cur, { isRestartPolicy: true });
      }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: id, err }, 'restart at restore failed'));
      return;
    }
    if (status !== 'running' && status !== 'paused') return;
    const exit = await readExitFile(path.join(this.d.exitDir, id));
    if (exit) { await this.handleExit(id, exit.exitCode, exit.finishedAt); return; }
    const rec = this.current(id);
    const state = await this.d.driver.state(id, rec.runtime).catch(() => undefined);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      const frozen = await freezerState(this.d.cgroups, cgroupsPathFor(id, rec.hostConfig.CgroupParent || undefined)).catch(() => undefined);
      const isPaused = state.status === 'paused' || frozen === 'FROZEN';
      const adopted = await this.d.store.withLock(id, async () => {
        // Its exit may have been recorded meanwhile (the exit watcher runs already).
        if (!isActive(this.d.store.get(id))) return undefined;
        // A pause berthd made for a commit that a crash interrupted is undone (nobody asked for it).
        const thaw = isPaused && this.current(id).state.pausedForCommit === true;
        if (thaw) {
          await this.d.driver.resume(id, rec.runtime);
          this.d.logger.info({ component: 'container', containerId: id }, 'thawed a container paused for a commit that did not finish');
        }
        return this.d.store.update(id, (cur) => this.d.health.initialState(
          { ...cur, state: { ...cur.state, status: isPaused && !thaw ? 'paused' : 'running', pausedForCommit: undefined } }, { resume: true }));
      });
      if (!adopted) return;
      this.d.health.start(adopted);
      for (const p of this.preparers) p.adopted?.(adopted);
      this.watchLog(adopted);
      this.d.logger.info({ component: 'container', containerId: id }, 're-adopted a running container');
      return;
    }
    // Neither running nor an exit file: the processes went with a host restart.
    await this.handleExit(id, 255, new Date());
  }

  private current(id: string): ContainerRecord {
    const rec = this.d.store.get(id);
    if (!rec) throw new NotFoundError(`No such container: ${id}`);
    return rec;
  }
}

/** The start error as the docker CLI expects it: the runtime's own words (it picks 126/127 from them). */
function startErrorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof OciRuntimeError) return `failed to create task for container: OCI runtime create failed: ${msg}: unknown`;
  return msg;
}

/** Milliseconds between marks, by step name: a start's trace. */
class StepTrace {
  readonly steps: Record<string, number> = {};
  private readonly startedMs = performance.now();
  private lastMs = this.startedMs;

  mark(step: string): void {
    const now = performance.now();
    this.steps[step] = Math.round((now - this.lastMs) * 100) / 100;
    this.lastMs = now;
  }

  totalMs(): number {
    return Math.round((this.lastMs - this.startedMs) * 100) / 100;
  }
}
