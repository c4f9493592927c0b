import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mount, sysError } from '../sys/index.js';

/**
 * Network namespaces and links made from inside berthd, without a process (ADR 20,
 * 2026-12-08 "second pass"). Namespaces belong to a thread, not to a process: the main thread
 * enters a namespace, does a few synchronous calls there and comes back before any other
 * JavaScript runs, so nothing else berthd does can see the switch. libuv's pool threads keep
 * the host's namespace throughout.
 */
const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');
const c = {
  unshare: lib.func('int unshare(int flags)') as (flags: number) => number,
  setns: lib.func('int setns(int fd, int nstype)') as (fd: number, nstype: number) => number,
  socket: lib.func('int socket(int domain, int type, int protocol)') as (domain: number, type: number, protocol: number) => number,
  ioctl: lib.func('int ioctl(int fd, unsigned long request, _Inout_ void *arg)') as (fd: number, request: number, arg: Buffer) => number,
  close: lib.func('int close(int fd)') as (fd: number) => number,
};

const CLONE_NEWNET = 0x40000000;
const MS_BIND = 4096;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0x80000;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const SIOCGIFINDEX = 0x8933;
const SIOCBRADDIF = 0x89a2;
const IFF_UP = 1;
/** struct ifreq: the name (IFNAMSIZ) and a 24-byte union (flags, ifindex, …). */
const IFREQ_BYTES = 40;

function check(syscall: string, ret: number, what?: string): number {
  if (ret < 0) throw sysError(syscall, koffi.errno(), what);
  return ret;
}

/** The host's network namespace (berthd's main thread's at load), held open to come back to. */
let hostNsFd: number | undefined;
function hostNs(): number {
  hostNsFd ??= openSync('/proc/thread-self/ns/net', 'r');
  return hostNsFd;
}

/**
 * A path to the host's namespace that stays valid whichever namespace the main thread is in:
 * for processes started while it is in a container's (`ip … netns <this>`).
 */
export function hostNetnsPath(): string {
  return `/proc/${process.pid}/fd/${hostNs()}`;
}

/**
 * Runs `fn` with the main thread in the namespace bound at `file`, and returns to the host's.
 * `fn` must be synchronous: no other JavaScript may run while the thread is away. Processes
 * spawned in it start in that namespace. A failure to come back ends berthd (it could not tell
 * which namespace its later sockets would be made in).
 */
export function inNetns<T>(file: string, fn: () => T): T {
  const host = hostNs();
  const fd = openSync(file, 'r');
  try {
    check('setns', c.setns(fd, CLONE_NEWNET), file);
  } finally {
    closeSync(fd);
  }
  try {
    return fn();
  } finally {
    comeBack(host);
  }
}

function comeBack(host: number): void {
  if (c.setns(host, CLONE_NEWNET) < 0) {
    process.stderr.write(`berthd: could not return to the host's network namespace: ${sysError('setns', koffi.errno()).message}\n`);
    process.abort();
  }
}

/**
 * A new network namespace with `lo` up, bound to `file` (which must exist, as `ip netns add`
 * makes it): unshare on the main thread, bind its namespace, bring loopback up through an
 * ioctl there, come back. No process, against two (`unshare`, `ip`) before.
 */
export function createNetnsInProcess(file: string): void {
  const host = hostNs();
  check('unshare', c.unshare(CLONE_NEWNET));
  try {
    mount('/proc/thread-self/ns/net', file, null, MS_BIND, null);
    setLinkUp('lo');
  } finally {
    comeBack(host);
  }
}

/**
 * Sets the IPv6 sysctl `key` of new interfaces (`conf/default`) in the current namespace and
 * returns the value it had; undefined where IPv6 is off.
 */
export function setIpv6Default(key: string, value: string): string | undefined {
  const file = `/proc/sys/net/ipv6/conf/default/${key}`;
  try {
    const was = readFileSync(file, 'utf8').trim();
    if (was !== value) writeFileSync(file, value);
    return was;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

function withSocket<T>(fn: (fd: number) => T): T {
  const fd = check('socket', c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  try {
    return fn(fd);
  } finally {
    c.close(fd);
  }
}

function ifreq(name: string): Buffer {
  const req = Buffer.alloc(IFREQ_BYTES);
  req.write(name, 0, 15, 'latin1');
  return req;
}

/** Brings a link of the current namespace up (SIOCSIFFLAGS). */
export function setLinkUp(name: string): void {
  withSocket((fd) => {
    const req = ifreq(name);
    check('ioctl SIOCGIFFLAGS', c.ioctl(fd, SIOCGIFFLAGS, req), name);
    req.writeInt16LE(req.readInt16LE(16) | IFF_UP, 16);
    check('ioctl SIOCSIFFLAGS', c.ioctl(fd, SIOCSIFFLAGS, req), name);
  });
}

/** Puts a link of the current namespace on a bridge (SIOCBRADDIF), as `ip link set <link> master <bridge>`. */
export function addToBridge(bridge: string, name: string): void {
  withSocket((fd) => {
    const idx = ifreq(name);
    check('ioctl SIOCGIFINDEX', c.ioctl(fd, SIOCGIFINDEX, idx), name);
    const req = ifreq(bridge);
    req.writeInt32LE(idx.readInt32LE(16), 16);
    check('ioctl SIOCBRADDIF', c.ioctl(fd, SIOCBRADDIF, req), `${name} to ${bridge}`);
  });
}
