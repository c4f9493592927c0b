import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUlimit } from './ulimit.js';

test('parseUlimit is go-units ParseUlimit, fields in the docker CLI\'s JSON order', () => {
  assert.equal(JSON.stringify(parseUlimit('nofile=512:1024')), '{"Name":"nofile","Hard":1024,"Soft":512}');
  assert.deepEqual(parseUlimit('nproc=5'), { Name: 'nproc', Hard: 5, Soft: 5 });
  assert.deepEqual(parseUlimit('memlock=1024:-1'), { Name: 'memlock', Hard: -1, Soft: 1024 });
  assert.throws(() => parseUlimit('as=1'), { status: 400, message: 'invalid ulimit type: as' });
  assert.throws(() => parseUlimit('nofile=1:x'), { status: 400, message: 'strconv.ParseInt: parsing "x": invalid syntax' });
});
