import { accessSync, constants as fsConstants } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { Child, ChildExit, SpawnRequest } from '../util/index.js';
import { sysError } from './libc.js';

/**
 * Starts processes with glibc's posix_spawn (clone with CLONE_VM|CLONE_VFORK: nothing of
 * berthd's memory is copied, so the cost does not grow with its heap), through koffi as the
 * rest of sys/ does. Each 'pipe' slot is a socket pair, as libuv makes them for Node's
 * spawn, so conmon and the tools see what they saw before. Signal dispositions and the mask
 * are reset to the defaults in the child (Node ignores SIGPIPE; libuv resets it too).
 *
 * Exits are found by polling waitpid(pid, WNOHANG) for our own pids only (libuv reaps its
 * children by pid as well, so neither steals the other's): at 1 ms while a child is young,
 * slower as it ages, and at once when its output closes. SIGCHLD is not used: Node's signal
 * watcher was seen to miss a child's SIGCHLD on this machine kind (about one in two when
 * a spawn happens inside the callback of another).
 */
const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

const posixSpawn = lib.func('int posix_spawn(_Out_ int *pid, const char *path, void *actions, void *attr, const char **argv, const char **envp)') as
  (pid: number[], file: string, actions: Buffer, attr: Buffer, argv: Array<string | null>, envp: Array<string | null>) => number;
const actionsInit = lib.func('int posix_spawn_file_actions_init(void *actions)') as (a: Buffer) => number;
const actionsDestroy = lib.func('int posix_spawn_file_actions_destroy(void *actions)') as (a: Buffer) => number;
const addDup2 = lib.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)') as (a: Buffer, fd: number, newfd: number) => number;
const addOpen = lib.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, uint32_t mode)') as
  (a: Buffer, fd: number, p: string, oflag: number, mode: number) => number;
const addChdir = lib.func('int posix_spawn_file_actions_addchdir_np(void *actions, const char *path)') as (a: Buffer, p: string) => number;
const attrInit = lib.func('int posix_spawnattr_init(void *attr)') as (a: Buffer) => number;
const attrDestroy = lib.func('int posix_spawnattr_destroy(void *attr)') as (a: Buffer) => number;
const attrSetFlags = lib.func('int posix_spawnattr_setflags(void *attr, short flags)') as (a: Buffer, flags: number) => number;
const attrSetSigDefault = lib.func('int posix_spawnattr_setsigdefault(void *attr, const void *set)') as (a: Buffer, set: Buffer) => number;
const attrSetSigMask = lib.func('int posix_spawnattr_setsigmask(void *attr, const void *set)') as (a: Buffer, set: Buffer) => number;
const sigFillSet = lib.func('int sigfillset(void *set)') as (set: Buffer) => number;
const sigEmptySet = lib.func('int sigemptyset(void *set)') as (set: Buffer) => number;
const socketPair = lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)') as (d: number, t: number, p: number, sv: number[]) => number;
const waitPid = lib.func('int waitpid(int pid, _Out_ int *status, int options)') as (pid: number, status: number[], options: number) => number;
const fcntlInt = lib.func('int fcntl(int fd, int cmd, int arg)') as (fd: number, cmd: number, arg: number) => number;
const closeFd = lib.func('int close(int fd)') as (fd: number) => number;

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const O_RDWR = 2;
const F_DUPFD_CLOEXEC = 1030;
const WNOHANG = 1;
const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on x86-64 and arm64: room to spare. */
const OPAQUE_BYTES = 1024;
const SIGSET_BYTES = 128;

