import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isProcessAlive, readProcStat } from './index.js';
import { makeZombie } from './proc-fixture.js';

test('a zombie is not alive, though kill(pid, 0) still finds it', async (t) => {
  const pid = await makeZombie(t);
  assert.doesNotThrow(() => process.kill(pid, 0), 'signal 0 reaches a zombie');
  assert.equal(await isProcessAlive(pid), false);
});

test('a running process is alive; a pid nobody has is not', async () => {
  assert.equal(await isProcessAlive(process.pid), true);
  assert.equal((await readProcStat(process.pid))?.ppid, process.ppid);
  assert.equal(await isProcessAlive(0x3fffff), false);
});
