import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, EngineError, InvalidArgumentError, NotFoundError, NotModifiedError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { freezerState, removeCgroup, type CgroupLayout } from '../runtime/cgroups/index.js';
import { OciRuntimeError, monitorPaths, readExitFile, type RuntimeDriver } from '../runtime/driver/index.js';
import { LogRotator, rotationPolicy } from './log-rotate.js';
import { cgroupsPathFor, generateSpec } from '../runtime/spec/generate.js';
import { specToJson } from '../runtime/spec/serialize.js';
import { resolveUser } from '../runtime/spec/user.js';
import type { NetworkModeKind } from '../runtime/spec/namespaces.js';
import type { SnapshotStore } from '../snapshot/index.js';
import { KeyedLock } from '../store/index.js';
import type { Logger } from '../util/index.js';
import { heldCapabilities } from './held-caps.js';
import { blkioDeviceNumbers, hostDevices, resolveDevices } from './devices.js';
import { createNetns, removeNetns } from './netns.js';
import type { ContainerRecord } from './record.js';
import { isMounted, mountRootfs, readInRoot, unmountRootfs } from './rootfs.js';
import { mount, MS_NODEV, MS_NOEXEC, MS_NOSUID, unmount } from '../sys/index.js';
import type { ContainerStore } from './store.js';
import type { ContainerVolumes } from './volumes.js';
import { parseSignal } from './validate.js';
import { Waiters } from './waiters.js';
import { HealthMonitor } from './health.js';
import { applyUserns, type IdRemap } from './userns.js';
import { exec } from '../util/index.js';

export interface LifecycleDeps {
  store: ContainerStore;
  snapshots: SnapshotStore;
  driver: RuntimeDriver;
  events: EventBus;
  logger: Logger;
  cgroups: CgroupLayout;
  /** conmon's --exit-dir (one file per container id). */
  exitDir: string;
  initPath: string;
  kernelRelease: string;
  /** Attachers waiting for a start: called after `runtime create`, before `runtime start`. */
  beforeStart?: (rec: ContainerRecord) => Promise<void>;
  /** Attachers waiting for a start that failed: they are released. */
  afterFailedStart?: (rec: ContainerRecord) => void;
  /** Volumes, binds and tmpfs mounts of containers. */
  containerVolumes?: ContainerVolumes;
  /** daemon.json `userns-remap`, when set. */
  idRemap?: IdRemap;
  /** Live restore of the container's exec sessions (ExecService.restore). */
  restoreExecs?: (rec: ContainerRecord) => Promise<void>;
}

/** How long a restart policy waits before the first restart; doubles up to the cap (Docker: 100 ms .. 1 min). */
const RESTART_BACKOFF_START_MS = 100;
const RESTART_BACKOFF_MAX_MS = 60_000;

/**
 * Starting, stopping and reaping containers. The runtime driver does each operation; this
 * decides which are allowed, records state, emits events and applies restart policies.
 */
export class Lifecycle {
  readonly waiters = new Waiters();
  readonly rotator: LogRotator;
  readonly health: HealthMonitor;
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly backoff = new Map<string, number>();

  constructor(private readonly d: LifecycleDeps, private readonly locks: KeyedLock) {
    this.rotator = new LogRotator(d.logger);
    this.health = new HealthMonitor({ store: d.store, driver: d.driver, events: d.events, logger: d.logger, attributes: (rec) => this.attributes(rec) }, locks);
  }

  /** Stops background work (restart timers, log watchers) at daemon shutdown. */
  close(): void {
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    this.rotator.stopAll();
    this.health.stopAll();
  }

  private idmapFor(rec: ContainerRecord): { usernsFd: number } | undefined {
    return idmapCheck(rec, this.d.idRemap);
  }

  /** Docker's container event attributes: image, name, and the container's labels. */
  attributes(rec: ContainerRecord): Record<string, string> {
    return { ...(rec.config.Labels ?? {}), image: rec.config.Image ?? rec.imageId, name: rec.name.slice(1) };
  }

