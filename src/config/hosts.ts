import path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';

/**
 * Where berthd listens, as dockerd's `-H` reads it (opts.ParseHost): `unix://PATH`,
 * `tcp://ADDR:PORT` (the port defaults to 2376 with TLS, 2375 without) and `fd://` or
 * `fd://N` (sockets passed by systemd's socket activation, from fd 3).
 */
export type DaemonListen =
  | { proto: 'unix'; path: string }
  | { proto: 'tcp'; hostname: string; port: number }
  | { proto: 'fd'; fd?: number };

export const DEFAULT_UNIX_SOCKET = '/run/berth.sock';
const DEFAULT_HTTP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;
/** systemd passes activated sockets from fd 3 up (sd_listen_fds(3)). */
export const LISTEN_FDS_START = 3;

/** Parses one `-H` value; `useTls` picks the default TCP port, as dockerd's ParseHost does. */
export function parseDaemonHost(host: string, useTls: boolean): DaemonListen {
  const h = host.trim();
  const sep = h.indexOf('://');
  if (sep < 0) throw new InvalidArgumentError(`Invalid bind address format: ${host}`);
  const proto = h.slice(0, sep);
  const addr = h.slice(sep + 3);
  switch (proto) {
    case 'unix':
      return { proto: 'unix', path: addr === '' ? DEFAULT_UNIX_SOCKET : path.resolve(addr) };
    case 'fd': {
      if (addr === '' || addr === '*') return { proto: 'fd' };
      if (!/^\d+$/.test(addr)) throw new InvalidArgumentError(`failed to parse systemd fd address: should be a number: ${addr}`);
      const fd = Number(addr);
      if (fd < LISTEN_FDS_START) throw new InvalidArgumentError(`failed to parse systemd fd address: fd ${fd} is not a socket-activated fd (they start at ${LISTEN_FDS_START})`);
      return { proto: 'fd', fd };
    }
    case 'tcp': {
      if (/\/./.test(addr.replace(/\/$/, ''))) throw new InvalidArgumentError(`invalid bind address (${addr}): should not contain a path element`);
      const m = /^(\[[^\]]*\]|[^:/[\]]*)(?::(\d*))?\/?$/.exec(addr);
      if (!m) throw new InvalidArgumentError(`Invalid bind address format: ${addr}`);
      const hostname = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
      const port = m[2] ? Number(m[2]) : (useTls ? DEFAULT_TLS_PORT : DEFAULT_HTTP_PORT);
      if (port > 65535) throw new InvalidArgumentError(`invalid bind address (${addr}): invalid port ${port}`);
      return { proto: 'tcp', hostname, port };
    }
    default:
      throw new InvalidArgumentError(`Invalid bind address format: ${host}`);
  }
}

/** The canonical form of a parsed host, as dockerd prints and de-duplicates them. */
export function formatDaemonHost(l: DaemonListen): string {
  switch (l.proto) {
    case 'unix': return `unix://${l.path}`;
    case 'fd': return l.fd === undefined ? 'fd://' : `fd://${l.fd}`;
    case 'tcp': return `tcp://${l.hostname.includes(':') ? `[${l.hostname}]` : l.hostname}:${l.port}`;
  }
}

/**
 * The fds systemd passed, as go-systemd's activation.Files reads them: LISTEN_PID must be
 * this process (else the variables were meant for another process and are ignored, as
 * dockerd ignores them), and LISTEN_FDS counts fds from 3. An empty list when there are none.
 */
export function activatedFds(env: NodeJS.ProcessEnv, pid: number): number[] {
  if (env.LISTEN_PID === undefined || Number(env.LISTEN_PID) !== pid) return [];
  const n = Number(env.LISTEN_FDS);
  if (!Number.isInteger(n) || n <= 0) return [];
  return Array.from({ length: n }, (_, i) => LISTEN_FDS_START + i);
}

/**
 * Picks the activated fds one `fd://` host serves, with dockerd's errors (listeners_linux.go):
 * `fd://` takes them all, `fd://N` exactly fd N.
 */
export function fdsFor(listen: { fd?: number }, activated: number[]): number[] {
  if (activated.length === 0) throw new InvalidArgumentError('no sockets found via socket activation: make sure the service was started by systemd');
  if (listen.fd === undefined) return activated;
  if (!activated.includes(listen.fd)) throw new InvalidArgumentError('too few socket activated files passed in by systemd');
  return [listen.fd];
}
