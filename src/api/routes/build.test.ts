import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildOptions } from './build.js';

test('POST /build query as the legacy builder reads it: rm defaults to true, JSON buildargs and labels', () => {
  const q = new URLSearchParams('t=a:1&t=b&dockerfile=sub%2FDf&buildargs=%7B%22A%22%3A%221%22%2C%22B%22%3Anull%7D&nocache=1&target=dev&labels=%7B%22l%22%3A%22v%22%7D&q=1');
  assert.deepEqual(buildOptions(q), {
    dockerfile: 'sub/Df', tags: ['a:1', 'b'], buildArgs: { A: '1', B: null }, noCache: true, target: 'dev',
    remove: true, forceRemove: false, labels: { l: 'v' }, quiet: true,
  });
  assert.equal(buildOptions(new URLSearchParams('rm=0')).remove, false);
  assert.equal(buildOptions(new URLSearchParams('')).dockerfile, 'Dockerfile');
  assert.throws(() => buildOptions(new URLSearchParams('buildargs=%7Bx')), { name: 'InvalidArgumentError' });
});