const signalNames = new Map<number, NodeJS.Signals>(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/**
 * Every signal, glibc's own 32 and 33 included: sigfillset leaves those out, and posix_spawn
 * would then leave them ignored in the child (and in every container conmon starts). Set as
 * bits, signal n at bit n-1, the set's layout on Linux.
 */
const allSignals = Buffer.alloc(SIGSET_BYTES);
const noSignals = Buffer.alloc(SIGSET_BYTES);
sigFillSet(allSignals);
allSignals.fill(0xff, 0, 8);
sigEmptySet(noSignals);

/** Children not reaped yet: pid → its settle function and when it started. */
const running = new Map<number, { settle: (exit: ChildExit) => void; startedMs: number }>();
let pollTimer: NodeJS.Timeout | undefined;

function reap(): void {
  pollTimer = undefined;
  const status = [0];
  for (const [pid, r] of running) {
    if (waitPid(pid, status, WNOHANG) !== pid) continue;
    running.delete(pid);
    const st = status[0]!;
    const termSig = st & 0x7f;
    r.settle(termSig === 0 ? { code: (st >> 8) & 0xff, signal: null } : { code: null, signal: signalNames.get(termSig) ?? null });
  }
  schedule();
}

/** The next poll: soon for young children (most tools exit within milliseconds), rarely for old. */
function schedule(): void {
  if (pollTimer || running.size === 0) return;
  const youngestMs = Math.min(...[...running.values()].map((r) => Date.now() - r.startedMs));
  pollTimer = setTimeout(reap, youngestMs < 100 ? 1 : youngestMs < 2000 ? 10 : 100);
}

/** A pipe slot's other end: a socket pair, our end wrapped as Node's child_process does. */
function socketPairFor(minFd: number): [number, number] {
  const sv = [0, 0];
  if (socketPair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw sysError('socketpair', koffi.errno());
  let [ours, theirs] = sv as [number, number];
  // A low fd could be overwritten by another slot's dup2 before it is itself dup'ed.
  if (theirs < minFd) {
    const moved = fcntlInt(theirs, F_DUPFD_CLOEXEC, minFd);
    closeFd(theirs);
    if (moved < 0) { closeFd(ours); throw sysError('fcntl', koffi.errno()); }
    theirs = moved;
  }
  return [ours, theirs];
}

const pathCache = new Map<string, string>();

/** `file` looked up on the child's PATH, as execvp (and libuv) would. */
function resolveFile(file: string, env: NodeJS.ProcessEnv): string | undefined {
  if (file.includes('/')) return file;
  const searchPath = env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const key = `${searchPath}\0${file}`;
  const cached = pathCache.get(key);
  if (cached) return cached;
  for (const dir of searchPath.split(':')) {
    const candidate = path.join(dir || '.', file);
    try {
      accessSync(candidate, fsConstants.X_OK);
      pathCache.set(key, candidate);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function spawnError(errno: number, req: SpawnRequest): Error {
  const err = sysError(`spawn ${req.file}`, errno, req.file);
  err.message = `spawn ${req.file} ${err.code}`;
  return err;
}

export function posixSpawner(req: SpawnRequest): Child {
  const ours: Array<number | undefined> = [];
  const theirs: number[] = [];
  const actions = Buffer.alloc(OPAQUE_BYTES);
  const attr = Buffer.alloc(OPAQUE_BYTES);
  actionsInit(actions);
  attrInit(attr);
  let pid = 0;
  let failure: Error | undefined;
  try {
    for (const [slot, spec] of req.stdio.entries()) {
      if (spec === 'ignore') {
        addOpen(actions, slot, '/dev/null', O_RDWR, 0);
        ours.push(undefined);
        continue;
      }
      const [mine, child] = socketPairFor(req.stdio.length);
      ours.push(mine);
      theirs.push(child);
      addDup2(actions, child, slot);
    }
    if (req.cwd !== undefined) addChdir(actions, req.cwd);
    attrSetSigDefault(attr, allSignals);
    attrSetSigMask(attr, noSignals);
    attrSetFlags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (req.isDetached ? POSIX_SPAWN_SETSID : 0));
    const file = resolveFile(req.file, req.env);
    const envp = Object.entries(req.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    const pidOut = [0];
    const rc = file === undefined ? osConstants.errno.ENOENT : posixSpawn(pidOut, file, actions, attr, [req.file, ...req.args, null], [...envp, null]);
    if (rc !== 0) failure = spawnError(rc, req);
    else pid = pidOut[0]!;
  } catch (err) {
    failure = err as Error;
  } finally {
    actionsDestroy(actions);
    attrDestroy(attr);
    for (const fd of theirs) closeFd(fd);
  }
  const stdio = ours.map((fd, slot) => {
    if (fd === undefined) return null;
    const s = new Socket({ fd, readable: slot !== 0, writable: slot !== 1 && slot !== 2 });
    if (failure) s.destroy();
    return s;
  });
  let hasExited = failure !== undefined;
  const startedMs = Date.now();
  const exited = failure
    ? Promise.reject(failure)
    : new Promise<ChildExit>((resolve) => {
      running.set(pid, { settle: (exit) => { hasExited = true; resolve(exit); }, startedMs });
      schedule();
    });
  exited.catch(() => undefined);
  // Output closing is the usual sign of an exit: look at once rather than at the next poll.
  for (const s of stdio) s?.once('close', () => { if (running.has(pid)) { clearTimeout(pollTimer); pollTimer = undefined; reap(); } });
  return {
    pid: failure ? undefined : pid,
    stdio,
    exited,
    get hasExited() { return hasExited; },
    kill: (signal = 'SIGTERM') => {
      if (hasExited) return;
      try {
        process.kill(pid, signal);
      } catch {
        // ESRCH: it is exiting; the poll reaps it.
      }
    },
  };
}
