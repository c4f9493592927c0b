import { createRequire } from 'node:module';
import { closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { check, sysError } from './libc.js';

/**
 * AF_UNIX SOCK_SEQPACKET sockets, which Node cannot create (conmon's attach socket is one;
 * ADR 2). Only creation and connect happen here; the fd is then handed to libuv, which reads
 * and writes it without blocking the main thread. Sockets are non-blocking and close-on-exec,
 * so connect never waits: a full backlog comes back as EAGAIN for the caller to retry.
 */
const require = createRequire(import.meta.url);
const koffi = require('koffi') as typeof import('koffi');
const lib = koffi.load('libc.so.6');

const fns = {
  socket: lib.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number,
  connect: lib.func('int connect(int fd, const void *addr, uint32_t len)') as (fd: number, addr: Buffer, len: number) => number,
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ void *sv)') as
    (d: number, t: number, p: number, sv: Buffer) => number,
};

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SEQPACKET_FLAGS = SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC;
/** sizeof(sockaddr_un.sun_path), counting the terminating NUL. */
export const UNIX_PATH_MAX = 108;

function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length >= UNIX_PATH_MAX) throw sysError('connect', osConstants.errno.ENAMETOOLONG, path);
  const addr = Buffer.alloc(2 + UNIX_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  return addr;
}

/**
 * Connects a new SOCK_SEQPACKET socket to `path` (under 108 bytes) and returns its fd, which
 * the caller owns. Throws a SysError: EAGAIN when the listener's backlog is full (retry),
 * ENOENT or ECONNREFUSED when nobody listens there, ENAMETOOLONG for a long path.
 */
export function connectSeqpacket(path: string): number {
  const addr = sockaddrUn(path);
  const fd = check('socket', fns.socket(AF_UNIX, SEQPACKET_FLAGS, 0), path);
  try {
    check('connect', fns.connect(fd, addr, addr.length), path);
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A connected pair of SOCK_SEQPACKET fds (for tests of code that reads such sockets). */
export function seqpacketPair(): [number, number] {
  const sv = Buffer.alloc(8);
  check('socketpair', fns.socketpair(AF_UNIX, SEQPACKET_FLAGS, 0, sv));
  return [sv.readInt32LE(0), sv.readInt32LE(4)];
}