  async start(idOrName: string): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.locks.run(rec.id, async () => {
      const cur = this.d.store.get(rec.id)!;
      if (cur.state.status === 'running') throw new NotModifiedError('container already started');
      if (cur.state.status === 'paused') throw new ConflictError('cannot start a paused container, try unpause instead');
      if (cur.state.status === 'removing' || cur.state.status === 'dead') throw new ConflictError(`container is marked for removal and cannot be started`);
      this.cancelRestart(cur.id);
      await this.startLocked(cur, { isRestartPolicy: false });
    });
  }

  private async startLocked(rec: ContainerRecord, opts: { isRestartPolicy: boolean }): Promise<void> {
    const paths = this.d.store.paths(rec.id);
    const undo: Array<() => Promise<void> | void> = [
      // A runtime that failed half-way may leave its cgroup: the leak guard runs last.
      () => removeCgroup(this.d.cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined)),
    ];
    try {
      await fsp.mkdir(paths.run, { recursive: true, mode: 0o700 });
      // The network namespace (a process spawn) is made while the rootfs mounts.
      undo.push(() => unmountRootfs(paths.rootfs), () => removeNetns(path.join(paths.run, 'netns')));
      undo.push(() => unmountShm(paths.dir));
      const [, { networkMode, netnsPath, peer, shmPath }] = await Promise.all([
        mountRootfs(this.d.snapshots, rec.imageChainId, paths, this.idmapFor(rec)),
        this.prepareNetwork(rec, paths.run),
      ]);
      const user = resolveUser(rec.config.User ?? '', readInRoot(paths.rootfs, 'etc/passwd'), readInRoot(paths.rootfs, 'etc/group'), rec.hostConfig.GroupAdd ?? []);
      const volumes = this.d.containerVolumes;
      const held = volumes ? await volumes.acquire(rec) : { mounts: [] };
      if (volumes) undo.push(() => volumes.release(rec));
      await fsp.rm(path.join(paths.run, 'oom'), { force: true });
      await fsp.rm(path.join(this.d.exitDir, rec.id), { force: true });
      const { spec, warnings } = generateSpec({
        id: rec.id,
        config: rec.config,
        hostConfig: rec.hostConfig,
        rootfsPath: paths.rootfs,
        args: [rec.path, ...rec.args],
        user,
        hostsPath: paths.hosts,
        hostnamePath: paths.hostname,
        resolvConfPath: paths.resolvConf,
        networkMode,
        netnsPath,
        peerNamespacePaths: peer,
        ...(shmPath ? { shmPath } : {}),
        initPath: this.d.initPath,
        cgroupsPath: cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined),
        isCgroup2: this.d.cgroups.version === 2,
        kernelRelease: this.d.kernelRelease,
        allCapabilities: heldCapabilities(),
        devices: await resolveDevices(rec.hostConfig),
        hostDevices: rec.hostConfig.Privileged ? await hostDevices() : [],
        blkioDeviceNumbers: await blkioDeviceNumbers(rec.hostConfig),
        mounts: held.mounts,
      });
      if (held.rootfsPropagation && spec.linux) spec.linux.rootfsPropagation = held.rootfsPropagation;
      if (rec.idMappings) applyUserns(spec, rec.idMappings);
      for (const w of warnings) this.d.logger.warn({ component: 'container', containerId: rec.id }, w);
      // The bundle lives in exec-root and is rewritten at every start: no fsync needed.
      await fsp.writeFile(path.join(paths.run, 'config.json'), specToJson(spec));
      const logSizeMax = this.logSizeMax(rec);
      const created = await this.d.driver.create({
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
      undo.push(() => this.d.driver.delete(rec.id, rec.runtime, { force: true }).catch(() => undefined));
      // A remapped container's netns is made by runc inside its user namespace (sysfs needs
      // that); loopback is brought up from the host before the process runs.
      if (rec.idMappings && !netnsPath && (networkMode === 'default' || networkMode === 'none')) {
        await exec('nsenter', [`--net=/proc/${created.pid}/ns/net`, 'ip', 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
      }
      if (this.d.beforeStart) await this.d.beforeStart(rec);
      await this.d.driver.start(rec.id, rec.runtime);
      const next: ContainerRecord = this.health.initialState({
        ...rec,
        state: { ...rec.state, status: 'running', pid: created.pid, conmonPid: created.conmonPid, exitCode: 0, error: '', startedAt: new Date().toISOString(), finishedAt: rec.state.finishedAt, oomKilled: false, hasBeenManuallyStopped: false },
        restartCount: opts.isRestartPolicy ? rec.restartCount + 1 : rec.restartCount,
      });
      await this.d.store.save(next);
      this.health.start(next);
      this.watchLog(next);
      volumes?.announce(next);
      this.d.events.publish('container', 'start', rec.id, this.attributes(next));
      this.waiters.started(rec.id);
    } catch (err) {
      for (const step of undo.reverse()) {
        // Undo steps are idempotent and each is tried; the start error is what the client sees.
        await Promise.resolve().then(step).catch((e: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err: e }, 'undo after a failed start'));
      }
      const message = startErrorMessage(err);
      const exitCode = /executable file not found|no such file or directory/.test(message) ? 127 : /permission denied/.test(message) ? 126 : 128;
      await this.d.store.save({ ...rec, state: { ...rec.state, status: rec.state.status === 'created' ? 'created' : 'exited', pid: 0, conmonPid: 0, exitCode, error: message } });
      // As dockerd: a failed start ends `wait` with the code, and attached clients are let go.
      this.waiters.exited(rec.id, { StatusCode: exitCode, Error: null });
      this.d.afterFailedStart?.(rec);
      // dockerd removes an AutoRemove container whose start failed (`docker run --rm` waits for it).
      if (rec.hostConfig.AutoRemove) {
        await this.removeLocked(this.d.store.get(rec.id)!, { force: true, removeVolumes: true }).catch((e: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err: e }, 'auto-remove after a failed start'));
      }
      if (err instanceof OciRuntimeError) throw new InvalidArgumentError(message, { cause: err });
      throw err;
    }
  }

  /** The OCI linux.resources of a container's HostConfig, for `runtime update`. */
  resourcesFor(rec: ContainerRecord): object {
    const { spec } = generateSpec({
      id: rec.id, config: rec.config, hostConfig: rec.hostConfig, rootfsPath: '/', args: [rec.path, ...rec.args],
      user: { uid: 0, gid: 0, additionalGids: [], home: '/' }, networkMode: 'none', isCgroup2: this.d.cgroups.version === 2, kernelRelease: this.d.kernelRelease,
    });
    return spec.linux?.resources ?? {};
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

  private async prepareNetwork(rec: ContainerRecord, runDir: string): Promise<{ networkMode: NetworkModeKind; netnsPath?: string; peer?: { network?: string; ipc?: string; pid?: string }; shmPath?: string }> {
    const mode = rec.hostConfig.NetworkMode || 'default';
    const peers: { network?: string; ipc?: string; pid?: string } = {};
    // moby getNetworkedContainer / getIPCContainer / getPIDContainer, with their messages.
    const peerOf = (m: string | undefined, kind: 'network' | 'ipc' | 'pid'): ContainerRecord | undefined => {
      if (!m?.startsWith('container:')) return undefined;
      const name = m.slice('container:'.length);
      let peer: ContainerRecord;
      try {
        peer = this.d.store.resolve(name);
      } catch (err) {
        if (err instanceof NotFoundError && kind !== 'network') throw new InvalidArgumentError(err.message, { cause: err });
        throw err;
      }
      if (peer.id === rec.id) throw new InvalidArgumentError(`cannot join own ${kind === 'network' ? 'network' : kind === 'ipc' ? 'IPC namespace' : 'PID namespace'}`);
      if (peer.state.status === 'restarting') throw new ConflictError(`Container ${name} is restarting, wait until the container is running`);
      if (peer.state.status !== 'running' && peer.state.status !== 'paused') {
        throw new ConflictError(kind === 'network' ? `cannot join network of a non running container: ${name}` : `container ${name} is not running`);
      }
      peers[kind] = `/proc/${peer.state.pid}/ns/${kind === 'network' ? 'net' : kind}`;
      return peer;
    };
    peerOf(mode, 'network');
    const ipcPeer = peerOf(rec.hostConfig.IpcMode, 'ipc');
    peerOf(rec.hostConfig.PidMode, 'pid');
    const shmPath = await this.prepareShm(rec, ipcPeer);
    const base = { peer: peers, ...(shmPath ? { shmPath } : {}) };
    if (mode === 'host') return { networkMode: 'host', ...base };
    if (mode.startsWith('container:')) return { networkMode: 'container', netnsPath: peers.network, ...base };
    if (rec.idMappings) return { networkMode: mode === 'none' ? 'none' : 'default', ...base };
    const netnsPath = path.join(runDir, 'netns');
    await createNetns(netnsPath);
    return { networkMode: mode === 'none' ? 'none' : 'default', netnsPath, ...base };
  }

  /**
   * /dev/shm for IPC modes other than private (moby `setupIpcDirs`): a shareable container gets
   * a tmpfs of its own under its directory, which `container:` joiners mount too; `host` uses
   * the host's /dev/shm. A donor whose IPC was not made shareable is refused.
   */
  private async prepareShm(rec: ContainerRecord, ipcPeer: ContainerRecord | undefined): Promise<string | undefined> {
    const mode = rec.hostConfig.IpcMode || 'private';
    if (mode === 'host') return '/dev/shm';
    if (ipcPeer) {
      const donorShm = shmDirOf(this.d.store.paths(ipcPeer.id).dir);
      if (!isMounted(donorShm)) {
        throw new InvalidArgumentError(`container ${mode.slice('container:'.length)}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
      }
      return donorShm;
    }
    if (mode !== 'shareable') return undefined;
    const dir = shmDirOf(this.d.store.paths(rec.id).dir);
    if (!isMounted(dir)) {
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${rec.hostConfig.ShmSize || 64 * 1024 * 1024}`);
    }
    return dir;
  }


  /**
   * Records an exit that conmon reported (or that restore found). Idempotent: an exit of a
   * container that is not running is ignored.
   */
  async handleExit(id: string, exitCode: number, finishedAt: Date): Promise<void> {
    await this.locks.run(id, async () => {
      const rec = this.d.store.get(id);
      if (!rec || (rec.state.status !== 'running' && rec.state.status !== 'paused')) {
        await fsp.rm(path.join(this.d.exitDir, id), { force: true });
        return;
      }
      const paths = this.d.store.paths(id);
      const oomKilled = existsSync(path.join(paths.run, 'oom'));
      await this.rotator.finish(id);
      await this.cleanupRuntime(rec);
      const next: ContainerRecord = { ...rec, state: { ...rec.state, status: 'exited', pid: 0, conmonPid: 0, exitCode, finishedAt: finishedAt.toISOString(), oomKilled } };
      await this.d.store.save(next);
      await fsp.rm(path.join(this.d.exitDir, id), { force: true });
      if (oomKilled) this.d.events.publish('container', 'oom', id, this.attributes(next));
      this.d.events.publish('container', 'die', id, { ...this.attributes(next), exitCode: String(exitCode) });
      this.waiters.exited(id, { StatusCode: exitCode, Error: null });
      if (this.shouldRestart(next)) this.scheduleRestart(next);
      else if (next.hostConfig.AutoRemove) {
        await this.removeLocked(next, { force: true, removeVolumes: true }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: id, err }, 'auto-remove failed'));
      }
    });
  }

  /** Tears down what a run of the container holds: runtime state, rootfs mount, netns, cgroup. */
  private async cleanupRuntime(rec: ContainerRecord): Promise<void> {
    this.health.stop(rec.id);
    const paths = this.d.store.paths(rec.id);
    await this.d.driver.delete(rec.id, rec.runtime, { force: true }).catch((err: unknown) => {
      this.d.logger.debug({ component: 'container', containerId: rec.id, err }, 'runtime delete after exit');
    });
    unmountRootfs(paths.rootfs);
    unmountShm(paths.dir);
    await this.d.containerVolumes?.release(rec);
    await removeNetns(path.join(paths.run, 'netns'));
    await removeCgroup(this.d.cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined)).catch((err: unknown) => {
      this.d.logger.warn({ component: 'container', containerId: rec.id, err }, 'cgroup left behind');
    });
  }

  private shouldRestart(rec: ContainerRecord): boolean {
    if (rec.state.hasBeenManuallyStopped) return false;
    const policy = rec.hostConfig.RestartPolicy?.Name ?? 'no';
    if (policy === 'always' || policy === 'unless-stopped') return true;
    if (policy === 'on-failure') {
      const max = rec.hostConfig.RestartPolicy?.MaximumRetryCount ?? 0;
      return rec.state.exitCode !== 0 && (max === 0 || rec.restartCount < max);
    }
    return false;
  }

  private scheduleRestart(rec: ContainerRecord): void {
    const delay = this.backoff.get(rec.id) ?? RESTART_BACKOFF_START_MS;
    this.backoff.set(rec.id, Math.min(delay * 2, RESTART_BACKOFF_MAX_MS));
    void this.d.store.save({ ...rec, state: { ...rec.state, status: 'restarting' } }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err }, 'saving the restarting state failed'));
    const timer = setTimeout(() => {
      this.restartTimers.delete(rec.id);
      void this.locks.run(rec.id, async () => {
        const cur = this.d.store.get(rec.id);
        if (!cur || cur.state.status !== 'restarting') return;
        await this.startLocked(cur, { isRestartPolicy: true });
      }).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err }, 'restart failed'));
    }, delay);
    timer.unref();
    this.restartTimers.set(rec.id, timer);
  }

  private cancelRestart(id: string): void {
    const t = this.restartTimers.get(id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(id);
  }

  /** `docker stop`: the stop signal, then SIGKILL after `timeoutS` (-1: wait forever). */
  async stop(idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    this.cancelRestart(rec.id);
    const cur = this.d.store.get(rec.id)!;
    if (cur.state.status === 'restarting') {
      await this.locks.run(rec.id, async () => {
        const r = this.d.store.get(rec.id)!;
        await this.d.store.save({ ...r, state: { ...r.state, status: 'exited', hasBeenManuallyStopped: true } });
      });
      return;
    }
    if (!(await this.markManuallyStopped(rec.id))) throw new NotModifiedError('container already stopped');
    const timeoutS = opts.timeoutS ?? cur.config.StopTimeout ?? 10;
    const sig = opts.signal || cur.config.StopSignal || 'SIGTERM';
    const exited = this.untilExited(rec.id);
    await this.signal(cur, sig).catch((err: unknown) => {
      // It exited on its own between the check and the signal: that is a stop too.
      if (!(err instanceof ConflictError)) throw err;
    });
    const timer = timeoutS >= 0 ? AbortSignal.timeout(timeoutS * 1000) : undefined;
    const stopped = await Promise.race([exited.then(() => true), timer ? new Promise<boolean>((resolve) => timer.addEventListener('abort', () => resolve(false), { once: true })) : new Promise<boolean>(() => undefined)]);
    if (!stopped) {
      await this.signal(this.d.store.get(rec.id)!, 'SIGKILL').catch((err: unknown) => {
        if (!(err instanceof ConflictError)) throw err;
      });
      await exited;
    }
    this.d.events.publish('container', 'stop', rec.id, this.attributes(this.d.store.get(rec.id) ?? cur));
  }

  /** `docker kill`: any signal; the container must be running. */
  async kill(idOrName: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    parseSignal(signal);
    if (!(await this.markManuallyStopped(rec.id))) {
      throw new ConflictError(`Cannot kill container: ${idOrName}: container ${rec.id} is not running`);
    }
    this.cancelRestart(rec.id);
    await this.signal(rec, signal).catch((err: unknown) => {
      if (err instanceof ConflictError) throw new ConflictError(`Cannot kill container: ${idOrName}: ${err.message}`, { cause: err });
      throw err;
    });
  }

  /**
   * Sets HasBeenManuallyStopped on the current record, under the container's lock so that an
   * exit recorded meanwhile is never overwritten by a stale copy. False when not running.
   */
  private async markManuallyStopped(id: string): Promise<boolean> {
    return this.locks.run(id, async () => {
      const cur = this.d.store.get(id);
      if (!cur || (cur.state.status !== 'running' && cur.state.status !== 'paused')) return false;
      await this.d.store.save({ ...cur, state: { ...cur.state, hasBeenManuallyStopped: true } });
      return true;
    });
  }

  /**
   * Resolves once the container's exit is recorded: the exit waiter, or, when the exit was
   * recorded before anyone listened, the record itself (checked again every 100 ms as a
   * safety net, since a missed event must not hang `stop` or `rm -f`).
   */
  private untilExited(id: string): Promise<void> {
    const isDown = () => {
      const cur = this.d.store.get(id);
      return !cur || (cur.state.status !== 'running' && cur.state.status !== 'paused');
    };
    return new Promise<void>((resolve) => {
      const stop = new AbortController();
      const done = () => { clearInterval(timer); stop.abort(); resolve(); };
      const timer = setInterval(() => { if (isDown()) done(); }, 100);
      this.waiters.next('exit', id, stop.signal).then(done, () => undefined);
      if (isDown()) done();
    });
  }

  private async signal(rec: ContainerRecord, signal: string): Promise<void> {
    const num = parseSignal(signal);
    this.d.events.publish('container', 'kill', rec.id, { ...this.attributes(rec), signal: String(num) });
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
    this.d.events.publish('container', 'restart', rec.id, this.attributes(this.d.store.get(rec.id)!));
  }

  async pause(idOrName: string): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.locks.run(rec.id, async () => {
      const cur = this.d.store.get(rec.id)!;
      if (cur.state.status === 'paused') throw new ConflictError(`container ${cur.id} is already paused`);
      if (cur.state.status !== 'running') throw new ConflictError(`container ${cur.id} is not running`);
      await this.d.driver.pause(cur.id, cur.runtime);
      await this.d.store.save({ ...cur, state: { ...cur.state, status: 'paused' } });
      this.d.events.publish('container', 'pause', cur.id, this.attributes(cur));
    });
  }

  async unpause(idOrName: string): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    await this.locks.run(rec.id, async () => {
      const cur = this.d.store.get(rec.id)!;
      if (cur.state.status !== 'paused') throw new ConflictError(`container ${cur.id} is not paused`);
      await this.d.driver.resume(cur.id, cur.runtime);
      await this.d.store.save({ ...cur, state: { ...cur.state, status: 'running' } });
      this.d.events.publish('container', 'unpause', cur.id, this.attributes(cur));
    });
  }

  /** `docker rm`: a running container needs force (then SIGKILL and wait). */
  async remove(idOrName: string, opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    this.cancelRestart(rec.id);
    const isRunning = ['running', 'paused'].includes(rec.state.status);
    if (isRunning && !opts.force) {
      throw new ConflictError(`cannot remove container "${rec.name}": container is ${rec.state.status}: stop the container before removing or force remove`);
    }
    if (isRunning) {
      const exited = this.untilExited(rec.id);
      await this.kill(rec.id, 'SIGKILL').catch((err: unknown) => { if (!(err instanceof ConflictError)) throw err; });
      await exited;
    }
    await this.locks.run(rec.id, async () => {
      const cur = this.d.store.get(rec.id);
      if (!cur) return;
      await this.removeLocked(cur, opts);
    });
  }

  private async removeLocked(rec: ContainerRecord, opts: { force?: boolean; removeVolumes?: boolean }): Promise<void> {
    const paths = this.d.store.paths(rec.id);
    await this.d.store.save({ ...rec, state: { ...rec.state, status: 'removing' } });
    await this.cleanupRuntime(rec);
    await fsp.rm(paths.run, { recursive: true, force: true });
    await fsp.rm(paths.dir, { recursive: true, force: true });
    await fsp.rm(path.join(this.d.exitDir, rec.id), { force: true });
    this.d.store.forget(rec.id);
    this.backoff.delete(rec.id);
    if (opts.removeVolumes) await this.d.containerVolumes?.removeAnonymous(rec);
    this.d.events.publish('container', 'destroy', rec.id, this.attributes(rec));
    this.waiters.removed(rec.id, { StatusCode: rec.state.exitCode, Error: null });
  }

  /**
   * Live restore at daemon start: a container recorded as running is either still running
   * (re-adopted as is), exited while berthd was down (its exit file says how and when), or
   * gone without an exit file (the host restarted): recorded as exited 255, as dockerd does.
   * Restart policies then apply.
   */
  async restore(rec: ContainerRecord): Promise<void> {
    await this.d.restoreExecs?.(rec).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err }, 'restoring execs failed'));
    if (rec.state.status === 'removing') {
      await this.locks.run(rec.id, () => this.removeLocked(rec, { force: true }));
      return;
    }
    if (rec.state.status === 'restarting') {
      await this.locks.run(rec.id, () => this.startLocked(rec, { isRestartPolicy: true })).catch((err: unknown) => this.d.logger.warn({ component: 'container', containerId: rec.id, err }, 'restart at restore failed'));
      return;
    }
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') return;
    const exit = await readExitFile(path.join(this.d.exitDir, rec.id));
    if (exit) { await this.handleExit(rec.id, exit.exitCode, exit.finishedAt); return; }
    const state = await this.d.driver.state(rec.id, rec.runtime).catch(() => undefined);
    if (state && (state.status === 'running' || state.status === 'paused')) {
      const frozen = await freezerState(this.d.cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined)).catch(() => undefined);
      const status = state.status === 'paused' || frozen === 'FROZEN' ? 'paused' : 'running';
      const adopted = this.health.initialState({ ...rec, state: { ...rec.state, status } }, { resume: true });
      if (adopted !== rec) await this.d.store.save(adopted);
      this.health.start(adopted);
      this.d.containerVolumes?.adopt(rec);
      this.watchLog(rec);
      this.d.logger.info({ component: 'container', containerId: rec.id }, 're-adopted a running container');
      return;
    }
    // Neither running nor an exit file: the processes went with a host restart.
    await this.handleExit(rec.id, 255, new Date());
  }
}


