import type { EndpointSettings } from '../types/container.js';
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { EventBus } from '../events/index.js';
import { ContentStore, ImageArchive, ImageService, ImageStore, compactLegacyLayers } from '../image/index.js';
import { SnapshotStore } from '../snapshot/index.js';
import { storePaths, writeFileAtomic } from '../store/index.js';
import { readHostFacts, SystemService } from '../system/index.js';
import { tryLockFile, unlockFile } from '../sys/index.js';
import { probeSysInfo } from '../sysinfo/index.js';
import type { Logger } from '../util/index.js';
import { isErrno } from '../errors/index.js';
import os from 'node:os';
import { ContainerService, ContainerStore, validateLogConfig } from '../container/index.js';
import { RegistryService } from '../registry/index.js';
import { detectCgroupLayout } from '../runtime/cgroups/index.js';
import { ConmonDriver, ExitWatcher, type ExitEvent } from '../runtime/driver/index.js';
import { VolumeService } from '../volume/index.js';
import { NetworkService, enableIPv4Forwarding } from '../network/index.js';
import { BuildCache, BuildService } from '../build/index.js';
import { openRemap, type Remap } from './userns.js';

/** Every service the API serves, built over one data-root. */
export interface Services {
  system: SystemService;
  events: EventBus;
  df: (opts: { types: string[] }) => Promise<Record<string, unknown>>;
  images: ImageService;
  archive: ImageArchive;
  containers: ContainerService;
  volumes: VolumeService;
  networks: NetworkService;
  registry: RegistryService;
  builder: BuildService;
  buildCache: BuildCache;
  /** The API's NetworkConnector: `network connect`/`disconnect` are the container side's. */
  networkConnector: {
    connect(container: string, network: string, endpoint: EndpointSettings | null): Promise<void>;
    disconnect(container: string, network: string, force: boolean): Promise<void>;
  };
}

export interface RunningDaemon {
  services: Services;
  /** Stops background work and releases the data-root (after the API stopped listening). */
  close(): Promise<void>;
}

export class DaemonStartError extends Error {}

