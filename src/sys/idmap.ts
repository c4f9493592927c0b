import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { check, libc, sysError } from './libc.js';

/**
 * Idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP) for userns-remap, and the user
 * namespaces that carry their mapping. See docs/adr/0009-userns-remap.md: runc 1.1.5 cannot
 * idmap a mount itself, so berthd idmaps each image layer (uid 0 on disk shows as the remapped
 * root, e.g. 100000) and stacks the detached idmapped layers into the container's overlay by
 * file descriptor; the container then runs in a user namespace with the same mapping.
 */
const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

/** struct mount_attr (MOUNT_ATTR_SIZE_VER0 = 32 bytes), registered by name for the signatures below. */
koffi.struct('berth_mount_attr', {
  attr_set: 'uint64',
  attr_clr: 'uint64',
  propagation: 'uint64',
  userns_fd: 'uint64',
});
const MOUNT_ATTR_SIZE_VER0 = 32;

interface MountAttrValue { attr_set: number; attr_clr: number; propagation: number; userns_fd: number }

const fns = {
  openTree: lib.func('int open_tree(int dfd, const char *path, unsigned int flags)') as
    (dfd: number, path: string, flags: number) => number,
  mountSetattr: lib.func('int mount_setattr(int dfd, const char *path, unsigned int flags, _In_ berth_mount_attr *attr, size_t size)') as
    (dfd: number, path: string, flags: number, attr: MountAttrValue, size: number) => number,
  // fsconfig with a NULL value and an fd in `aux` (FSCONFIG_SET_FD).
  fsconfigFd: lib.func('int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux)') as
    (fd: number, cmd: number, key: string, value: null, aux: number) => number,
};

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const OPEN_TREE_CLONE = 1;
const OPEN_TREE_CLOEXEC = 0o2000000;
const MOVE_MOUNT_F_EMPTY_PATH = 4;
const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_SET_FD = 5;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOUNT_ATTR_IDMAP = 0x100000;

/** One line of /proc/PID/uid_map, spelled as an OCI linux.uidMappings entry (drops into the spec as is): ids [containerID, +size) are hostID.. on the host. */
export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface IdmapOptions {
  /** Clone the whole tree below `source` (AT_RECURSIVE), idmapping every submount too. */
  recursive?: boolean;
  /** Also make the mount read-only (MOUNT_ATTR_RDONLY). */
  readOnly?: boolean;
}

/**
 * Makes a detached idmapped copy of the mount at `source` (open_tree(OPEN_TREE_CLONE) +
 * mount_setattr(MOUNT_ATTR_IDMAP, userns_fd)) and returns its fd, which the caller owns:
 * closing it unmounts the copy unless it was attached (move_mount) or handed to a filesystem
 * such as overlayfs, which keeps its own reference. Ownership through it is translated by the
 * mapping of `usernsFd`: a file owned by uid 0 on disk appears as the host id that the
 * namespace maps 0 to, and a file created through it as host id H is stored as the id that H
 * maps back to. The filesystem must support idmapped mounts (ext4, xfs, btrfs, tmpfs: yes;
 * overlayfs on this kernel: EINVAL).
 */
export function openIdmappedTree(source: string, usernsFd: number, opts: IdmapOptions = {}): number {
  const recursive = opts.recursive ? AT_RECURSIVE : 0;
  const fd = check('open_tree', fns.openTree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | recursive), source);
  try {
    const attr: MountAttrValue = {
      attr_set: MOUNT_ATTR_IDMAP | (opts.readOnly ? MOUNT_ATTR_RDONLY : 0),
      attr_clr: 0,
      propagation: 0,
      userns_fd: usernsFd,
    };
    check('mount_setattr', fns.mountSetattr(fd, '', AT_EMPTY_PATH | recursive, attr, MOUNT_ATTR_SIZE_VER0), source);
    return fd;
  } catch (err) {
    libc.close(fd);
    throw err;
  }
}

/** Attaches a detached mount fd (from open_tree or fsmount) at `target` (move_mount). The fd stays the caller's. */
export function attachMount(mountFd: number, target: string): void {
  check('move_mount', libc.moveMount(mountFd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH), target);
}

/** An idmapped bind mount of `source` at `target` (see openIdmappedTree). Undo with unmount(target). */
export function idmappedBindMount(source: string, target: string, usernsFd: number, opts: IdmapOptions = {}): void {
  const fd = openIdmappedTree(source, usernsFd, opts);
  try {
    attachMount(fd, target);
  } finally {
    libc.close(fd);
  }
}

/** An fsconfig value: a string option, a flag (`true`), or a file/mount fd (FSCONFIG_SET_FD). */
export type FsConfigValue = string | true | { fd: number };

/**
 * fsMount (src/sys/index.ts) that also takes `{ fd }` values, passed with FSCONFIG_SET_FD:
 * overlayfs accepts `lowerdir+`, `upperdir` and `workdir` as fds since Linux 6.13, and
 * detached mounts (an idmapped open_tree clone never attached anywhere) as such fds on this
 * kernel (6.18). The fds stay the caller's; the overlay holds its own references.
 */