/** The idmapped-layer mount of a remapped container, refused when the daemon's mapping is not its own. */
function idmapCheck(rec: ContainerRecord, remap: IdRemap | undefined): { usernsFd: number } | undefined {
  if (!rec.idMappings) return undefined;
  const same = remap && JSON.stringify(remap.uidMappings) === JSON.stringify(rec.idMappings.uidMappings) && JSON.stringify(remap.gidMappings) === JSON.stringify(rec.idMappings.gidMappings);
  if (!same) throw new InvalidArgumentError(`container ${rec.id} was created with userns-remap ranges ${JSON.stringify(rec.idMappings.uidMappings)}: start berthd with the same userns-remap setting to run it`);
  return { usernsFd: remap.usernsFd };
}

/** A shareable container's /dev/shm (moby keeps it at `containers/<id>/mounts/shm`). */
function shmDirOf(containerDir: string): string {
  return path.join(containerDir, 'mounts', 'shm');
}

function unmountShm(containerDir: string): void {
  const dir = shmDirOf(containerDir);
  if (isMounted(dir)) unmount(dir, true);
}

/** The start error as the docker CLI expects it: the runtime's own words (it picks 126/127 from them). */
function startErrorMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof OciRuntimeError) return `failed to create task for container: OCI runtime create failed: ${msg}: unknown`;
  return msg;
}
