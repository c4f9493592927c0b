import { closeSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError, isErrno } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { resolveUser } from '../runtime/spec/user.js';
import { readTar, type SnapshotStore } from '../snapshot/index.js';
import { resolveWithin } from '../store/index.js';
import { fstatBig, ScopedRoot } from './archive-fs.js';
import { extractInto, tarResource, type OwnerMap } from './archive-tar.js';
import type { ContainerRecord } from './record.js';
import { isTooLongForLinux } from './mounts.js';
import { isMounted, mountRootfs, readInRoot, unmountRootfs } from './rootfs.js';
import type { ContainerStore } from './store.js';

/** `X-Docker-Container-Path-Stat`: a path's lstat as the Engine API shows it (mode is a Go os.FileMode). */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/**
 * A mount inside the container whose paths a copy must reach at `source` instead of the
 * rootfs (volumes and binds, once containers have them). `destination` is absolute in the
 * container.
 */
export interface CopyMount {
  destination: string;
  source: string;
  readonly: boolean;
}

export interface ArchiveDeps {
  store: ContainerStore;
  snapshots: Pick<SnapshotStore, 'lowerDirs'>;
  events: EventBus;
  attributes: (rec: ContainerRecord) => Record<string, string>;
  /** The container's mounts a copy is routed to (its volumes and binds). */
  mountsOf?: (rec: ContainerRecord) => CopyMount[];
  /** userns-remap: how a remapped container's rootfs is mounted, and its owners mapped both ways. */
  remapOf?: (rec: ContainerRecord) => { idmap: { usernsFd: number }; toContainer: OwnerMap; toHost: OwnerMap } | undefined;
}

/**
 * `GET/HEAD/PUT /containers/{id}/archive` (`docker cp`). Every path is resolved by the kernel
 * inside the container's root (ScopedRoot), never by string joining on the host. A stopped
 * container's rootfs is mounted for the copy and unmounted after, unless it started meanwhile.
 */
export class ArchiveService {
  private readonly mountUsers = new Map<string, number>();

  constructor(private readonly d: ArchiveDeps) {}

  /** `HEAD /containers/{id}/archive`. */
  async stat(idOrName: string, rawPath: string): Promise<PathStat> {
    const rec = this.d.store.resolve(idOrName);
    const abs = absPathOf(rawPath);
    return this.withRoot(rec, abs, (root, inner) => {
      try {
        return statIn(root, inner);
      } catch (err) {
        throw notFound(err, rawPath, idOrName);
      }
    });
  }

  /** `GET /containers/{id}/archive`: the stat and the tar stream of the resource. */
  async get(idOrName: string, rawPath: string, signal?: AbortSignal): Promise<{ stat: PathStat; tar: Readable }> {
    const rec = this.d.store.resolve(idOrName);
    const abs = absPathOf(rawPath);
    const release = await this.acquireRootfs(rec);
    let root: ScopedRoot | undefined;
    try {
      const { hostRoot, inner } = this.locate(rec, abs);
      root = new ScopedRoot(hostRoot);
      let stat: PathStat;
      let top: number;
      try {
        stat = statIn(root, inner);
        top = root.openPath(inner, followsFinal(inner));
      } catch (err) {
        throw notFound(err, rawPath, idOrName);
      }
      const base = goBase(abs);
      const tar = Readable.from(tarResource(top, base === '/' ? '' : base, signal, this.d.remapOf?.(rec)?.toContainer), { objectMode: false });
      const opened = root;
      tar.once('close', () => { opened.close(); release(); });
      this.d.events.publish('container', 'archive-path', rec.id, this.d.attributes(rec));
      return { stat, tar };
    } catch (err) {
      root?.close();
      release();
      throw err;
    }
  }

