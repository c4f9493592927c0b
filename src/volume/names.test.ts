import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateVolumeName, validateVolumeName } from './names.js';

test('volume names: path separators, dots and one-character names are refused with docker\'s words', () => {
  for (const bad of ['..', '.', 'a/b', '../x', '/abs', '-x', '_x', 'a b', 'x/../..', 'é1']) {
    assert.throws(() => validateVolumeName(bad), /includes invalid characters|too short/, bad);
  }
  assert.throws(() => validateVolumeName('a'), { message: 'create a: volume name is too short, names should be at least two alphanumeric characters' });
  assert.throws(() => validateVolumeName('a/b'), { message: 'create a/b: "a/b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path' });
  for (const good of ['ab', 'my-vol', 'my_vol.1', '0x', 'A.b-c_d']) validateVolumeName(good);
});

test('generated names are 64 hex characters and valid', () => {
  const n = generateVolumeName();
  assert.match(n, /^[0-9a-f]{64}$/);
  validateVolumeName(n);
});
