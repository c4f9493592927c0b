import { promises as fsp, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
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

function readGroupFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    // No group file: no group exists, and the socket stays root's.
    if (isErrno(err, 'ENOENT')) return '';
    throw err;
  }
}
