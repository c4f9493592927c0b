import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { getSystemErrorName } from 'node:util';
import { connectSeqpacket as connectFd, recvQueued, UNIX_PATH_MAX, type SysError } from '../../sys/index.js';

/**
 * The one place berth touches a Node internal: `process.binding('pipe_wrap')`, deprecated
 * (DEP0111) but present in Node 20. Node refuses a SOCK_SEQPACKET fd in `net.Socket({ fd })`
 * (ERR_INVALID_FD_TYPE), and reading it through `fs` streams holds one of libuv's four pool
 * threads per attach, hanging every `fs` call of the daemon (FIELD-NOTES). A libuv pipe handle
 * opened on the fd reads and writes it on the event loop; for SEQPACKET each read is one
 * message and each write one message. If a Node release drops the binding, this module (and
 * its test) is what changes.
 */
interface PipeHandle {
  open(fd: number): number;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  constants: { SOCKET: number };
}
const pipeWrap = (process as unknown as { binding(name: 'pipe_wrap'): PipeWrap }).binding('pipe_wrap');

/**
 * Wraps a connected SOCK_SEQPACKET fd (which it then owns) in a net.Socket. `allowHalfOpen`
 * is on: `end()` only shuts down our write side (the peer reads EOF) and reading goes on;
 * without it the last frames after our EOF were lost.
 */
export function socketFromSeqpacketFd(fd: number): Socket {
  const handle = new pipeWrap.Pipe(pipeWrap.constants.SOCKET);
  const rc = handle.open(fd);
  if (rc !== 0) {
    closeSync(fd);
    throw new Error(`cannot open SOCK_SEQPACKET fd ${fd} as a pipe: ${getSystemErrorName(rc)}`);
  }
  const socket = new Socket({ handle, allowHalfOpen: true } as ConstructorParameters<typeof Socket>[0]);
  fds.set(socket, fd);
  return socket;
}

const fds = new WeakMap<Socket, number>();

/**
 * Messages still queued on the socket when libuv reported its end (see `recvQueued`): call
 * from the 'end' handler, before the socket is closed. Empty for a socket not made here.
 */
export function queuedMessages(socket: Socket): Buffer[] {
  const fd = fds.get(socket);
  if (fd === undefined || socket.destroyed) return [];
  return recvQueued(fd);
}

const CONNECT_RETRY_MS = 10;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects to a SOCK_SEQPACKET socket at `path`, of any length: a path over sun_path's 108
 * bytes is reached as `/proc/self/fd/<dirfd>/<name>` through its opened parent directory.
 * Throws a SysError (ENOENT, ECONNREFUSED: nobody listens) as sys/ gives it.
 */
export async function connectSeqpacket(path: string, opts: { signal?: AbortSignal } = {}): Promise<Socket> {
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      return socketFromSeqpacketFd(connectShortPath(path));
    } catch (err) {
      // EAGAIN: the listener's backlog is full (conmon accepts from its main loop). The
      // socket is non-blocking so the event loop never waits in connect(); retry briefly.
      if ((err as SysError).code !== 'EAGAIN' || Date.now() > deadline) throw err;
    }
    await delay(CONNECT_RETRY_MS, undefined, { signal: opts.signal });
  }
}

function connectShortPath(path: string): number {
  if (Buffer.byteLength(path) < UNIX_PATH_MAX) return connectFd(path);
  const dirFd = openSync(dirname(path), fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    return connectFd(`/proc/self/fd/${dirFd}/${basename(path)}`);
  } finally {
    // connect() resolved the path; the connection does not need the directory any more.
    closeSync(dirFd);
  }
}
