import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedLock } from './keyed-lock.js';

test('holders of one key run one at a time, in order; other keys are not held up', async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const a = lock.run('x', async () => { log.push('a+'); await gate; log.push('a-'); });
  const b = lock.run('x', async () => { log.push('b'); });
  const c = lock.run('y', async () => { log.push('c'); });
  await c;
  assert.deepEqual(log, ['a+', 'c']);
  release();
  await Promise.all([a, b]);
  assert.deepEqual(log, ['a+', 'c', 'a-', 'b']);
});

test('re-entrant within the holder; isHeld tells the holder from everyone else', async () => {
  const lock = new KeyedLock();
  assert.equal(lock.isHeld('x'), false);
  const inner = await lock.run('x', async () => {
    assert.equal(lock.isHeld('x'), true);
    return lock.run('x', async () => lock.isHeld('x'));
  });
  assert.equal(inner, true);
  assert.equal(lock.isHeld('x'), false);
});

test('work a holder leaves behind is no holder once the holder returned', async () => {
  const lock = new KeyedLock();
  let later!: Promise<boolean>;
  await lock.run('x', async () => {
    later = new Promise((resolve) => setTimeout(() => resolve(lock.isHeld('x')), 5));
  });
  assert.equal(await later, false);
});

test('a failed holder releases the key', async () => {
  const lock = new KeyedLock();
  await assert.rejects(lock.run('x', async () => { throw new Error('boom'); }), /boom/);
  assert.equal(await lock.run('x', async () => 7), 7);
});

test('with nothing held the context tracking is off; the next holding turns it on again, re-entrant as before', async () => {
  const lock = new KeyedLock();
  for (let round = 0; round < 3; round++) {
    await lock.run('k', async () => {
      await new Promise((r) => setImmediate(r));
      assert.equal(lock.isHeld('k'), true);
      // Re-entrant across awaits and nested keys, after the previous round turned tracking off.
      assert.equal(await lock.run('k', async () => { await Promise.resolve(); return lock.isHeld('k'); }), true);
      await lock.run('j', async () => {
        await new Promise((r) => setTimeout(r, 1));
        assert.equal(lock.isHeld('k') && lock.isHeld('j'), true);
      });
    });
    assert.equal(lock.isHeld('k'), false);
  }
  // One key still queued keeps tracking on for the others.
  let release!: () => void;
  const holding = lock.run('a', () => new Promise<void>((r) => { release = r; }));
  await lock.run('b', async () => undefined);
  const seen = lock.run('a', async () => lock.isHeld('a'));
  release();
  await holding;
  assert.equal(await seen, true);
});
