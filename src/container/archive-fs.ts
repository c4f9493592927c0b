import { closeSync, constants as fsc, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmdirSync, unlinkSync, type BigIntStats } from 'node:fs';
import { isErrno } from '../errors/index.js';
import { openat2, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from '../sys/index.js';

/** Linux's O_PATH (asm-generic/fcntl.h); Node does not export it. */
export const O_PATH = 0o10000000;
export const O_CLOEXEC = 0o2000000;

/**
 * A container's root, opened once, against which every path of a copy is resolved by the
 * kernel (openat2 RESOLVE_IN_ROOT): symlinks and `..` act as if the root were `/`, so no
 * path, however the container rearranges its tree during the copy, can reach outside it.
 * This is what moby gets from chroot-ing its archiver into the container (CVE-2018-15664,
 * CVE-2019-14271).
 *
 * Once resolved, a directory is held as an fd and its entries are reached as
 * `/proc/self/fd/<fd>/<name>`: the magic link pins the directory already resolved, and the one
 * component after it is never followed (lstat, readlink, O_NOFOLLOW, O_EXCL, mkdir, symlink),
 * so a swap of that entry for a symlink is seen, never traversed.
 *
 * Lifecycle: `close()` releases the root fd; each `open*` result is the caller's to close.
 */
export class ScopedRoot {
  readonly fd: number;

  constructor(readonly hostPath: string) {
    this.fd = openSync(hostPath, O_PATH | fsc.O_DIRECTORY | O_CLOEXEC);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Opens `abs` (a path inside the container) as an O_PATH fd; the last component is followed only with `followFinal`. */
  openPath(abs: string, followFinal: boolean, extraFlags = 0): number {
    return openat2(this.fd, rel(abs), O_PATH | O_CLOEXEC | extraFlags | (followFinal ? 0 : fsc.O_NOFOLLOW), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  }

  /** Opens `abs` for I/O (not O_PATH): `flags` as open(2)'s; the last component is followed only with `followFinal`. */
  open(abs: string, flags: number, followFinal: boolean): number {
    return openat2(this.fd, rel(abs), flags | O_CLOEXEC | (followFinal ? 0 : fsc.O_NOFOLLOW), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
  }

  /** Opens a directory inside the container, following every symlink within the root. */
  openDir(abs: string): number {
    return this.openPath(abs, true, fsc.O_DIRECTORY);
  }

  /**
   * Opens directory `abs`, creating missing components (0755) as MkdirAll does. Each is made
   * under its resolved parent's fd, so a component swapped meanwhile is never followed out.
   */
  ensureDir(abs: string): number {
    const parts = rel(abs).split('/').filter((p) => p && p !== '.');
    let fd = this.openDir('/');
    let prefix = '';
    for (const part of parts) {
      prefix += `/${part}`;
      let next: number;
      try {
        next = this.openDir(prefix);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) { closeSync(fd); throw err; }
        try {
          mkdirSync(at(fd, part), 0o755);
        } catch (mkErr) {
          if (!isErrno(mkErr, 'EEXIST')) { closeSync(fd); throw mkErr; }
        }
        try { next = this.openDir(prefix); } catch (again) { closeSync(fd); throw again; }
      }
      closeSync(fd);
      fd = next;
    }
    return fd;
  }

  /** The path inside the container that an fd opened here names ('/' for the root). */
  containerPathOf(fd: number, hostRoot = this.hostPath): string {
    const host = procPathTarget(fd);
    if (host === hostRoot) return '/';
    return host.startsWith(`${hostRoot}/`) ? host.slice(hostRoot.length) : host;
  }
}

/** `/proc/self/fd/<fd>/<name>`: `name` (one component) under an already resolved directory. */
export function at(dirFd: number, name: string): string {
  if (name.includes('/') || name === '..' || name === '.') throw new Error(`not a single path component: ${JSON.stringify(name)}`);
  return `/proc/self/fd/${dirFd}/${name}`;
}

export function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Opens child `name` of `dirFd` without following any symlink (RESOLVE_BENEATH | NO_SYMLINKS). */
export function openChild(dirFd: number, name: string, flags: number, mode = 0): number {
  return openat2(dirFd, name, flags | O_CLOEXEC | fsc.O_NOFOLLOW, mode, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

export function lstatAt(dirFd: number, name: string): BigIntStats | undefined {
  try {
    return lstatSync(at(dirFd, name), { bigint: true });
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
}

export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/**
 * Removes `name` under `dirFd` and, for a directory, everything below it, descending only
 * through directories opened without following symlinks (as Go's os.RemoveAll does with
 * unlinkat), so a tree rearranged meanwhile cannot redirect the removal.
 */
export function removeTreeAt(dirFd: number, name: string): void {
  const st = lstatAt(dirFd, name);
  if (!st) return;
  if (!st.isDirectory()) { unlinkSync(at(dirFd, name)); return; }
  const child = openChild(dirFd, name, fsc.O_RDONLY | fsc.O_DIRECTORY);
  try {
    for (const entry of readdirSync(fdPath(child))) removeTreeAt(child, entry);
  } finally {
    closeSync(child);
  }
  rmdirSync(at(dirFd, name));
}

function rel(abs: string): string {
  const r = abs.replace(/^\/+/, '');
  return r === '' ? '.' : r;
}

/** Where an fd points, in berthd's mount namespace (the magic link's text). */
function procPathTarget(fd: number): string {
  return readlinkSync(fdPath(fd));
}
