import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors/index.js';
import { mount, MS_NODEV, MS_NOEXEC, MS_NOSUID, unmount } from '../../sys/index.js';
import { createNetns, removeNetns } from '../netns.js';
import type { ContainerRecord } from '../record.js';
import { isMounted } from '../rootfs.js';
import type { ContainerStore } from '../store.js';
import type { Preparer, StartContext } from './types.js';

type PeerKind = 'network' | 'ipc' | 'pid';

/**
 * The namespaces a run joins or makes: a peer container's (`container:<id>` network, IPC and
 * PID modes, with moby's checks and words), the container's own network namespace (made by
 * berthd with loopback up, so networks can be plugged in before the process runs; for `none`
 * and for a remapped container it is made by runc),
 * and /dev/shm for the IPC modes other than private.
 */
export function namespacesPreparer(d: { store: ContainerStore }): Preparer {
  return {
    name: 'namespaces',
    async prepare(ctx: StartContext) {
      const { rec } = ctx;
      const mode = rec.hostConfig.NetworkMode || 'default';
      joinPeer(d.store, ctx, mode, 'network');
      const ipcPeer = joinPeer(d.store, ctx, rec.hostConfig.IpcMode, 'ipc');
      joinPeer(d.store, ctx, rec.hostConfig.PidMode, 'pid');
      const shmPath = await prepareShm(d.store, rec, ipcPeer);
      if (shmPath) ctx.shmPath = shmPath;
      if (mode === 'host') { ctx.networkMode = 'host'; return; }
      if (mode.startsWith('container:')) { ctx.networkMode = 'container'; ctx.netnsPath = ctx.peer.network; return; }
      ctx.networkMode = mode === 'none' ? 'none' : 'default';
      // `none` is never connected to a network later (moby refuses it): runc makes its
      // namespace and brings loopback up itself, which saves berthd two processes per start.
      if (rec.idMappings || mode === 'none') return;
      const netnsPath = path.join(ctx.paths.run, 'netns');
      await createNetns(netnsPath);
      ctx.netnsPath = netnsPath;
    },
    async release(_rec, paths) {
      const shm = shmDirOf(paths.dir);
      if (isMounted(shm)) unmount(shm, true);
      await removeNetns(path.join(paths.run, 'netns'));
    },
  };
}

/** moby getNetworkedContainer / getIPCContainer / getPIDContainer, with their messages. */
function joinPeer(store: ContainerStore, ctx: StartContext, m: string | undefined, kind: PeerKind): ContainerRecord | undefined {
  if (!m?.startsWith('container:')) return undefined;
  const name = m.slice('container:'.length);
  let peer: ContainerRecord;
  try {
    peer = store.resolve(name);
  } catch (err) {
    if (err instanceof NotFoundError && kind !== 'network') throw new InvalidArgumentError(err.message, { cause: err });
    throw err;
  }
  if (peer.id === ctx.rec.id) throw new InvalidArgumentError(`cannot join own ${kind === 'network' ? 'network' : kind === 'ipc' ? 'IPC namespace' : 'PID namespace'}`);
  if (peer.state.status === 'restarting') throw new ConflictError(`Container ${name} is restarting, wait until the container is running`);
  if (peer.state.status !== 'running' && peer.state.status !== 'paused') {
    throw new ConflictError(kind === 'network' ? `cannot join network of a non running container: ${name}` : `container ${name} is not running`);
  }
  ctx.peer[kind] = `/proc/${peer.state.pid}/ns/${kind === 'network' ? 'net' : kind}`;
  return peer;
}

/**
 * /dev/shm for IPC modes other than private (moby `setupIpcDirs`): a shareable container gets
 * a tmpfs of its own under its directory, which `container:` joiners mount too; `host` uses
 * the host's /dev/shm. A donor whose IPC was not made shareable is refused.
 */
async function prepareShm(store: ContainerStore, rec: ContainerRecord, ipcPeer: ContainerRecord | undefined): Promise<string | undefined> {
  const mode = rec.hostConfig.IpcMode || 'private';
  if (mode === 'host') return '/dev/shm';
  if (ipcPeer) {
    const donorShm = shmDirOf(store.paths(ipcPeer.id).dir);
    if (!isMounted(donorShm)) {
      throw new InvalidArgumentError(`container ${mode.slice('container:'.length)}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    }
    return donorShm;
  }
  if (mode !== 'shareable') return undefined;
  const dir = shmDirOf(store.paths(rec.id).dir);
  if (!isMounted(dir)) {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    mount('shm', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${rec.hostConfig.ShmSize || 64 * 1024 * 1024}`);
  }
  return dir;
}

/** A shareable container's /dev/shm (moby keeps it at `containers/<id>/mounts/shm`). */
function shmDirOf(containerDir: string): string {
  return path.join(containerDir, 'mounts', 'shm');
}
