import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router, splitVersion } from './router.js';

test('greedy parameters take image names with slashes, ports and tags', () => {
  const r = new Router();
  const seen: string[] = [];
  r.add('GET', '/images/{name:.*}/json', (ctx) => { seen.push(ctx.params.name!); });
  r.add('GET', '/containers/{id}/json', (ctx) => { seen.push(`c:${ctx.params.id}`); });
  const m = r.match('GET', '/images/localhost:5000/a/b:tag/json');
  assert.deepEqual(m.params, { name: 'localhost:5000/a/b:tag' });
  assert.deepEqual(r.match('GET', '/containers/abc/json').params, { id: 'abc' });
  assert.deepEqual(r.match('HEAD', '/containers/abc/json').params, { id: 'abc' }, 'HEAD is served by GET');
  assert.throws(() => r.match('GET', '/containers/a/b/json'), { status: 404, message: 'page not found' });
  assert.throws(() => r.match('POST', '/containers/abc/json'), { status: 404 });
});

test('splitVersion accepts 1.24..1.50 and refuses others with dockerd\'s messages', () => {
  assert.deepEqual(splitVersion('/v1.41/images/json'), { version: '1.41', path: '/images/json' });
  assert.deepEqual(splitVersion('/images/json'), { version: '1.50', path: '/images/json' });
  assert.deepEqual(splitVersion('/v1.24/_ping'), { version: '1.24', path: '/_ping' });
  assert.throws(() => splitVersion('/v1.51/info'), { status: 400, message: 'client version 1.51 is too new. Maximum supported API version is 1.50' });
  assert.throws(() => splitVersion('/v1.23/info'), { status: 400, message: 'client version 1.23 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version' });
  assert.throws(() => splitVersion('/v2.0/info'), { status: 400 });
});
