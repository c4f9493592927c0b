import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapLimit } from './map-limit.js';

describe('mapLimit', () => {
  it('keeps the order of the items and at most `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(most, 2);
  });

  it('throws the first failure after the calls in flight settle, and starts no more', async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(mapLimit([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      await new Promise((r) => setImmediate(r));
      settled++;
      if (n === 1) throw new Error('one');
    }), /one/);
    assert.deepEqual(started, [1, 2]);
    assert.equal(settled, 2);
  });

  it('an empty list is an empty result', async () => {
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
  });
});