  /** `PUT /containers/{id}/archive`: extracts a tar into the directory at `rawPath`. */
  async put(idOrName: string, rawPath: string, body: AsyncIterable<Buffer>, o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal }): Promise<void> {
    const rec = this.d.store.resolve(idOrName);
    const abs = absPathOf(rawPath);
    await this.withRoot(rec, abs, async (root, inner, mount) => {
      let destFd: number;
      try {
        destFd = root.openPath(inner, true);
      } catch (err) {
        throw notFound(err, rawPath, idOrName);
      }
      let dest: string;
      try {
        if (!fstatBig(destFd).isDirectory()) throw new InvalidArgumentError('extraction point is not a directory');
        dest = root.containerPathOf(destFd);
      } finally {
        closeSync(destFd);
      }
      if (mount?.readonly) throw new InvalidArgumentError('mounted volume is marked read-only');
      if (!mount && rec.hostConfig.ReadonlyRootfs) throw new InvalidArgumentError('container rootfs is marked read-only');
      const chown = o.copyUIDGID ? this.containerUser(rec) : undefined;
      const remap = this.d.remapOf?.(rec);
      await extractInto(root, dest, readTar(body), { noOverwriteDirNonDir: o.noOverwriteDirNonDir, ...(chown ? { chown } : {}), ...(remap ? { mapOwner: remap.toHost } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    });
    this.d.events.publish('container', 'extract-to-dir', rec.id, this.d.attributes(rec));
  }

  /** tarCopyOptions: the container's configured user, looked up in its own passwd and group. */
  private containerUser(rec: ContainerRecord): { uid: number; gid: number } | undefined {
    if (!rec.config.User) return undefined;
    const rootfs = this.d.store.paths(rec.id).rootfs;
    const u = resolveUser(rec.config.User, readInRoot(rootfs, 'etc/passwd'), readInRoot(rootfs, 'etc/group'));
    return { uid: u.uid, gid: u.gid };
  }

  private async withRoot<T>(rec: ContainerRecord, abs: string, fn: (root: ScopedRoot, inner: string, mount: CopyMount | undefined) => T | Promise<T>): Promise<T> {
    const release = await this.acquireRootfs(rec);
    try {
      const { hostRoot, inner, mount } = this.locate(rec, abs);
      const root = new ScopedRoot(hostRoot);
      try {
        return await fn(root, inner, mount);
      } finally {
        root.close();
      }
    } finally {
      release();
    }
  }

  /**
   * The root a path is copied in: the source of the deepest mount containing it, else the
   * rootfs. Resolution then stays inside that root: a symlink under a mount point is
   * followed only within the mount.
   */
  private locate(rec: ContainerRecord, abs: string): { hostRoot: string; inner: string; mount?: CopyMount } {
    const clean = path.posix.normalize(abs);
    let best: CopyMount | undefined;
    for (const m of this.d.mountsOf?.(rec) ?? []) {
      const dst = path.posix.normalize(m.destination).replace(/\/+$/, '') || '/';
      if ((clean === dst || clean.startsWith(`${dst}/`)) && (!best || dst.length > best.destination.length)) best = { ...m, destination: dst };
    }
    if (!best) return { hostRoot: this.d.store.paths(rec.id).rootfs, inner: abs };
    const rest = abs.slice(best.destination.length);
    return { hostRoot: best.source, inner: rest.startsWith('/') ? rest : `/${rest}`, mount: best };
  }

  /** Mounts a stopped container's rootfs for the copy; the returned release unmounts it after the last copy. */
  private async acquireRootfs(rec: ContainerRecord): Promise<() => void> {
    const paths = this.d.store.paths(rec.id);
    const users = this.mountUsers.get(rec.id) ?? 0;
    if (users === 0 && isMounted(paths.rootfs)) return () => undefined;
    this.mountUsers.set(rec.id, users + 1);
    try {
      if (users === 0) await mountRootfs(this.d.snapshots, rec.imageChainId, paths, this.d.remapOf?.(rec)?.idmap);
    } catch (err) {
      this.release(rec.id);
      throw err;
    }
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.release(rec.id);
    };
  }

  private release(id: string): void {
    const left = (this.mountUsers.get(id) ?? 1) - 1;
    if (left > 0) { this.mountUsers.set(id, left); return; }
    this.mountUsers.delete(id);
    const now = this.d.store.get(id);
    // Started meanwhile: the rootfs is the running container's now.
    if (now && ['running', 'paused', 'restarting'].includes(now.state.status)) return;
    unmountRootfs(this.d.store.paths(id).rootfs);
  }
}

/** `path` made absolute and clean, with a trailing `/` or `/.` kept: they mean "follow it, it is a directory". */
export function absPathOf(rawPath: string): string {
  if (rawPath === '') throw new InvalidArgumentError('path is required');
  // A path Linux cannot hold is the client's error, said before any lookup that would name
  // the container's root on the host.
  if (isTooLongForLinux(rawPath)) throw new InvalidArgumentError(`lstat ${rawPath}: file name too long`);
  return preserveTrailingDotOrSeparator(path.posix.join('/', rawPath), rawPath);
}

/** go-archive's PreserveTrailingDotOrSeparator. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (goBase(out) !== '.' && goBase(original) === '.') {
    if (!out.endsWith('/')) out += '/';
    out += '.';
  }
  if (!out.endsWith('/') && original.endsWith('/')) out += '/';
  return out;
}

/** Go's filepath.Base: trailing slashes dropped; "/" for the root. */
export function goBase(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  if (trimmed === '') return p.startsWith('/') ? '/' : '.';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

function followsFinal(p: string): boolean {
  return p.endsWith('/') || goBase(p) === '.';
}

/** The stat of `inner` (lstat, unless it ends in `/` or `/.`); a symlink's target is resolved within the root. */
function statIn(root: ScopedRoot, inner: string): PathStat {
  const fd = root.openPath(inner, followsFinal(inner));
  let st: BigIntStats;
  try {
    st = fstatBig(fd);
  } finally {
    closeSync(fd);
  }
  let linkTarget = '';
  if (st.isSymbolicLink()) {
    // FollowSymlinkInScope(path, "/"): as far as it resolves, broken links included.
    const host = resolveWithin(root.hostPath, inner);
    linkTarget = host === root.hostPath ? '/' : host.slice(root.hostPath.length);
  }
  return { name: goBase(inner), size: Number(st.size), mode: goFileMode(st), mtime: rfc3339Nano(st.mtimeNs), linkTarget };
}

/** A stat's mode as Go's os.FileMode encodes it (type bits high, permission bits low). */
export function goFileMode(st: BigIntStats): number {
  const m = Number(st.mode);
  let mode = m & 0o777;
  if (m & 0o4000) mode |= 1 << 23;
  if (m & 0o2000) mode |= 1 << 22;
  if (m & 0o1000) mode |= 1 << 20;
  if (st.isDirectory()) mode += 2 ** 31;
  else if (st.isSymbolicLink()) mode |= 1 << 27;
  else if (st.isFIFO()) mode |= 1 << 25;
  else if (st.isSocket()) mode |= 1 << 24;
  else if (st.isBlockDevice()) mode |= 1 << 26;
  else if (st.isCharacterDevice()) mode |= (1 << 26) | (1 << 21);
  return mode >>> 0 === mode ? mode : mode >>> 0;
}

/** Go's time.RFC3339Nano in UTC: fraction without trailing zeros. */
function rfc3339Nano(ns: bigint): string {
  const base = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

/** os.IsNotExist becomes Docker's containerFileNotFound (404); anything else is as it was. */
function notFound(err: unknown, rawPath: string, container: string): unknown {
  if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return new NotFoundError(`Could not find the file ${rawPath} in container ${container}`, { cause: err });
  if (isErrno(err, 'ENAMETOOLONG')) return new InvalidArgumentError(`lstat ${rawPath}: file name too long`, { cause: err });
  if (isErrno(err, 'ELOOP')) return new InvalidArgumentError(`too many levels of symbolic links: ${rawPath}`, { cause: err });
  return err;
}

