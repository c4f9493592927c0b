import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnsListeners, SharedLock } from './netavark.js';

/** A promise and its resolver, to hold a lock until the test lets go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => { open = r; });
  return { wait, open };
}

test('shared holds run together; an exclusive one waits for them and keeps later shared ones out', async () => {
  const lock = new SharedLock();
  const log: string[] = [];
  const g1 = gate();
  const g2 = gate();
  const a = lock.run(false, async () => { log.push('a in'); await g1.wait; log.push('a out'); });
  const b = lock.run(false, async () => { log.push('b in'); await g2.wait; log.push('b out'); });
  const x = lock.run(true, async () => { log.push('x'); });
  const c = lock.run(false, async () => { log.push('c'); });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(log, ['a in', 'b in'], 'both shared holders in; the exclusive one and the shared one queued after it wait');
  g1.open();
  await a;
  assert.deepEqual(log, ['a in', 'b in', 'a out']);
  g2.open();
  await Promise.all([b, x, c]);
  assert.deepEqual(log, ['a in', 'b in', 'a out', 'b out', 'x', 'c'], 'first come, first served');
});

test('a failing holder releases its hold', async () => {
  const lock = new SharedLock();
  await assert.rejects(lock.run(true, () => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await lock.run(true, () => Promise.resolve(1)), 1);
});

test('dnsListeners reads the UDP sockets on port 53 from /proc/net/udp', async () => {
  const table = [
    '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
    '  101: 0101EA0A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 424242 2 0000000000000000 0',
    '  102: 0100007F:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1111 2 0000000000000000 0',
  ].join('\n');
  assert.deepEqual([...(await dnsListeners(table))], [['10.234.1.1', '424242']]);
});
