import { openSync, closeSync } from 'node:fs';
import { check, libc, sysError, type SysError } from './libc.js';

export type { SysError };
export { sysError };

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/**
 * Takes an exclusive flock(2) on `path` (created if missing) without blocking. Returns the
 * held fd, or throws with code EWOULDBLOCK/EAGAIN when another process holds it. The lock
 * lives as long as the fd: the kernel drops it when the process dies, however it dies.
 */
export function tryLockFile(path: string): number {
  const fd = openSync(path, 'a+', 0o600);
  try {
    check('flock', libc.flock(fd, LOCK_EX | LOCK_NB), path);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * Marks an inherited fd close-on-exec. Sockets systemd passes (fd 3 up) are inherited
 * without it, and every child berthd spawns (conmon, which outlives it) would keep them open.
 */
export function setCloseOnExec(fd: number): void {
  check('fcntl', libc.fcntl(fd, F_SETFD, 'int', FD_CLOEXEC));
}

export function unlockFile(fd: number): void {
  libc.flock(fd, LOCK_UN);
  closeSync(fd);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** makedev(3) as glibc encodes it. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** mknod(2): `type` is S_IFCHR, S_IFBLK or S_IFIFO; `perm` the permission bits. */
export function mknod(path: string, type: number, perm: number, major = 0, minor = 0): void {
  check('mknod', libc.mknod(path, type | (perm & 0o7777), makedev(major, minor)), path);
}

/**
 * The text of the symlink an `O_PATH | O_NOFOLLOW` fd holds: readlinkat(fd, ""). readlink of
 * its /proc/self/fd entry would give the link's own host path instead (the magic link).
 */
export function readlinkFd(fd: number): string {
  for (let size = 4096; ; size *= 2) {
    const buf = Buffer.alloc(size);
    const n = check('readlinkat', libc.readlinkat(fd, '', buf, size));
    if (n < size) return buf.subarray(0, n).toString('utf8');
  }
}

/** lsetxattr(2): sets an extended attribute on the path itself, not a symlink's target. */
export function lsetxattr(path: string, name: string, value: Buffer | string): void {
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  check('lsetxattr', libc.lsetxattr(path, name, buf, buf.length, 0), path);
}

/** lgetxattr(2), or undefined when the attribute is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (;;) {
    const size = libc.lgetxattr(path, name, null, 0);
    if (size < 0) {
      const err = (() => { try { check('lgetxattr', size, path); } catch (e) { return e as SysError; } return undefined; })();
      if (err?.code === 'ENODATA') return undefined;
      throw err;
    }
    const buf = Buffer.alloc(size);
    const got = libc.lgetxattr(path, name, buf, size);
    if (got >= 0) return buf.subarray(0, got);
    try { check('lgetxattr', got, path); } catch (e) {
      // ERANGE: the value grew between the two calls; ask again.
      if ((e as SysError).code !== 'ERANGE') throw e;
    }
  }
}

/** llistxattr(2): the attribute names on the path itself. */
export function llistxattr(path: string): string[] {
  for (;;) {
    const size = check('llistxattr', libc.llistxattr(path, null, 0), path);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const got = libc.llistxattr(path, buf, size);
    if (got < 0) {
      try { check('llistxattr', got, path); } catch (e) { if ((e as SysError).code !== 'ERANGE') throw e; }
      continue;
    }
    return buf.subarray(0, got).toString('utf8').split('\0').filter((s) => s.length > 0);
  }
}

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_REMOUNT = 32;
export const MS_BIND = 4096;
export const MS_REC = 16384;
export const MS_PRIVATE = 1 << 18;
export const MNT_DETACH = 2;

/** mount(2). */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  check('mount', libc.mount(source, target, fstype, flags, data), target);
}

/** umount2(2); `detach` is MNT_DETACH (lazy). */
export function unmount(target: string, detach = false): void {
  check('umount2', libc.umount2(target, detach ? MNT_DETACH : 0), target);
}

const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const AT_FDCWD = -100;

/**
 * Mounts a filesystem through the new mount API (fsopen/fsconfig/fsmount/move_mount). Each
 * option is its own fsconfig call, so there is no one-page limit on the option string: this
 * is how 100+ overlay layers mount (`lowerdir+` once per layer, kernel >= 6.8).
 * `options` values: a string sets a string option, `true` sets a flag.
 */
export function fsMount(fstype: string, target: string, options: ReadonlyArray<readonly [string, string | true]>): void {
  const fsfd = check('fsopen', libc.fsopen(fstype, 0), fstype);
  let mfd = -1;
  try {
    for (const [key, value] of options) {
      if (value === true) check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_SET_FLAG, key, null, 0), key);
      else check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0), `${key}=${value}`);
    }
    check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_CMD_CREATE, null, null, 0), target);
    mfd = check('fsmount', libc.fsmount(fsfd, FSMOUNT_CLOEXEC, 0), target);
    check('move_mount', libc.moveMount(mfd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), target);
  } finally {
    if (mfd >= 0) libc.close(mfd);
    libc.close(fsfd);
  }
}

export { isProcessAlive, readProcStat, type ProcStat } from './proc.js';
export { connectSeqpacket, recvQueued, seqpacketPair, UNIX_PATH_MAX } from './socket.js';
export { attachMount, createUserNamespace, fsMountWithFds, idmappedBindMount, mountIdmappedOverlay, openIdmappedTree, MOUNT_ATTR_IDMAP, MOUNT_ATTR_RDONLY, type FsConfigValue, type IdMapping, type IdmapOptions, type UserNamespace } from './idmap.js';
/** openat2(2)'s `resolve` flags (linux/openat2.h). */
export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
export const RESOLVE_IN_ROOT = 0x10;
const SYS_OPENAT2 = 437;

/**
 * openat2(2): opens `path` relative to `dirfd` with the kernel's scoped resolution, e.g.
 * RESOLVE_IN_ROOT treats `dirfd` as `/` for every component, symlinks and `..` included, so
 * the result can never lie outside it, however the tree changes meanwhile. Returns the fd.
 */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags >>> 0), 0);
  how.writeBigUInt64LE(BigInt(mode), 8);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  for (;;) {
    const fd = Number(libc.syscall(SYS_OPENAT2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', 24));
    if (fd >= 0) return fd;
    const err = (() => { try { check('openat2', fd, path); } catch (e) { return e as SysError; } return undefined; })();
    // The kernel asks for a retry when a rename raced the lookup (RESOLVE_IN_ROOT's safety check).
    if (err?.code === 'EAGAIN') continue;
    throw err;
  }
}

export { posixSpawner } from './spawn.js';
