import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { InvalidArgumentError, NotImplementedError } from '../errors/index.js';
import { linksForInspect, planLinks, removeLink } from './links.js';
import { mergeLogConfig } from './log-config.js';
import { checkImagePlatform } from './platform.js';
import type { EventBus } from '../events/index.js';
import type { ImageStore } from '../image/index.js';
import { chainIds, parseUntil } from '../image/index.js';
import type { SnapshotStore } from '../snapshot/index.js';
import type { SysInfo } from '../sysinfo/index.js';
import type { HostConfig } from '../types/container.js';
import { readInterfaceStats } from '../network/index.js';
import { checkFilterNames, diskUsage, duBytes, mapLimit, matchLabels, type Filters, type Logger } from '../util/index.js';
import { resolveCommand } from '../runtime/spec/command.js';
import { decodeCreateBody } from './decode.js';

import { validateCreate } from './validate.js';
import { Lifecycle } from './lifecycle.js';
import { Waiters } from './waiters.js';
import { HealthMonitor } from './health.js';
import { eventAttributes } from './events.js';
import { resourcesFor } from './bundle.js';
import { defaultPreparers, type PreparerGroups } from './prepare/index.js';
import type { RuntimeDriver } from '../runtime/driver/index.js';
import type { CgroupLayout } from '../runtime/cgroups/index.js';
import type { ExecRecord } from './exec.js';
import { selectContainers } from './list.js';
import { mergeImageConfig } from './merge.js';
import { validateName } from './names.js';
import { initialState, type ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import { inspectJson, summaryJson } from './view.js';
import type { WaitResult } from './waiters.js';
import { writeEtcFiles } from './etc-files.js';
import { checkNetworkConflicts, hostGatewayIps, networkExists, networkSettingsOf, planNetworks, type ContainerNetworks } from './network.js';
import { NetworkConnections } from './network-connect.js';
import type { EndpointSettings } from '../types/container.js';
import { ExecService } from './exec.js';
import { ArchiveService } from './archive.js';
import { createInitLayer } from './init-layer.js';
import os from 'node:os';
import path from 'node:path';
import { ConflictError } from '../errors/index.js';
import { listPids, readCgroupStats, toDockerStats, topOutput, type RawStats } from '../runtime/cgroups/index.js';
import { monitorPaths, resize } from '../runtime/driver/index.js';
import { cgroupsPathFor } from '../runtime/spec/generate.js';
import { changes, commit } from './ops.js';
import { isMounted, mountRootfs, unmountRootfs } from './rootfs.js';
import { parseRepositoryTag, withDefaultTag, type ContentStore } from '../image/index.js';
import type { ContainerConfig } from '../types/container.js';
import { Attachments, writeLogs, type AttachOptions, type LogsOptions } from './stdio.js';
import type { Readable, Writable } from 'node:stream';
import type { VolumeService } from '../volume/index.js';
import { ContainerVolumes } from './volumes.js';
import { checkUsernsMode, chownToRoot, toHostId, unshiftIds, type IdRemap } from './userns.js';
import type { PathStat } from './archive.js';
import { mkdirAll } from '../store/index.js';

export interface ContainerServiceDeps {
  store: ContainerStore;
  volumes: VolumeService;
  content: ContentStore;
  images: ImageStore;
  snapshots: SnapshotStore;
  driver: RuntimeDriver;
  events: EventBus;
  logger: Logger;
  cgroups: CgroupLayout;
  /** conmon's --exit-dir (one file per container id). */
  exitDir: string;
  initPath: string;
  kernelRelease: string;
  runtimeNames: string[];
  defaultRuntime: string;
  /** daemon.json `userns-remap`, when set. */
  idRemap?: IdRemap;
  /** daemon.json `log-driver` and `log-opts`. */
  defaultLogConfig?: { type: string; opts: Record<string, string> };
  /** The start path's steps; berthd's own (prepare/index.ts) unless a test gives others. */
  preparers?: PreparerGroups;
  /** Bridge networks (network/); without it containers get a namespace with loopback only. */
  networks?: ContainerNetworks;
  /** What the host can honour, probed at start: create and update drop the rest. */
  sysInfo: SysInfo;
}

/** Containers restored at once at start-up (dockerd: in parallel up to a limit as well). */
const RESTORE_PARALLEL = 32;

/**
 * Containers, behind `/containers/*` and `/exec/*`: the one surface the API and the daemon
 * see. Its parts (the state machine, execs, attach, archives, volumes, health) are built here
 * with what each needs; every change of a record goes through the store's `update` under the
 * container's lock (ADR 0011).
 */
export class ContainerService {
  private readonly lifecycle: Lifecycle;
  private readonly waiters = new Waiters();
  private readonly attachments: Attachments;
  private readonly execs: ExecService;
  private readonly volumes: ContainerVolumes;
  private readonly archives: ArchiveService;
  private readonly health: HealthMonitor;
  private readonly bundle: { isCgroup2: boolean; kernelRelease: string };
  private readonly connections: NetworkConnections | undefined;

  constructor(private readonly d: ContainerServiceDeps) {
    this.bundle = { isCgroup2: d.cgroups.version === 2, kernelRelease: d.kernelRelease };
    this.volumes = new ContainerVolumes({ volumes: d.volumes, store: d.store, events: d.events, logger: d.logger });
    this.attachments = new Attachments(d.store, this.waiters);
    this.execs = new ExecService({ store: d.store, driver: d.driver, events: d.events, logger: d.logger, attributes: eventAttributes });
    this.health = new HealthMonitor({ store: d.store, driver: d.driver, events: d.events, logger: d.logger, attributes: eventAttributes });
    this.lifecycle = new Lifecycle({
      store: d.store, driver: d.driver, events: d.events, logger: d.logger, cgroups: d.cgroups, exitDir: d.exitDir,
      initPath: d.initPath, kernelRelease: d.kernelRelease, isCgroup2: this.bundle.isCgroup2,
      preparers: d.preparers ?? defaultPreparers({ store: d.store, snapshots: d.snapshots, cgroups: d.cgroups, volumes: this.volumes, idRemap: d.idRemap, ...(d.networks ? { networks: d.networks } : {}) }),
      waiters: this.waiters, health: this.health, attachments: this.attachments, execs: this.execs, volumes: this.volumes,
    });
    this.connections = d.networks ? new NetworkConnections({ store: d.store, networks: d.networks }) : undefined;
    this.archives = new ArchiveService({
      store: d.store, snapshots: d.snapshots, events: d.events, attributes: eventAttributes,
      // A copy under a volume or bind goes to its source, as dockerd mounts them for `docker cp`.
      mountsOf: (rec) => this.volumes.copyMounts(rec),
      remapOf: (rec) => {
        if (!rec.idMappings || !this.d.idRemap) return undefined;
        const m = rec.idMappings;
        return {
          idmap: { usernsFd: this.d.idRemap.usernsFd },
          toContainer: unshiftIds(m)!,
          toHost: (uid, gid) => [toHostId(m.uidMappings, uid), toHostId(m.gidMappings, gid)],
        };
      },
    });
  }

  // The state machine (lifecycle.ts).
  start(idOrName: string): Promise<void> { return this.lifecycle.start(idOrName); }
  stop(idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> { return this.lifecycle.stop(idOrName, opts); }
  restart(idOrName: string, opts: { timeoutS?: number; signal?: string } = {}): Promise<void> { return this.lifecycle.restart(idOrName, opts); }
  kill(idOrName: string, signal?: string): Promise<void> { return this.lifecycle.kill(idOrName, signal); }
  pause(idOrName: string): Promise<void> { return this.lifecycle.pause(idOrName); }
  unpause(idOrName: string): Promise<void> { return this.lifecycle.unpause(idOrName); }
  remove(idOrName: string, opts: { force?: boolean; removeVolumes?: boolean } = {}): Promise<void> { return this.lifecycle.remove(idOrName, opts); }
  /** An exit conmon reported (the daemon's exit watcher). */
  handleExit(id: string, exitCode: number, finishedAt: Date): Promise<void> { return this.lifecycle.handleExit(id, exitCode, finishedAt); }

  /** Live restore at daemon start: every container's record is brought in line with what runs. */
  async restoreAll(onError: (id: string, err: unknown) => void): Promise<void> {
    // In parallel up to a limit, as dockerd restores containers: one after another, a thousand
    // containers' reads (their execs, exit files) took most of a start (issue 18).
    await mapLimit(this.d.store.list(), RESTORE_PARALLEL, (rec) => this.lifecycle.restore(rec.id).catch((err: unknown) => onError(rec.id, err)));
  }

  /** Stops background work at daemon shutdown and writes any record kept only in memory. */
  async close(): Promise<void> {
    this.lifecycle.close();
    this.d.store.close();
    await this.d.store.flush().catch((err: unknown) => this.d.logger.warn({ component: 'container', err }, 'container records left unsaved at shutdown'));
  }

  // Networks of existing containers (network-connect.ts): the API's NetworkConnector.
  connectNetwork(idOrName: string, network: string, endpoint: EndpointSettings | null): Promise<void> {
    if (!this.connections) throw new NotImplementedError('berth cannot connect containers to networks without the network service');
    return this.connections.connect(idOrName, network, endpoint);
  }
  disconnectNetwork(idOrName: string, network: string, force: boolean): Promise<void> {
    if (!this.connections) throw new NotImplementedError('berth cannot disconnect containers from networks without the network service');
    return this.connections.disconnect(idOrName, network, force);
  }

  /** `DELETE /containers/{parent}/{alias}?link=1` (docker rm --link): the parent forgets the link. */
  removeLink(linkName: string): Promise<void> { return removeLink(this.d.store, linkName); }

  // Execs (exec.ts).
  createExec(containerIdOrName: string, body: unknown): Promise<string> { return this.execs.create(containerIdOrName, body); }
  inspectExec(id: string): Record<string, unknown> { return this.execs.inspect(id); }
  /** An exec as `start` needs it: its attach settings and terminal. */
  getExec(id: string): ExecRecord { return this.execs.get(id); }
  startExec(id: string, o: { detach: boolean; consoleSize?: unknown; tty?: boolean }, io?: { input: Readable | undefined; output: Writable; options: AttachOptions; signal: AbortSignal }): Promise<void> {
    return this.execs.start(id, o, io);
  }
  async resizeExec(id: string, height: number, width: number): Promise<void> {
    const e = this.execs.get(id);
    if (!e.running) throw new ConflictError(`exec ${e.id} is not running`);
    await resize(monitorPaths(this.execDir(e.containerId, e.id)).ctlPath, height, width);
  }

  // docker cp (archive.ts).
  statPath(idOrName: string, rawPath: string): Promise<PathStat> { return this.archives.stat(idOrName, rawPath); }
  getArchive(idOrName: string, rawPath: string, signal?: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> { return this.archives.get(idOrName, rawPath, signal); }
  putArchive(idOrName: string, rawPath: string, body: AsyncIterable<Buffer>, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void> {
    return this.archives.put(idOrName, rawPath, body, o);
  }

  /** Where an exec's conmon keeps its ctl FIFO and attach socket. */
  private execDir(containerId: string, execId: string): string {
    return path.join(this.d.store.paths(containerId).run, 'exec', execId.slice(0, 16));
  }

  /** `GET /containers/{id}/logs`. */
  async logs(idOrName: string, o: LogsOptions, out: Writable, signal: AbortSignal): Promise<{ isTty: boolean; write: () => Promise<void> }> {
    const rec = this.d.store.resolve(idOrName);
    if (!o.stdout && !o.stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
    if (rec.hostConfig.LogConfig?.Type === 'none') throw new NotImplementedError('configured logging driver does not support reading');
    return { isTty: rec.config.Tty === true, write: () => writeLogs(this.d.store, this.waiters, rec, o, out, signal) };
  }

  /** `POST /containers/{id}/attach`: resolves the container first so a 404 is still a 404. */
  prepareAttach(idOrName: string): { rec: ContainerRecord; isTty: boolean; run: (o: AttachOptions, input: Readable | undefined, output: Writable, signal: AbortSignal) => Promise<void> } {
    const rec = this.d.store.resolve(idOrName);
    return { rec, isTty: rec.config.Tty === true, run: (o, input, output, signal) => this.attachments.attachOrEnd(this.d.store.get(rec.id) ?? rec, o, input, output, signal) };
  }

  /** `POST /containers/create`. */
  async create(body: unknown, name: string | undefined, platform?: string): Promise<{ Id: string; Warnings: string[] }> {
    const { config: requested, hostConfig, networking } = decodeCreateBody(body);
    const image = this.d.images.resolve(requested.Image!);
    const imageJson = this.d.images.config(image.id);
    if (platform) checkImagePlatform(requested.Image!, platform, { os: imageJson.os || 'linux', architecture: imageJson.architecture || hostArch(), ...(imageJson.variant ? { variant: imageJson.variant } : {}) }, hostArch());
    const imageConfig = imageJson.config ?? {};
    const warnings = validateCreate(requested, hostConfig, this.d.runtimeNames, this.d.sysInfo, { hasNetwork: networkExists(this.d.networks) });
    const merged = mergeImageConfig(requested, imageConfig);
    const cmd = resolveCommand(imageConfig, requested);
    merged.Cmd = cmd.cmd;
    merged.Entrypoint = cmd.entrypoint;
    const id = randomBytes(32).toString('hex');
    if (!merged.Hostname) merged.Hostname = id.slice(0, 12);
    merged.Image = requested.Image;
    const host: HostConfig = normalizeHostConfig(hostConfig, this.d.defaultRuntime);
    warnings.push(...checkNetworkConflicts(requested, host));
    const networks = planNetworks(this.d.networks, requested, host, networking);
    const links = planLinks(this.d.store, host.Links, host.NetworkMode ?? 'default');
    host.LogConfig = mergeLogConfig(hostConfig.LogConfig, this.d.defaultLogConfig ?? { type: 'json-file', opts: {} });
    this.volumes.validate(host);
    checkUsernsMode(host, this.d.idRemap !== undefined);
    const finalName = name ? validateName(name) : undefined;
    if (finalName) this.d.store.names.reserve(finalName, id);
    const recName = finalName ?? this.d.store.names.generate(id);
    const rec: ContainerRecord = {
      id,
      name: recName,
      created: new Date().toISOString(),
      path: cmd.path,
      args: cmd.args,
      config: merged,
      hostConfig: host,
      imageId: image.id,
      runtime: host.Runtime ?? this.d.defaultRuntime,
      state: initialState(),
      restartCount: 0,
      imageChainId: chainIds(image).at(-1),
      platform: 'linux',
      ...(networks ? { networks } : {}),
      ...(links ? { links } : {}),
      ...(this.d.idRemap && (host.UsernsMode ?? '') !== 'host' ? { idMappings: { uidMappings: this.d.idRemap.uidMappings, gidMappings: this.d.idRemap.gidMappings } } : {}),
    };
    const paths = this.d.store.paths(id);
    const madeVolumes: string[] = [];
    try {
      await mkdirAll(paths.dir, 0o710);
      await writeEtcFiles(rec, paths, [], { hostGatewayIps: hostGatewayIps(this.d.networks) });
      await createInitLayer(paths.init);
      if (rec.idMappings) {
        // The remapped root must reach its rootfs and own its upper dir (its `/`) and files.
        await fsp.chown(paths.dir, 0, toHostId(rec.idMappings.gidMappings, 0));
        await mkdirAll(paths.upper, 0o755);
        await chownToRoot(rec.idMappings, paths.upper, paths.hosts, paths.hostname, paths.resolvConf);
      }
      rec.mountPoints = await this.volumes.plan(id, merged, host, madeVolumes);
      if (rec.idMappings) await this.volumes.chownNew(madeVolumes, rec.idMappings);
      if (this.volumes.needsPopulate(rec.mountPoints)) {
        // The image's content at each volume's path is copied in now, as dockerd does at create
        // (through the idmapped layers for a remapped container: the copies get its ids).
        await mountRootfs(this.d.snapshots, rec.imageChainId, paths, rec.idMappings && this.d.idRemap ? { usernsFd: this.d.idRemap.usernsFd } : undefined);
        try {
          await this.volumes.populate(id, paths.rootfs, rec.mountPoints);
        } finally {
          unmountRootfs(paths.rootfs);
        }
      }
      await this.d.store.add(rec);
    } catch (err) {
      this.d.store.names.release(recName);
      await this.volumes.undoCreated(madeVolumes);
      await fsp.rm(paths.dir, { recursive: true, force: true });
      throw err;
    }
    this.d.events.publish('container', 'create', id, eventAttributes(rec));
    return { Id: id, Warnings: warnings };
  }

  async list(opts: { all?: boolean; limit?: number; filters: Filters; size?: boolean }): Promise<Array<Record<string, unknown>>> {
    const recs = selectContainers(this.d.store.list(), opts, {
      resolve: (x) => this.d.store.resolve(x),
      hasAncestor: (rec, ancestor) => {
        const img = this.d.images.lookup(ancestor);
        return img !== undefined && img.id === rec.imageId;
      },
    });
    const out: Array<Record<string, unknown>> = [];
    for (const r of recs) out.push(summaryJson(r, { ...(opts.size ? await this.sizes(r) : {}), network: networkSettingsOf(this.d.networks, r) }));
    return out;
  }

  async inspect(idOrName: string, opts: { size?: boolean } = {}): Promise<Record<string, unknown>> {
    const rec = this.d.store.resolve(idOrName);
    const lowers = rec.imageChainId ? await this.d.snapshots.lowerDirs(rec.imageChainId).catch(() => []) : [];
    const extra = opts.size ? await this.sizes(rec) : {};
    const shown = rec.links ? { ...rec, hostConfig: { ...rec.hostConfig, Links: linksForInspect(this.d.store, rec) } } : rec;
    return inspectJson(shown, this.d.store.paths(rec.id), lowers, { ...extra, execIds: this.execs.idsOf(rec.id), network: networkSettingsOf(this.d.networks, rec) });
  }

  async rename(idOrName: string, newName: string): Promise<void> {
    const { id } = this.d.store.resolve(idOrName);
    if (!newName) throw new InvalidArgumentError('Neither old nor new names may be empty');
    const next = validateName(newName);
    await this.d.store.withLock(id, async () => {
      const old = this.d.store.resolve(id).name;
      if (next === old) throw new InvalidArgumentError('Renaming a container with the same name as its current name');
      this.d.store.names.reserve(next, id);
      let updated: ContainerRecord;
      try {
        updated = await this.d.store.update(id, (cur) => ({ ...cur, name: next }), { durable: true });
      } catch (err) {
        this.d.store.names.release(next);
        throw err;
      }
      this.d.store.names.release(old);
      this.d.events.publish('container', 'rename', id, { ...eventAttributes(updated), oldName: old });
    });
  }

  async wait(idOrName: string, condition: string, signal: AbortSignal): Promise<WaitResult> {
    const rec = this.d.store.resolve(idOrName);
    if (!['not-running', 'next-exit', 'removed', ''].includes(condition)) throw new InvalidArgumentError(`invalid condition: "${condition}"`);
    const isRunning = ['running', 'paused', 'restarting'].includes(rec.state.status);
    if ((condition === 'not-running' || condition === '') && !isRunning) return { StatusCode: rec.state.exitCode, Error: null };
    if (condition === 'removed') return this.waiters.next('removed', rec.id, signal);
    return this.waiters.next('exit', rec.id, signal);
  }

  async prune(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    checkFilterNames(filters, ['until', 'label', 'label!']);
    const until = filters.get('until')?.map(parseUntil);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of this.d.store.list()) {
      if (rec.state.status !== 'exited' && rec.state.status !== 'created' && rec.state.status !== 'dead') continue;
      if (!matchLabels(filters.get('label'), rec.config.Labels)) continue;
      if (filters.get('label!')?.some((l) => matchLabels([l], rec.config.Labels))) continue;
      if (until && !until.every((t) => Date.parse(rec.created) < t)) continue;
      reclaimed += await this.diskBytes(rec);
      await this.lifecycle.remove(rec.id, { force: false });
      deleted.push(rec.id);
    }
    if (deleted.length) this.d.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
    return { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** `GET /containers/{id}/top`. */
  async top(idOrName: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    const rec = this.d.store.resolve(idOrName);
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') throw new ConflictError(`container ${rec.id} is not running`);
    const pids = await listPids(this.d.cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined));
    return topOutput(pids, psArgs || '-ef');
  }

  /** One `GET /containers/{id}/stats` sample; `prev` is the one before it. */
  async stats(idOrName: string, prev: RawStats | undefined): Promise<{ raw: RawStats | undefined; json: Record<string, unknown> }> {
    const rec = this.d.store.resolve(idOrName);
    const isRunning = rec.state.status === 'running' || rec.state.status === 'paused';
    const raw = isRunning ? await readCgroupStats(this.d.cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined)) : undefined;
    // networks: the counters of the container's own namespace, read through its init pid as
    // dockerd reads its sandbox's interfaces (a container: sharer's pid is in its peer's namespace,
    // the sandbox dockerd resolves for it); a host-network container has no endpoint of its own.
    const hasOwnNetwork = rec.hostConfig.NetworkMode !== 'host' && !rec.config.NetworkDisabled;
    const networks = raw && hasOwnNetwork && rec.state.pid ? await readInterfaceStats(rec.state.pid) : undefined;
    const meta = { id: rec.id, name: rec.name, memTotal: os.totalmem(), ncpu: os.cpus().length, ...(networks ? { networks } : {}) };
    if (!raw) return { raw: undefined, json: { id: rec.id, name: rec.name, read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, blkio_stats: {}, num_procs: 0, storage_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, precpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: {} }, memory_stats: {} } };
    return { raw, json: toDockerStats(raw, prev, meta) };
  }

  async changes(idOrName: string): Promise<Array<{ Path: string; Kind: number }>> {
    const rec = this.d.store.resolve(idOrName);
    const lowers = rec.imageChainId ? await this.d.snapshots.lowerDirs(rec.imageChainId) : [];
    return changes(this.d.store.paths(rec.id).upper, [this.d.store.paths(rec.id).init, ...lowers]);
  }

  /** `GET /containers/{id}/export`: the whole filesystem as a tar. */
  async export(idOrName: string): Promise<Readable> {
    const rec = this.d.store.resolve(idOrName);
    const paths = this.d.store.paths(rec.id);
    const wasMounted = isMounted(paths.rootfs);
    // A remapped container's rootfs is seen through its idmapped layers, then mapped back.
    if (!wasMounted) await mountRootfs(this.d.snapshots, rec.imageChainId, paths, rec.idMappings && this.d.idRemap ? { usernsFd: this.d.idRemap.usernsFd } : undefined);
    const tar = this.d.snapshots.diffTar(paths.rootfs, unshiftIds(rec.idMappings));
    tar.once('close', () => { if (!wasMounted && this.d.store.get(rec.id)?.state.status !== 'running') unmountRootfs(paths.rootfs); });
    this.d.events.publish('container', 'export', rec.id, eventAttributes(rec));
    return tar;
  }

  /** `POST /commit`. */
  /** `created` and `clampMtimeSec` fix the dates of a reproducible build's step (SOURCE_DATE_EPOCH). */
  async commit(idOrName: string, o: { repo?: string; tag?: string; comment?: string; author?: string; changes: string[]; pause: boolean; config?: Record<string, unknown>; created?: string; clampMtimeSec?: number }): Promise<string> {
    const rec = this.d.store.resolve(idOrName);
    // As dockerd: only a running container is paused, and a pause refused because it has
    // just stopped commits it as it is. One never started has no upper dir yet: an empty diff.
    const paused = o.pause && rec.state.status === 'running'
      && await this.lifecycle.pause(rec.id, { forCommit: true }).then(() => true, (err: unknown) => { if (err instanceof ConflictError) return false; throw err; });
    await mkdirAll(this.d.store.paths(rec.id).upper, 0o755);
    try {
      const id = await this.d.images.lock.run('images', () => commit(
        { content: this.d.content, snapshots: this.d.snapshots, store: this.d.images },
        {
          diff: () => this.d.snapshots.diffTar(this.d.store.paths(rec.id).upper, unshiftIds(rec.idMappings), o.clampMtimeSec === undefined ? undefined : { clampMtimeSec: o.clampMtimeSec }),
          ...(o.created ? { created: o.created } : {}),
          imageId: rec.imageId,
          containerConfig: { ...stripForImage(rec.config), ...(o.config ?? {}) } as Record<string, unknown>,
          changes: o.changes,
          comment: o.comment ?? '',
          author: o.author ?? '',
          createdBy: [rec.path, ...rec.args].join(' '),
        },
      ));
      if (o.repo) {
        const ref = withDefaultTag(parseRepositoryTag(o.repo, o.tag || undefined));
        await this.d.images.tag(ref, id);
      }
      this.d.events.publish('container', 'commit', rec.id, { ...eventAttributes(rec), comment: o.comment ?? '', imageID: id, imageRef: o.repo ?? '' });
      return id;
    } finally {
      // Stopped or unpaused by someone meanwhile: nothing left to undo.
      if (paused) await this.lifecycle.unpause(rec.id).catch((err: unknown) => { if (!(err instanceof ConflictError)) throw err; });
    }
  }

  /** `POST /containers/{id}/update`: resources and the restart policy. */
  async update(idOrName: string, body: unknown): Promise<{ Warnings: string[] }> {
    const { id } = this.d.store.resolve(idOrName);
    const { hostConfig } = decodeCreateBody({ Image: 'x', HostConfig: body ?? {} });
    return this.d.store.withLock(id, async () => {
      const cur = this.d.store.resolve(id);
      const next: HostConfig = { ...cur.hostConfig };
      for (const [k, v] of Object.entries(hostConfig)) if (v !== undefined && k !== 'RestartPolicy') (next as Record<string, unknown>)[k] = v;
      if (hostConfig.RestartPolicy?.Name) next.RestartPolicy = hostConfig.RestartPolicy;
      const warnings = validateCreate(cur.config, next, this.d.runtimeNames, this.d.sysInfo, { isUpdate: true, hasNetwork: networkExists(this.d.networks) });
      if (next.AutoRemove && next.RestartPolicy?.Name && next.RestartPolicy.Name !== 'no') throw new InvalidArgumentError(`Restart policy cannot be updated because AutoRemove is enabled for the container`);
      if (cur.state.status === 'running' || cur.state.status === 'paused') {
        await this.d.driver.update(cur.id, cur.runtime, resourcesFor({ ...cur, hostConfig: next }, this.bundle));
      }
      const updated = await this.d.store.update(id, (c) => ({ ...c, hostConfig: next }), { durable: true });
      this.d.events.publish('container', 'update', id, eventAttributes(updated));
      return { Warnings: warnings };
    });
  }

  async resize(idOrName: string, height: number, width: number): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    if (rec.state.status !== 'running') throw new ConflictError(`container ${rec.id} is not running`);
    await resize(monitorPaths(this.d.store.paths(rec.id).run).ctlPath, height, width);
  }

  /**
   * `system df`'s containers (ADR 0022): SizeRw is what the container's directory occupies as
   * `du -sb` counts it (writable layer, logs, bundle), so the figures add up to the data-root.
   */
  async diskUsage(): Promise<Array<Record<string, unknown>>> {
    const list = await this.list({ all: true, filters: new Map(), size: true });
    for (const c of list) {
      const rec = this.d.store.get(c.Id as string);
      if (rec) c.SizeRw = await this.diskBytes(rec);
    }
    return list;
  }

  /** A container's directory as `du -sb` counts it, a mounted rootfs not entered. */
  private async diskBytes(rec: ContainerRecord): Promise<number> {
    const p = this.d.store.paths(rec.id);
    return diskUsage(p.dir, { skipContentsOf: [p.rootfs] });
  }

  private async sizes(rec: ContainerRecord): Promise<{ sizeRw: number; sizeRootFs: number }> {
    const sizeRw = await duBytes(this.d.store.paths(rec.id).upper);
    let image = 0;
    const img = this.d.images.get(rec.imageId);
    if (img) for (const c of chainIds(img)) image += (await this.d.snapshots.stat(c).catch(() => ({ sizeBytes: 0 }))).sizeBytes;
    return { sizeRw, sizeRootFs: sizeRw + image };
  }
}

function normalizeHostConfig(h: HostConfig, defaultRuntime: string): HostConfig {
  const out: HostConfig = { ...h };
  if (!out.NetworkMode) out.NetworkMode = 'default';
  if (!out.RestartPolicy) out.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
  if (!out.RestartPolicy.Name) out.RestartPolicy = { ...out.RestartPolicy, Name: 'no' };
  out.LogConfig = { Type: out.LogConfig?.Type || 'json-file', Config: out.LogConfig?.Config ?? {} };
  if (!out.Runtime) out.Runtime = defaultRuntime;
  if (!out.ShmSize) out.ShmSize = 64 * 1024 * 1024;
  if (!out.IpcMode) out.IpcMode = 'private';
  if (!out.CgroupnsMode) out.CgroupnsMode = 'host';
  return out;
}


/** The part of a container's Config an image keeps (no host names or attach flags). */
function stripForImage(c: ContainerConfig): ContainerConfig {
  const { Hostname: _h, Domainname: _d, AttachStdin: _a, AttachStdout: _b, AttachStderr: _c, Tty: _t, OpenStdin: _o, StdinOnce: _s, Image: _i, ...rest } = c;
  return rest;
}

/** The host's architecture in OCI terms (amd64, arm64, …). */
function hostArch(): string {
  const a = process.arch;
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}
