import { existsSync, promises as fsp, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { tmpfsMount } from '../runtime/spec/tmpfs.js';
import { resolveWithin } from '../store/index.js';
import type { ContainerConfig, HostConfig, OciMount } from '../types/container.js';
import { exec, type Logger } from '../util/index.js';
import { LOCAL_DRIVER, type VolumeService } from '../volume/index.js';
import { mountPointOf, parseBind, parseVolumesFrom, validateMountSpec, type MountPoint } from './mounts.js';
import type { ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';
import { chownToRoot, type ContainerIdMappings } from './userns.js';

export interface ContainerVolumesDeps {
  volumes: VolumeService;
  store: ContainerStore;
  events: EventBus;
  logger: Logger;
}

/**
 * What containers do with volumes, binds and tmpfs mounts (moby daemon/volumes.go): the mount
 * points decided at create, the image's content copied into new volumes, the OCI mounts made
 * at each start and released at each stop, and anonymous volumes removed with the container.
 */
export class ContainerVolumes {
  constructor(private readonly d: ContainerVolumesDeps) {}

  /** The create-time checks that need no volume made yet (a 400 before anything exists). */
  validate(hc: HostConfig): void {
    for (const m of hc.Mounts ?? []) validateMountSpec(m, { bindSourceMustExist: true, exists: existsSync });
  }

  /**
   * moby `registerMountPoints` then the image's VOLUMEs: volumes-from first, then binds, then
   * `--mount`, then an anonymous volume for each declared volume path not mounted otherwise.
   * Volumes are created as needed; `created` collects the names this call made, for undo.
   */
  async plan(containerId: string, config: ContainerConfig, hc: HostConfig, created: string[]): Promise<MountPoint[]> {
    const points = new Map<string, MountPoint>();
    for (const spec of hc.VolumesFrom ?? []) {
      const { container, mode } = parseVolumesFrom(spec);
      let peer: ContainerRecord;
      try {
        peer = this.d.store.resolve(container);
      } catch (err) {
        // A 400, as dockerd: a 404 from create makes the docker CLI try to pull the image.
        if (err instanceof NotFoundError) throw new InvalidArgumentError(err.message, { cause: err });
        throw err;
      }
      const isRw = !mode.split(',').includes('ro');
      for (const m of peer.mountPoints ?? []) {
        points.set(m.Destination, { ...m, RW: m.RW && isRw, CopyData: false });
      }
    }
    const explicit = new Set<string>();
    const tmpfs = hc.Tmpfs ?? {};
    for (const raw of hc.Binds ?? []) {
      const mp = parseBind(raw, hc.VolumeDriver ?? '');
      if (explicit.has(mp.Destination) || Object.hasOwn(tmpfs, mp.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${mp.Destination}`);
      if (mp.Type === 'volume') await this.attachVolume(mp, {}, created);
      explicit.add(mp.Destination);
      points.set(mp.Destination, mp);
    }
    for (const m of hc.Mounts ?? []) {
      const mp = mountPointOf(m);
      if (explicit.has(mp.Destination)) throw new InvalidArgumentError(`Duplicate mount point: ${m.Target}`);
      if (mp.Type === 'volume') {
        await this.attachVolume(mp, { opts: m.VolumeOptions?.DriverConfig?.Options ?? null, labels: m.VolumeOptions?.Labels ?? null }, created);
      }
      explicit.add(mp.Destination);
      points.set(mp.Destination, mp);
    }
    for (const dest of Object.keys(config.Volumes ?? {})) {
      const destination = path.posix.normalize(dest).replace(/(.)\/$/, '$1');
      if (!path.posix.isAbsolute(destination)) throw new InvalidArgumentError(`invalid mount config for type "volume": invalid mount path: '${dest}' mount path must be absolute`);
      if (points.has(destination)) continue;
      const mp: MountPoint = { Type: 'volume', Source: '', Destination: destination, Mode: '', RW: true, Propagation: '', CopyData: true, isAnonymous: true, fromConfig: true };
      await this.attachVolume(mp, {}, created);
      points.set(destination, mp);
    }
    void containerId;
    return [...points.values()].sort((a, b) => a.Destination.localeCompare(b.Destination));
  }

  /** Creates (or finds) the volume a mount point names, filling in its name, source and driver. */
  private async attachVolume(mp: MountPoint, o: { opts?: Record<string, string> | null; labels?: Record<string, string> | null }, created: string[]): Promise<void> {
    const existed = mp.Name !== undefined && this.d.volumes.has(mp.Name);
    const v = await this.d.volumes.create({ Name: mp.Name ?? '', Driver: mp.Driver ?? '', DriverOpts: o.opts ?? null, Labels: o.labels ?? null }, { isAnonymous: mp.isAnonymous === true });
    if (!existed) created.push(v.Name);
    mp.Name = v.Name;
    mp.Source = v.Mountpoint;
    mp.Driver = v.Driver;
    // moby setBindModeIfNull: a local volume named in -v or --mount without a mode shows "z";
    // the anonymous ones made for the image's VOLUMEs keep "".
    if (v.Driver === LOCAL_DRIVER && mp.Mode === '' && !mp.fromConfig) mp.Mode = 'z';
  }

  /** Volumes made for a remapped container belong to its root (dockerd makes them so). */
  async chownNew(names: readonly string[], m: ContainerIdMappings): Promise<void> {
    for (const n of names) await chownToRoot(m, this.d.volumes.mountpoint(n));
  }

  /** Volumes a failed create made are removed again. */
  async undoCreated(names: readonly string[]): Promise<void> {
    for (const n of names) await this.d.volumes.remove(n, { force: true }).catch((err: unknown) => this.d.logger.warn({ component: 'volume', volume: n, err }, 'undo of a volume made for a failed create'));
  }

  /** Whether the create needs the rootfs mounted to copy image content into volumes. */
  needsPopulate(points: readonly MountPoint[]): boolean {
    return points.some((m) => m.Type === 'volume' && m.CopyData);
  }

  /**
   * moby `populateVolumes`/`copyExistingContents`: a volume that is still empty gets what the
   * image has at its destination (owners, modes, times, links, xattrs), and the directory's own
   * owner and mode. A volume with anything in it is left as it is. `rootfs` is mounted.
   */
  async populate(containerId: string, rootfs: string, points: readonly MountPoint[]): Promise<void> {
    for (const mp of points) {
      if (mp.Type !== 'volume' || !mp.CopyData || !mp.Name) continue;
      const src = resolveWithin(rootfs, mp.Destination);
      let st;
      try { st = statSync(src); } catch { continue; }
      if (!st.isDirectory()) {
        if (mp.fromConfig) throw new InvalidArgumentError(`cannot mount volume over existing file, file exists ${src}`);
        continue;
      }
      const holder = `populate-${containerId}`;
      const dst = await this.d.volumes.acquire(mp.Name, holder);
      try {
        const target = mp.subpath ? resolveWithin(dst, mp.subpath) : dst;
        if (!existsSync(target) || readdirSync(target).length > 0) continue;
        await exec('cp', ['-a', '--no-target-directory', '--', `${src}/.`, target], { timeoutMs: 10 * 60_000 });
      } finally {
        await this.d.volumes.release(mp.Name, holder);
      }
    }
  }

  /**
   * The OCI mounts for a start, volumes acquired (their filesystems mounted when they have one)
   * and `mount` events sent. On failure whatever was acquired is released again.
   */
  async acquire(rec: ContainerRecord): Promise<{ mounts: OciMount[]; rootfsPropagation?: string }> {
    const mounts: OciMount[] = [];
    const held: string[] = [];
    let rootfsPropagation: string | undefined;
    try {
      for (const mp of rec.mountPoints ?? []) {
        if (mp.Type === 'tmpfs') {
          mounts.push(tmpfsMount(mp.Destination, mp.tmpfsData ?? ''));
          continue;
        }
        let source = mp.Source;
        if (mp.Type === 'volume') {
          if (!this.d.volumes.has(mp.Name!)) throw new NotFoundError(`get ${mp.Name}: no such volume`);
          source = await this.d.volumes.acquire(mp.Name!, rec.id);
          held.push(mp.Name!);
          if (mp.subpath) {
            source = resolveWithin(source, mp.subpath);
            if (!existsSync(source)) throw new InvalidArgumentError(`cannot access path ${source}: lstat ${source}: no such file or directory`);
          }
        } else if (!existsSync(source)) {
          if (!mp.createSource) throw new InvalidArgumentError(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
          await fsp.mkdir(source, { recursive: true, mode: 0o755 });
        }
        const options = [mp.nonRecursive ? 'bind' : 'rbind'];
        if (!mp.RW) options.push('ro');
        if (mp.Type === 'bind' && mp.Propagation) {
          options.push(mp.Propagation);
          if (mp.Propagation === 'shared' || mp.Propagation === 'rshared') {
            ensurePropagation(source, ['shared'], 'a shared');
            rootfsPropagation = 'rshared';
          } else if (mp.Propagation === 'slave' || mp.Propagation === 'rslave') {
            ensurePropagation(source, ['shared', 'master'], 'a shared or slave');
            rootfsPropagation ??= 'rslave';
          }
        }
        mounts.push({ destination: mp.Destination, type: 'bind', source, options });
      }
    } catch (err) {
      for (const name of held) await this.d.volumes.release(name, rec.id).catch(() => undefined);
      throw err;
    }
    return { mounts, ...(rootfsPropagation ? { rootfsPropagation } : {}) };
  }

  /** After a successful start: Docker's `mount` event for each volume. */
  announce(rec: ContainerRecord): void {
    for (const mp of rec.mountPoints ?? []) {
      if (mp.Type !== 'volume') continue;
      this.d.events.publish('volume', 'mount', mp.Name!, { container: rec.id, destination: mp.Destination, driver: mp.Driver ?? LOCAL_DRIVER, propagation: mp.Propagation, 'read/write': String(mp.RW) });
    }
  }

  /** The container stopped: its volumes are released and `unmount` events sent. */
  async release(rec: ContainerRecord): Promise<void> {
    for (const mp of rec.mountPoints ?? []) {
      if (mp.Type !== 'volume' || !mp.Name) continue;
      const wasHeld = await this.d.volumes.release(mp.Name, rec.id).catch((err: unknown) => {
        this.d.logger.warn({ component: 'volume', volume: mp.Name, err }, 'release failed');
        return true;
      });
      if (wasHeld) this.d.events.publish('volume', 'unmount', mp.Name, { container: rec.id, driver: mp.Driver ?? LOCAL_DRIVER });
    }
  }

  /** A running container re-adopted after a daemon restart holds its volumes again. */
  adopt(rec: ContainerRecord): void {
    for (const mp of rec.mountPoints ?? []) if (mp.Type === 'volume' && mp.Name) this.d.volumes.adopt(mp.Name, rec.id);
  }

  /** `rm -v` / `--rm`: the container's anonymous volumes go too, unless another container uses them. */
  async removeAnonymous(rec: ContainerRecord): Promise<void> {
    for (const mp of rec.mountPoints ?? []) {
      if (mp.Type !== 'volume' || !mp.isAnonymous || !mp.Name) continue;
      await this.d.volumes.remove(mp.Name, { force: true }).catch((err: unknown) => {
        if (!(err instanceof ConflictError)) this.d.logger.warn({ component: 'volume', volume: mp.Name, err }, 'removing an anonymous volume failed');
      });
    }
  }

  /** The container's volumes and binds as `docker cp` sees them (tmpfs mounts live only in the container). */
  copyMounts(rec: ContainerRecord): Array<{ destination: string; source: string; readonly: boolean }> {
    const out: Array<{ destination: string; source: string; readonly: boolean }> = [];
    for (const mp of rec.mountPoints ?? []) {
      if (mp.Type === 'tmpfs') continue;
      let source = mp.Type === 'volume' && mp.Name ? this.d.volumes.mountpoint(mp.Name) : mp.Source;
      if (mp.Type === 'volume' && mp.subpath) source = resolveWithin(source, mp.subpath);
      out.push({ destination: mp.Destination, source, readonly: !mp.RW });
    }
    return out;
  }
}

/**
 * moby ensureShared/ensureSharedOrSlave: shared or slave propagation needs the source's mount to
 * propagate that way already; Docker refuses rather than changing the host's mounts.
 */
function ensurePropagation(source: string, want: readonly string[], what: string): void {
  const entries = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    const sep = f.indexOf('-');
    return { mountpoint: f[4]!.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), optional: f.slice(6, sep) };
  });
  let best: (typeof entries)[number] | undefined;
  for (const e of entries) {
    const isUnder = source === e.mountpoint || source.startsWith(e.mountpoint.endsWith('/') ? e.mountpoint : `${e.mountpoint}/`);
    if (isUnder && (!best || e.mountpoint.length >= best.mountpoint.length)) best = e;
  }
  if (!best) return;
  if (!best.optional.some((o) => want.some((w) => o.startsWith(`${w}:`)))) {
    throw new InvalidArgumentError(`path ${source} is mounted on ${best.mountpoint} but it is not ${what} mount`);
  }
}
