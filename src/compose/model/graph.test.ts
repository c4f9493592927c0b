import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComposeConfigError } from './errors.js';
import { checkCycles, startOrder, stopOrder } from './graph.js';
import type { DependsOn, Project } from './types.js';

const on: DependsOn = { condition: 'service_started', restart: false, required: true };
function services(deps: Record<string, string[]>): Pick<Project, 'services'> {
  const out: Record<string, unknown> = {};
  for (const [name, ds] of Object.entries(deps)) out[name] = { name, depends_on: Object.fromEntries(ds.map((d) => [d, on])) };
  return { services: out as Project['services'] };
}

// web -> app -> (db, cache); worker -> db; lone
const p = services({ web: ['app'], app: ['db', 'cache'], db: [], cache: [], worker: ['db'], lone: [] });

describe('start and stop order from depends_on', () => {
  it('puts every dependency before its dependents, stably', () => {
    const order = startOrder(p);
    assert.deepEqual(order, ['cache', 'db', 'app', 'lone', 'web', 'worker']);
    for (const [svc, ds] of [['web', ['app']], ['app', ['db', 'cache']], ['worker', ['db']]] as const) {
      for (const d of ds) assert.ok(order.indexOf(d) < order.indexOf(svc), `${d} before ${svc}`);
    }
  });

  it('selects named services plus what they depend on, transitively; --no-deps only the named', () => {
    assert.deepEqual(startOrder(p, ['web']), ['cache', 'db', 'app', 'web']);
    assert.deepEqual(startOrder(p, ['worker', 'lone']), ['db', 'lone', 'worker']);
    assert.deepEqual(startOrder(p, ['web', 'db'], { withDependencies: false }), ['db', 'web']);
  });

  it('stops dependents first', () => {
    assert.deepEqual(stopOrder(p), ['worker', 'web', 'lone', 'app', 'db', 'cache']);
    assert.deepEqual(stopOrder(p, ['db', 'app']), ['app', 'db']);
  });

  it('ignores dependencies on services that are not there (required: false, disabled)', () => {
    assert.deepEqual(startOrder(services({ a: ['gone'] })), ['a']);
  });

  it('refuses unknown services and cycles', () => {
    assert.throws(() => startOrder(p, ['nope']), { message: 'no such service: nope' });
    assert.throws(() => checkCycles(services({ a: ['b'], b: ['a'] })), (e: unknown) => e instanceof ComposeConfigError && e.message === 'dependency cycle detected: a -> b -> a');
    assert.throws(() => startOrder(services({ a: ['a'] })), { message: 'dependency cycle detected: a -> a' });
  });
});