export function fsMountWithFds(fstype: string, target: string, options: ReadonlyArray<readonly [string, FsConfigValue]>): void {
  const fsfd = check('fsopen', libc.fsopen(fstype, 0), fstype);
  let mfd = -1;
  try {
    for (const [key, value] of options) {
      if (value === true) check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_SET_FLAG, key, null, 0), key);
      else if (typeof value === 'string') check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0), `${key}=${value}`);
      else check('fsconfig', fns.fsconfigFd(fsfd, FSCONFIG_SET_FD, key, null, value.fd), `${key}=fd ${value.fd}`);
    }
    check('fsconfig', libc.fsconfig(fsfd, FSCONFIG_CMD_CREATE, null, null, 0), target);
    mfd = check('fsmount', libc.fsmount(fsfd, FSMOUNT_CLOEXEC, 0), target);
    attachMount(mfd, target);
  } finally {
    if (mfd >= 0) libc.close(mfd);
    libc.close(fsfd);
  }
}

/**
 * Mounts an overlay at `target` whose lower layers (topmost first) are each an idmapped,
 * read-only, detached clone of the layer directory: no layer is copied or chowned, and no
 * intermediate mount point appears in the mount table (mountinfo shows `lowerdir+=/`). The
 * upper and work dirs are used as they are, not idmapped, so what the container writes is
 * stored with its host ids (container root's files belong to the remapped root on disk, as
 * under Docker's userns-remap). The upper dir's root is the rootfs root: chown it to the
 * remapped root first, or `/` shows as nobody inside. `extra` is appended (redirect_dir=off...).
 */
export function mountIdmappedOverlay(
  lowers: readonly string[],
  target: string,
  usernsFd: number,
  rw?: { upperDir: string; workDir: string },
  extra: ReadonlyArray<readonly [string, FsConfigValue]> = [],
): void {
  if (lowers.length === 0) throw sysError('fsconfig', osConstants.errno.EINVAL, target);
  const fds: number[] = [];
  try {
    for (const dir of lowers) fds.push(openIdmappedTree(dir, usernsFd, { readOnly: true }));
    const options: Array<readonly [string, FsConfigValue]> = [['source', 'overlay']];
    for (const fd of fds) options.push(['lowerdir+', { fd }]);
    if (rw) options.push(['upperdir', rw.upperDir], ['workdir', rw.workDir]);
    options.push(...extra);
    fsMountWithFds('overlay', target, options);
  } finally {
    for (const fd of fds) libc.close(fd);
  }
}

/** A user namespace held open by an fd of this process; no process lives in it. */
export interface UserNamespace {
  /** O_RDONLY fd of the nsfs inode: pass to openIdmappedTree / mount_setattr as userns_fd. */
  readonly fd: number;
  /**
   * `/proc/<berthd pid>/fd/<fd>`: a path other root processes can open (or setns) while the
   * fd is open, e.g. as an OCI `{ type: 'user', path }` namespace.
   */
  readonly path: string;
  readonly uidMappings: readonly IdMapping[];
  readonly gidMappings: readonly IdMapping[];
  /** Closes the fd; the kernel frees the namespace once no mount, fd or process refers to it. */
  close(): void;
}

function formatMap(mappings: readonly IdMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/**
 * Creates a user namespace with the given mappings and returns an fd holding it. Node cannot
 * unshare itself (it is multi-threaded), so a helper `unshare --user -- cat` (util-linux) makes
 * the namespace; we wait until its /proc/PID/ns/user differs from ours, write uid_map and
 * gid_map as its parent (root with CAP_SETUID/CAP_SETGID in the initial namespace may map any
 * range, without newuidmap), open the ns file and kill the helper. The helper reads a pipe from
 * us, so it also ends if berthd dies in between. Needs root.
 */
export async function createUserNamespace(
  uidMappings: readonly IdMapping[],
  gidMappings: readonly IdMapping[] = uidMappings,
  opts: { unshare?: string; timeoutMs?: number } = {},
): Promise<UserNamespace> {
  if (uidMappings.length === 0 || gidMappings.length === 0) throw sysError('uid_map', osConstants.errno.EINVAL);
  const self = readlinkSync('/proc/self/ns/user');
  const child = spawn(opts.unshare ?? 'unshare', ['--user', '--', 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s; });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('close', () => resolve());
  });
  let failure: Error | undefined;
  child.once('error', (err) => { failure = err; });
  child.once('exit', (code, signal) => { failure ??= new Error(`unshare --user exited (${signal ?? code}) before its namespace was ready: ${stderr.trim()}`); });
  try {
    const deadline = Date.now() + (opts.timeoutMs ?? 5000);
    for (;;) {
      if (failure) throw failure;
      if (child.pid !== undefined) {
        let link: string | undefined;
        try { link = readlinkSync(`/proc/${child.pid}/ns/user`); } catch { /* not yet, or gone */ }
        if (link !== undefined && link !== self) break;
      }
      if (Date.now() > deadline) throw new Error(`unshare --user: no new user namespace within ${opts.timeoutMs ?? 5000} ms`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const pid = child.pid!;
    writeFileSync(`/proc/${pid}/uid_map`, formatMap(uidMappings));
    writeFileSync(`/proc/${pid}/gid_map`, formatMap(gidMappings));
    const fd = openSync(`/proc/${pid}/ns/user`, 'r');
    if (failure) { closeSync(fd); throw failure; }
    let open = true;
    return {
      fd,
      path: `/proc/${process.pid}/fd/${fd}`,
      uidMappings: uidMappings.map((m) => ({ ...m })),
      gidMappings: gidMappings.map((m) => ({ ...m })),
      close() { if (open) { open = false; closeSync(fd); } },
    };
  } finally {
    child.stdin!.destroy();
    child.kill('SIGKILL');
    await exited;
  }
}