/** Wires every service over one data-root: locks it, restores containers, watches exits. */
export async function startDaemon(config: Readonly<Config>, logger: Logger): Promise<RunningDaemon> {
  try {
    validateLogConfig(config.logDriver, config.logOpts);
  } catch (err) {
    throw new DaemonStartError(`failed to set log opts: ${(err as Error).message}`);
  }
  const paths = storePaths(config.dataRoot, config.execRoot);
  await fsp.mkdir(paths.dataRoot, { recursive: true, mode: 0o711 });
  await fsp.mkdir(paths.execRoot, { recursive: true, mode: 0o700 });
  let lockFd: number;
  try {
    lockFd = tryLockFile(paths.lockFile);
  } catch (err) {
    if (isErrno(err, 'EWOULDBLOCK') || isErrno(err, 'EAGAIN')) {
      throw new DaemonStartError(`another berthd is already running with data-root ${paths.dataRoot} (it holds ${paths.lockFile})`);
    }
    throw err;
  }
  const undo: Array<() => Promise<void> | void> = [() => unlockFile(lockFd)];
  try {
    await fsp.rm(paths.tmp, { recursive: true, force: true });
    await fsp.mkdir(paths.tmp, { recursive: true, mode: 0o700 });
    const engineId = await readEngineId(path.join(paths.dataRoot, 'engine-id'));
    const events = new EventBus();
    const content = new ContentStore(paths.blobs, paths.ingest);
    await content.init();
    const snapshots = new SnapshotStore({ root: paths.snapshots, logger: logger });
    await snapshots.init();
    const store = new ImageStore(paths.images, content, logger);
    await store.init();
    // Made first (its records are read further down): images and volumes ask it who uses them.
    const containerStore = new ContainerStore(paths.containers, paths.execRoot, logger);
    const images = new ImageService({ store, content, snapshots, events, logger, snapshotRoot: paths.snapshots, users: (id) => containerStore.imageUsers(id) });
    // Layers kept uncompressed by ADR 0003's layout are rewritten as gzip in the background
    // (ADR 0022); images stay usable meanwhile. Shutdown stops it between layers.
    const compaction = new AbortController();
    const compacting = compactLegacyLayers({ content, store, logger }, compaction.signal)
      .catch((err: unknown) => { logger.warn({ component: 'image', err }, 'rewriting uncompressed layer blobs stopped; the rest stay as they are'); });
    undo.push(async () => { compaction.abort(); await compacting; });
    const archive = new ImageArchive({ store, content, snapshots, events, logger, tmpDir: paths.tmp });
    const registry = new RegistryService({
      content, snapshots, store, events, logger, tmpDir: paths.tmp,
      metadataDir: path.join(paths.dataRoot, 'distribution'),
      hosts: { registryMirrors: config.registryMirrors, insecureRegistries: config.insecureRegistries, certsDir: config.certsDir },
      maxConcurrentDownloads: config.maxConcurrentDownloads, maxConcurrentUploads: config.maxConcurrentUploads,
    });
    await registry.init();
    const host = await readHostFacts(paths.dataRoot, config.runtimes, config.initPath);
    if (config.ipForward) {
      try {
        if (enableIPv4Forwarding()) logger.info({ component: 'network' }, 'IPv4 forwarding turned on (daemon.json "ip-forward": false leaves it as it is)');
      } catch (err) {
        logger.warn({ component: 'network', err }, 'could not turn on IPv4 forwarding');
      }
    }
    const sysInfo = probeSysInfo();
    for (const w of sysInfo.warnings) logger.warn({ component: 'daemon' }, w);
    let remap: Remap | undefined;
    if (config.usernsRemap) {
      try {
        remap = await openRemap(config.usernsRemap, { subuid: config.subuidFile, subgid: config.subgidFile });
      } catch (err) {
        throw new DaemonStartError((err as Error).message);
      }
      const opened = remap;
      undo.push(() => opened.userns.close());
      checkRemappedRootAccess(paths.dataRoot, remap.uidMappings[0]!.hostID, remap.gidMappings[0]!.hostID);
      logger.info({ component: 'daemon', uidMappings: remap.uidMappings, gidMappings: remap.gidMappings }, 'userns-remap: containers run in user namespaces');
    }
    if (remap) {
      // The remapped root reaches container directories through their group (as dockerd's
      // root:remapped-root 0710), not through permissions for everyone.
      await fsp.mkdir(paths.containers, { recursive: true, mode: 0o710 });
      await fsp.chown(paths.containers, 0, remap.gidMappings[0]!.hostID);
      await fsp.chmod(paths.containers, 0o710);
    }
    const volumes = new VolumeService({ root: paths.volumes, events, logger, users: (name) => containerStore.volumeUsers(name) });
    await volumes.init();
    const networks = new NetworkService({
      root: path.join(paths.dataRoot, 'networks'), configDir: path.join(paths.execRoot, 'netavark'), events, logger,
      defaultAddressPools: config.defaultAddressPools, bip: config.bip, defaultBridgeName: config.bridge,
    });
    await networks.init();
    undo.push(() => networks.close());
    await containerStore.init();
    const exitDir = path.join(paths.execRoot, 'exits');
    const runtimes = Object.fromEntries(Object.entries(config.runtimes).map(([name, r]) => [name, { name, path: lookPath(r.path), runtimeArgs: r.runtimeArgs, root: path.join(paths.execRoot, 'runtime', name) }]));
    const driver = new ConmonDriver({ runtimes, exitDir, logger: logger });
    const containers = new ContainerService({
      store: containerStore, images: store, content, snapshots, driver, events, logger: logger, volumes, networks,
      cgroups: detectCgroupLayout(), exitDir, initPath: config.initPath, kernelRelease: os.release(),
      runtimeNames: Object.keys(config.runtimes), defaultRuntime: config.defaultRuntime,
      defaultLogConfig: { type: config.logDriver, opts: config.logOpts }, sysInfo,
      ...(remap ? { idRemap: { uidMappings: remap.uidMappings, gidMappings: remap.gidMappings, usernsFd: remap.userns.fd } } : {}),
    });
    const exits = new ExitWatcher({ dir: exitDir, logger: logger });
    exits.on('exit', (e: ExitEvent) => {
      containers.handleExit(e.id, e.exitCode, e.finishedAt).catch((err: unknown) => logger.error({ component: 'container', containerId: e.id, err }, 'recording an exit failed'));
    });
    await exits.start();
    undo.push(() => exits.stop());
    undo.push(() => containers.close());
    await containers.restoreAll((id, err) => logger.error({ component: 'container', containerId: id, err }, 'restore failed'));
    const buildCache = new BuildCache({ dir: path.join(config.dataRoot, 'builder', 'cache'), store, content, snapshots, images, logger });
    const builder = new BuildService({ containers, images, store, content, snapshots, logger, cache: buildCache, registry, tmpDir: paths.tmp });
    const countStates = () => {
      const all = containerStore.list();
      const running = all.filter((c) => c.state.status === 'running' || c.state.status === 'restarting').length;
      const paused = all.filter((c) => c.state.status === 'paused').length;
      return { containers: all.length, running, paused, stopped: all.length - running - paused };
    };
    const system = new SystemService(config, host, sysInfo, engineId, () => ({
      images: store.list().length, ...countStates(), eventListeners: events.listenerCount(),
    }));
    const df = async ({ types }: { types: string[] }) => {
      const want = (t: string) => types.length === 0 || types.includes(t);
      const usage = want('image') ? await images.usage() : undefined;
      return {
        LayersSize: usage?.layersSize ?? 0,
        Images: usage ? usage.images : [],
        Containers: want('container') ? await containers.diskUsage() : [],
        Volumes: want('volume') ? await volumes.usage() : [],
        BuildCache: want('build-cache') ? await buildCache.usage() : [],
      };
    };
    await writeFileAtomic(config.pidfile, `${process.pid}`);
    undo.push(() => fsp.rm(config.pidfile, { force: true }));
    let closing: Promise<void> | undefined;
    return {
      services: {
        system, events, df, images, archive, containers, volumes, networks, registry, builder, buildCache,
        networkConnector: { connect: (c, n, e) => containers.connectNetwork(c, n, e), disconnect: (c, n, f) => containers.disconnectNetwork(c, n, f) },
      },
      close: () => (closing ??= (async () => {
        for (const step of undo.reverse()) await step();
      })()),
    };
  } catch (err) {
    for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    throw err;
  }
}

async function readEngineId(file: string): Promise<string> {
  try { return (await fsp.readFile(file, 'utf8')).trim(); } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
    const id = randomUUID();
    await writeFileAtomic(file, id);
    return id;
  }
}


/** A runtime named without a path is looked up on PATH, as dockerd does; conmon needs it absolute. */
function lookPath(bin: string): string {
  if (bin.includes('/')) return path.resolve(bin);
  for (const dir of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, bin);
    if (existsSync(p)) return p;
  }
  return bin;
}

/**
 * As dockerd: every directory above the data-root must let the remapped root through, or no
 * container could start; better refused now, with dockerd's words, than at each start.
 */
function checkRemappedRootAccess(dataRoot: string, uid: number, gid: number): void {
  for (let dir = path.dirname(dataRoot); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const st = statSync(dir);
    const ok = st.uid === uid ? (st.mode & 0o100) !== 0 : st.gid === gid ? (st.mode & 0o010) !== 0 : (st.mode & 0o001) !== 0;
    if (!ok) throw new DaemonStartError(`a subdirectory in your graphroot path (${dataRoot}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
  }
}
