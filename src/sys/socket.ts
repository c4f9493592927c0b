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
  recv: lib.func('intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)') as (fd: number, buf: Buffer, len: number, flags: number) => number,
};

const MSG_DONTWAIT = 0x40;
/** Larger than any message conmon sends (its buffers are 8 KiB plus a byte). */
const MAX_MESSAGE_BYTES = 64 * 1024;

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

/**
 * The messages still queued on a SOCK_SEQPACKET fd, read without blocking until none is left
 * (EAGAIN) or the peer's end of file. libuv treats a hang-up after a short read as end of file
 * without reading on: right for a byte stream, but on SEQPACKET every read is "short" (one
 * message), so the messages a peer sent just before closing would be dropped. Reading them
 * here, when libuv reports the end, recovers them.
 */
export function recvQueued(fd: number): Buffer[] {
  const out: Buffer[] = [];
  for (;;) {
    const buf = Buffer.allocUnsafe(MAX_MESSAGE_BYTES);
    const n = fns.recv(fd, buf, buf.length, MSG_DONTWAIT);
    if (n <= 0) return out;
    out.push(Buffer.from(buf.subarray(0, n)));
  }
}