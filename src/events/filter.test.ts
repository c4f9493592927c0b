import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventBus, matchEvent, parseEventTime } from './index.js';

test('parseEventTime reads unix seconds, fractions, RFC 3339 and Go durations', () => {
  assert.equal(parseEventTime('1700000000'), 1700000000e9);
  assert.equal(parseEventTime('1700000000.5'), 1700000000e9 + 500_000_000);
  assert.equal(parseEventTime('2024-01-01T00:00:00Z'), Date.parse('2024-01-01T00:00:00Z') * 1e6);
  assert.equal(parseEventTime('10m', 1_000_000), (1_000_000 - 600_000) * 1e6);
  assert.equal(parseEventTime('yesterday'), undefined);
});

test('matchEvent applies type, event, image, container and label filters', () => {
  const bus = new EventBus();
  const img = bus.publish('image', 'tag', 'sha256:abc', { name: 'busybox:latest' });
  const ctr = bus.publish('container', 'die', 'c0ffee', { name: 'web', image: 'busybox', exitCode: '3', tier: 'front' });
  const f = (o: Record<string, string[]>) => new Map(Object.entries(o));
  assert.equal(matchEvent(f({ type: ['image'] }), img), true);
  assert.equal(matchEvent(f({ type: ['image'] }), ctr), false);
  assert.equal(matchEvent(f({ event: ['die'] }), ctr), true);
  assert.equal(matchEvent(f({ image: ['busybox'] }), img), true, 'image=busybox matches busybox:latest');
  assert.equal(matchEvent(f({ image: ['busybox'] }), ctr), true, 'and containers of that image');
  assert.equal(matchEvent(f({ container: ['web'] }), ctr), true);
  assert.equal(matchEvent(f({ container: ['c0f'] }), ctr), true);
  assert.equal(matchEvent(f({ label: ['tier=front'] }), ctr), true);
  assert.equal(matchEvent(f({ label: ['tier=back'] }), ctr), false);
  assert.equal(ctr.status, 'die');
  assert.equal(ctr.from, 'busybox');
  assert.deepEqual(bus.since(0).map((m) => m.Action), ['tag', 'die']);
});
