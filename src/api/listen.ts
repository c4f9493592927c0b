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
 * Listens on a UNIX socket, mode 0660 and group `group` when that group exists, as dockerd
 * does: never world-writable, since the socket is root on the host. A stale socket file of a
 * dead daemon is replaced; the data-root lock already proved no berthd of ours holds it.
 */
export async function listenUnix(server: Server, sock: string, group: string, logger: Logger): Promise<void> {
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
  const gid = groupId(group);
  if (gid !== undefined) await fsp.chown(sock, 0, gid);
  else logger.debug({ component: 'daemon', group }, 'socket group does not exist; socket stays root:root 0660');
}

function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name && gid) return Number(gid);
    }
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
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
