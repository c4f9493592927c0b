import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveWithin } from './resolve-within.js';

test('resolveWithin keeps every path inside root, whatever the links say', (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rw-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'etc'));
  symlinkSync('/', path.join(root, 'toroot'));
  symlinkSync('../../../../..', path.join(root, 'up'));
  symlinkSync('/etc', path.join(root, 'abs-etc'));
  symlinkSync('loop2', path.join(root, 'loop1'));
  symlinkSync('loop1', path.join(root, 'loop2'));
  assert.equal(resolveWithin(root, '../../etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveWithin(root, '/etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveWithin(root, 'toroot/etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveWithin(root, 'up/etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(resolveWithin(root, 'abs-etc/shadow'), path.join(root, 'etc/shadow'));
  assert.equal(resolveWithin(root, 'abs-etc', false), path.join(root, 'abs-etc'), 'the final link is kept when not followed');
  assert.throws(() => resolveWithin(root, 'loop1/x'), { code: 'ELOOP' });
});
