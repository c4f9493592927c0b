// docker/go-units ulimit_test.go cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRlimits, parseUlimit } from './rlimits.js';

test('parseUlimit: name=soft[:hard]', () => {
  assert.deepEqual(parseUlimit('nofile=512:1024'), { Name: 'nofile', Soft: 512, Hard: 1024 });
  assert.deepEqual(parseUlimit('nofile=1024'), { Name: 'nofile', Soft: 1024, Hard: 1024 });
  assert.deepEqual(parseUlimit('core=-1'), { Name: 'core', Soft: -1, Hard: -1 });
  assert.deepEqual(parseUlimit('memlock=1024:-1'), { Name: 'memlock', Soft: 1024, Hard: -1 });
});

test('parseUlimit errors read like go-units\'', () => {
  const bad: Array<[string, string]> = [
    ['nofile', 'invalid ulimit argument: nofile'],
    ['notreal=1024:1024', 'invalid ulimit type: notreal'],
    ['as=1', 'invalid ulimit type: as'],
    ['nofile=1024:1:50', 'too many limit value arguments - 1024:1:50, can only have up to two, `soft[:hard]`'],
    ['nofile=1024:512', 'ulimit soft limit must be less than or equal to hard limit: 1024 > 512'],
    ['nofile=-1:1024', 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1024'],
    ['nofile=x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ['nofile=1:99999999999999999999', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
  ];
  for (const [value, message] of bad) assert.throws(() => parseUlimit(value), { message }, value);
});

test('buildRlimits: container first, daemon defaults after, uint64 wrap of -1', () => {
  assert.deepEqual(buildRlimits([{ Name: 'nproc', Soft: -1, Hard: -1 }], [{ Name: 'nofile', Soft: 1048576, Hard: 1048576 }]), [
    { type: 'RLIMIT_NPROC', soft: 2n ** 64n - 1n, hard: 2n ** 64n - 1n },
    { type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 },
  ]);
  assert.deepEqual(buildRlimits([], []), []);
});
