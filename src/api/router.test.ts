import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { silentLogger } from '../util/index.js';
import { sendJson } from './http.js';
import { parseQuery, Router, splitVersion } from './router.js';
import { createApiServer } from './server.js';

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

test('a malformed percent-encoding in the path is 400 with Go\'s message, not a URIError (500)', () => {
  const r = new Router();
  r.add('GET', '/containers/{id}/json', () => undefined);
  r.addUpgrade('POST', '/containers/{id}/attach', async () => undefined);
  assert.deepEqual(r.match('GET', '/containers/caf%C3%A9%2Fx/json').params, { id: 'café/x' });
  assert.throws(() => r.match('GET', '/containers/%E0%A4%A/json'), { status: 400, message: 'invalid URL escape "%A/"' });
  assert.throws(() => r.match('GET', '/containers/abc%/json'), { status: 400, message: 'invalid URL escape "%/j"' });
  assert.throws(() => r.match('GET', '/containers/abc%2'), { status: 400, message: 'invalid URL escape "%2"' });
  assert.throws(() => r.match('GET', '/containers/a%E0%A4b/json'), { status: 400, message: 'invalid URL escape "%E0%A4"' }, 'escapes that are not UTF-8');
  assert.throws(() => r.match('GET', '/nowhere/%zz'), { status: 400 }, 'checked before routing, as Go does');
  assert.throws(() => r.matchUpgrade('POST', '/containers/%E0%A4%A/attach'), { status: 400, message: 'invalid URL escape "%A/"' });
});

test('parseQuery refuses a malformed escape with 400 and reads a good query as URLSearchParams does', () => {
  assert.deepEqual([...parseQuery('?filters=%7B%22a%22%3A1%7D&all=1&x=a+b')], [['filters', '{"a":1}'], ['all', '1'], ['x', 'a b']]);
  assert.deepEqual([...parseQuery('')], []);
  assert.throws(() => parseQuery('?filters=%E0%A4%A'), { status: 400, message: 'invalid URL escape "%A"' });
  assert.throws(() => parseQuery('?name=%zz'), { status: 400, message: 'invalid URL escape "%zz"' });
  assert.throws(() => parseQuery('?name=%C3'), { status: 400, message: 'invalid URL escape "%C3"' });
});

test('the API server answers a malformed escape in path or query with 400 and a JSON message', async (t) => {
  const r = new Router();
  r.add('GET', '/containers/{id}/json', ({ res, params, query }) => { sendJson(res, 200, { id: params.id, size: query.get('size') }); });
  const server = createApiServer(r, silentLogger())();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const get = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
  assert.deepEqual(await get('/v1.41/containers/%E0%A4%A/json'), { status: 400, body: '{"message":"invalid URL escape \\"%A/\\""}\n' });
  assert.deepEqual(await get('/containers/abc/json?size=%E0%A4%A'), { status: 400, body: '{"message":"invalid URL escape \\"%A\\""}\n' });
  assert.deepEqual(JSON.parse((await get('/containers/a%20b/json?size=1')).body), { id: 'a b', size: '1' });
});
