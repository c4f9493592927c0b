import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';

/**
 * Calls into libc for the syscalls Node lacks (mount API, mknod, xattrs, flock), through
 * koffi. See docs/adr/0002-syscalls-through-koffi.md. Each wrapper throws an Error with
 * Node's `code`/`errno`/`syscall` fields, so callers classify it as any fs error.
 */
const require = createRequire(import.meta.url);
// koffi ships CommonJS with prebuilt binaries per platform (no install script needed).
const koffi = require('koffi') as typeof import('koffi');

const lib = koffi.load('libc.so.6');

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, num]) => [num as number, name]),
);

export interface SysError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

export function sysError(syscall: string, errno: number, path?: string): SysError {
  const code = errnoNames.get(errno) ?? `E${errno}`;
  const err = new Error(`${syscall}${path ? ` ${path}` : ''}: ${code}`) as SysError;
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

/** Runs a libc call that returns -1 on failure and turns errno into a thrown SysError. */
export function check(syscall: string, ret: number, path?: string): number {
  if (ret < 0) throw sysError(syscall, koffi.errno(), path);
  return ret;
}

export const libc = {
  close: lib.func('int close(int fd)') as (fd: number) => number,
  /** fcntl(2), variadic: called as (fd, cmd, 'int', arg). */
  fcntl: lib.func('int fcntl(int fd, int cmd, ...)') as (...args: unknown[]) => number,
  flock: lib.func('int flock(int fd, int operation)') as (fd: number, op: number) => number,
  mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)') as (p: string, mode: number, dev: bigint | number) => number,
  lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)') as
    (p: string, name: string, value: Buffer, size: number, flags: number) => number,
  lgetxattr: lib.func('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)') as
    (p: string, name: string, value: Buffer | null, size: number) => number,
  llistxattr: lib.func('intptr_t llistxattr(const char *path, _Out_ void *list, size_t size)') as
    (p: string, list: Buffer | null, size: number) => number,
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as
    (source: string | null, target: string, fstype: string | null, flags: number, data: string | null) => number,
  umount2: lib.func('int umount2(const char *target, int flags)') as (target: string, flags: number) => number,
  fsopen: lib.func('int fsopen(const char *fsname, unsigned int flags)') as (fsname: string, flags: number) => number,
  fsconfig: lib.func('int fsconfig(int fd, unsigned int cmd, const char *key, const char *value, int aux)') as
    (fd: number, cmd: number, key: string | null, value: string | null, aux: number) => number,
  fsmount: lib.func('int fsmount(int fd, unsigned int flags, unsigned int attrFlags)') as (fd: number, flags: number, attrFlags: number) => number,
  /** syscall(2), for openat2 which glibc does not wrap; called with koffi's variadic typed arguments. */
  syscall: lib.func('long syscall(long number, ...)') as (...args: unknown[]) => number,
  readlinkat: lib.func('intptr_t readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t size)') as
    (dirfd: number, p: string, buf: Buffer, size: number) => number,
  moveMount: lib.func('int move_mount(int fromDirfd, const char *fromPath, int toDirfd, const char *toPath, unsigned int flags)') as
    (fromDirfd: number, fromPath: string, toDirfd: number, toPath: string, flags: number) => number,
};
