import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../util/index.js';
import { listenUnix } from './listen.js';

// Issue 16, finding 8: without --group the socket was given to `berth` only, so the docker
// CLI's users (group `docker`) could not use it. The order must stay: the group asked for,
// else docker, else berth, else root's alone; the mode 0660 in every case.
const cases: Array<{ name: string; groups: string; requested: string; gid: number }> = [
  { name: 'docker when it exists and none is asked for', groups: 'root:x:0:\nberth:x:1200:\ndocker:x:1100:alice\n', requested: '', gid: 1100 },
  { name: 'berth when docker does not exist', groups: 'root:x:0:\nberth:x:1200:\n', requested: '', gid: 1200 },
  { name: 'root only when neither exists', groups: 'root:x:0:\nstaff:x:50:\n', requested: '', gid: 0 },
  { name: 'the group --group names, over docker', groups: 'docker:x:1100:\nops:x:1300:\n', requested: 'ops', gid: 1300 },
  { name: 'root only when the group --group names does not exist', groups: 'docker:x:1100:\n', requested: 'ops', gid: 0 },
];

for (const c of cases) {
  test(`the socket's group: ${c.name}`, { skip: process.getuid?.() !== 0 ? 'chown needs root' : false }, async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'berth-listen-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const groupFile = path.join(dir, 'group');
    await writeFile(groupFile, c.groups);
    const server = createServer();
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const sock = path.join(dir, 'berth.sock');
    await listenUnix(server, sock, c.requested, silentLogger(), groupFile);
    const st = await stat(sock);
    assert.equal(st.gid, c.gid);
    assert.equal(st.uid, 0);
    assert.equal(st.mode & 0o777, 0o660);
  });
}
