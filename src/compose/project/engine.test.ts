import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restartDependents } from './engine.js';
import { testProject, testService } from './testing.js';

test('restartDependents follows restart: true edges transitively, and only those', () => {
  const on = (restart: boolean) => ({ condition: 'service_started' as const, restart, required: true });
  const p = testProject('p', [
    testService('db'),
    testService('app', { depends_on: { db: on(true) } }),
    testService('web', { depends_on: { app: on(true) } }),
    testService('side', { depends_on: { db: on(false) } }),
    testService('worker', { depends_on: { side: on(true), db: on(false) } }),
  ]);
  assert.deepEqual(restartDependents(p, ['db']), ['app', 'web']);
  assert.deepEqual(restartDependents(p, ['app']), ['web']);
  assert.deepEqual(restartDependents(p, ['side', 'db']), ['app', 'web', 'worker']);
  assert.deepEqual(restartDependents(p, ['web']), []);
});
