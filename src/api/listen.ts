import { promises as fsp, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
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
