import { randomUUID } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApi } from '../api/index.js';
import type { Config } from '../config/index.js';
import { EventBus } from '../events/index.js';
import { ContentStore, ImageArchive, ImageService, ImageStore } from '../image/index.js';
import { SnapshotStore } from '../snapshot/index.js';
import { storePaths, writeFileAtomic } from '../store/index.js';
import { readHostFacts, SystemService } from '../system/index.js';
import { tryLockFile, unlockFile } from '../sys/index.js';
import type { Logger } from '../util/index.js';
import { isErrno } from '../errors/index.js';

export interface RunningDaemon {
  /** Stops listening, waits for requests in flight, releases the data-root. */
  close(): Promise<void>;
  sockets: string[];
}

export class DaemonStartError extends Error {}

/** Wires every service over one data-root and serves the API on the configured sockets. */
export async function startDaemon(config: Readonly<Config>, logger: Logger): Promise<RunningDaemon> {
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
    const snapshots = new SnapshotStore({ root: paths.snapshots, logger: logger.child({ component: 'snapshot' }) });
    await snapshots.init();
    const store = new ImageStore(paths.images, content, logger.child({ component: 'image' }));
    await store.init();
    const images = new ImageService({ store, content, snapshots, events, logger, snapshotRoot: paths.snapshots });
    const archive = new ImageArchive({ store, content, snapshots, events, logger, tmpDir: paths.tmp });
    const host = await readHostFacts(paths.dataRoot, config.runtimes, config.initPath);
    const system = new SystemService(config, host, engineId, () => ({
      images: store.list().length, containers: 0, running: 0, paused: 0, stopped: 0, eventListeners: events.listenerCount(),
    }));
    const df = async ({ types }: { types: string[] }) => {
      const want = (t: string) => types.length === 0 || types.includes(t);
      const usage = want('image') ? await images.usage() : undefined;
      return {
        LayersSize: usage?.layersSize ?? 0,
        Images: usage ? usage.images : [],
        Containers: want('container') ? [] : [],
        Volumes: want('volume') ? [] : [],
        BuildCache: want('build-cache') ? [] : [],
      };
    };
    const newServer = createApi({ system, events, df, images, archive }, logger);
    const sockets: string[] = [];
    const servers: Server[] = [];
    for (const host of config.hosts) {
      const sock = host.slice('unix://'.length);
      const server = newServer();
      await listenUnix(server, sock, config.group, logger);
      servers.push(server);
      sockets.push(sock);
      undo.push(() => fsp.rm(sock, { force: true }));
    }
    await writeFileAtomic(config.pidfile, `${process.pid}`);
    undo.push(() => fsp.rm(config.pidfile, { force: true }));
    logger.info({ component: 'daemon', dataRoot: paths.dataRoot, sockets, images: store.list().length }, 'berthd is ready');
    let closing: Promise<void> | undefined;
    return {
      sockets,
      close: () => (closing ??= (async () => {
        await Promise.all(servers.map((server) => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); })));
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

/**
 * Listens on a UNIX socket, mode 0660 and group `group` when that group exists, as dockerd
 * does: never world-writable, since the socket is root on the host. A stale socket file of a
 * dead daemon is replaced; the data-root lock already proved no berthd of ours holds it.
 */
async function listenUnix(server: Server, sock: string, group: string, logger: Logger): Promise<void> {
  await fsp.mkdir(path.dirname(sock), { recursive: true });
  await fsp.rm(sock, { force: true });
  const oldMask = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  await fsp.chmod(sock, 0o660);
  const gid = groupId(group);
  if (gid !== undefined) await fsp.chown(sock, 0, gid);
  else logger.debug({ component: 'daemon', group }, 'socket group does not exist; socket stays root:root 0660');
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name && gid) return Number(gid);
    }
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
  return undefined;
}
