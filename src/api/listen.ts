import { promises as fsp, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TlsOptions } from 'node:tls';
import type { ServerTls } from '../config/index.js';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import { setCloseOnExec } from '../sys/index.js';
import type { Logger } from '../util/index.js';

/**
 * Listens on a UNIX socket, mode 0660, never world-writable, since the socket is root on the
 * host. Its group is `group` when given (`--group`, daemon.json `group`), else `docker` when
 * that group exists (the docker CLI's users are in it), else `berth`, else root only. A stale
 * socket file of a dead daemon is replaced; the data-root lock already proved no berthd of
 * ours holds it. `groupFile` is /etc/group but for tests.
 */
export async function listenUnix(server: Server, sock: string, group: string, logger: Logger, groupFile = '/etc/group'): Promise<void> {
  await fsp.mkdir(path.dirname(sock), { recursive: true });
  await fsp.rm(sock, { force: true });
  const oldMask = process.umask(0o117);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(sock, () => { server.off('error', reject); resolve(); });
    });
  } finally {
    process.umask(oldMask);
  }
  await fsp.chmod(sock, 0o660);
  const chosen = socketGroup(group, readGroupFile(groupFile));
  if (chosen) await fsp.chown(sock, 0, chosen.gid);
  else logger.warn({ component: 'daemon', group: group || 'docker, berth' }, 'socket group does not exist; socket stays root:root 0660');
}

/** The socket's group: the one asked for, else `docker`, else `berth`; undefined when none exists. */
export function socketGroup(requested: string, groupFileText: string): { name: string; gid: number } | undefined {
  const gids = new Map<string, number>();
  for (const line of groupFileText.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n && gid && /^\d+$/.test(gid) && !gids.has(n)) gids.set(n, Number(gid));
  }
  for (const name of requested ? [requested] : ['docker', 'berth']) {
    const gid = gids.get(name);
    if (gid !== undefined) return { name, gid };
  }
  return undefined;
}

/** Listens on a TCP address (`-H tcp://…`); resolves once bound, with the bound port. */
export async function listenTcp(server: Server, hostname: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, () => { server.off('error', reject); resolve(); });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Serves a socket systemd passed (`-H fd://`): already bound and listening, of whichever
 * family the unit's ListenStream= made it. Marked close-on-exec first (again, if berthd's
 * start did), so conmon and runc do not inherit the API socket.
 */
export async function listenFd(server: Server, fd: number): Promise<void> {
  setCloseOnExec(fd);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => { server.off('error', reject); resolve(); });
  });
}

/**
 * The API's TLS settings as dockerd's tlsconfig.Server builds them: the key pair, TLS 1.2 at
 * least, and with `verifyClient` only the CA file's roots (not the system's) and a client
 * certificate required, so a client without one signed by that CA fails the handshake.
 */
export function serverTlsOptions(tls: ServerTls): TlsOptions {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tls.certFile);
    key = readFileSync(tls.keyFile);
  } catch (err) {
    throw new InvalidArgumentError(`invalid TLS configuration: Could not load X509 key pair (cert: "${tls.certFile}", key: "${tls.keyFile}"): ${goFileError(err)}`, { cause: err });
  }
  const opts: TlsOptions = { cert, key, minVersion: 'TLSv1.2' };
  if (!tls.verifyClient) return opts;
  try {
    opts.ca = readFileSync(tls.caFile);
  } catch (err) {
    throw new InvalidArgumentError(`invalid TLS configuration: could not read CA certificate "${tls.caFile}": ${goFileError(err)}`, { cause: err });
  }
  return { ...opts, requestCert: true, rejectUnauthorized: true };
}

/** Go's os.PathError text (`open /x: no such file or directory`) for a Node fs error. */
function goFileError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const text = e.code ? (osErrorText[e.code] ?? e.message) : String(err);
  return e.path ? `open ${e.path}: ${text}` : text;
}

const osErrorText: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory',
};

function readGroupFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // No group file: no group exists, and the socket stays root's.
    if (isErrno(err, 'ENOENT')) return '';
    throw err;
  }
}
