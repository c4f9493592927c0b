import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { NotFoundError, UnauthorizedError } from '../../errors/index.js';
import type { RegistryService } from '../../registry/index.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { pullRoute, registryRoutes, type RegistryBackend } from './registry.js';

type Calls = Array<{ op: string; args: unknown }>;
const calls: Calls = [];

const fake: RegistryBackend['registry'] = {
  async pull(o) {
    calls.push({ op: 'pull', args: { fromImage: o.fromImage, tag: o.tag, platform: o.platform, auth: o.auth } });
    if (o.fromImage.endsWith('/missing')) throw new NotFoundError('manifest for x:latest not found: manifest unknown: manifest unknown');
    o.emit({ status: 'Pulling from x', id: 'latest' });
    if (o.fromImage.endsWith('/broken')) throw new Error('filesystem layer verification failed for digest sha256:abc');
    o.emit({ status: 'Status: Downloaded newer image for x:latest' });
  },
  async push(o) { calls.push({ op: 'push', args: { name: o.name, tag: o.tag } }); o.emit({ status: 'The push refers to repository [x]' }); },
  async login(auth) {
    calls.push({ op: 'login', args: auth });
    if (auth.password !== 'good') throw new UnauthorizedError('login attempt to http://r/v2/ failed with status: 401 Unauthorized');
    return { Status: 'Login Succeeded', IdentityToken: '' };
  },
  async search(term, o) {
    calls.push({ op: 'search', args: { term, limit: o.limit, filters: [...o.filters] } });
    return [{ star_count: 1, is_official: false, name: 'a/b', is_automated: false, description: 'd' }];
  },
  async inspectDistribution(name, auth) {
    calls.push({ op: 'inspectDistribution', args: { name, auth } });
    if (name.endsWith(':missing')) throw new NotFoundError('manifest unknown: manifest unknown');
    if (name.startsWith('private/')) throw new UnauthorizedError('unauthorized: authentication required');
    return { Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 512 }, Platforms: [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }] };
  },
} as Pick<RegistryService, 'pull' | 'push' | 'login' | 'search' | 'inspectDistribution'>;

let server: Server;
let port: number;

before(async () => {
  const r = new Router();
  registryRoutes(r, { registry: fake });
  r.add('POST', '/images/create', pullRoute({ registry: fake }));
  server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as AddressInfo).port;
});
after(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

function request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a pull error before any progress keeps its status; after, it ends the stream', async () => {
  const missing = await request('POST', '/images/create?fromImage=r%2Fmissing&tag=latest');
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.body), { message: 'manifest for x:latest not found: manifest unknown: manifest unknown' });
  const broken = await request('POST', '/images/create?fromImage=r%2Fbroken&tag=latest');
  assert.equal(broken.status, 200);
  const lines = broken.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.at(-1), { errorDetail: { message: 'filesystem layer verification failed for digest sha256:abc' }, error: 'filesystem layer verification failed for digest sha256:abc' });
});

test('X-Registry-Auth reaches the service decoded; the query is passed as given', async () => {
  calls.length = 0;
  const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'p', serveraddress: 'r' })).toString('base64url');
  const ok = await request('POST', '/images/create?fromImage=r%2Fok&tag=v1&platform=linux%2Farm64', undefined, { 'X-Registry-Auth': auth });
  assert.equal(ok.status, 200);
  assert.deepEqual(calls[0], { op: 'pull', args: { fromImage: 'r/ok', tag: 'v1', platform: 'linux/arm64', auth: { username: 'u', password: 'p', serveraddress: 'r' } } });
  const push = await request('POST', '/images/r/app/push?tag=v2');
  assert.equal(push.status, 200);
  assert.deepEqual(calls[1], { op: 'push', args: { name: 'r/app', tag: 'v2' } });
});

test('POST /auth answers docker login; GET /images/search passes limit and filters', async () => {
  const ok = await request('POST', '/auth', JSON.stringify({ username: 'u', password: 'good', serveraddress: 'r' }), { 'Content-Type': 'application/json' });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), { Status: 'Login Succeeded', IdentityToken: '' });
  const bad = await request('POST', '/auth', JSON.stringify({ username: 'u', password: 'bad', serveraddress: 'r' }), { 'Content-Type': 'application/json' });
  assert.equal(bad.status, 401);
  const notJson = await request('POST', '/auth', '[1]', { 'Content-Type': 'application/json' });
  assert.equal(notJson.status, 400);
  calls.length = 0;
  const s = await request('GET', `/images/search?term=a&limit=5&filters=${encodeURIComponent(JSON.stringify({ 'is-official': { true: true } }))}`);
  assert.equal(s.status, 200);
  assert.deepEqual(JSON.parse(s.body), [{ star_count: 1, is_official: false, name: 'a/b', is_automated: false, description: 'd' }]);
  assert.deepEqual(calls[0], { op: 'search', args: { term: 'a', limit: 5, filters: [['is-official', ['true']]] } });
});

test('GET /distribution/{name}/json passes the whole name and the decoded auth; errors keep their status', async () => {
  calls.length = 0;
  const auth = Buffer.from(JSON.stringify({ username: 'u', password: 'p' })).toString('base64url');
  const ok = await request('GET', '/v1.41/distribution/127.0.0.1:5000/a/b:v1/json', undefined, { 'X-Registry-Auth': auth });
  assert.equal(ok.status, 200);
  assert.deepEqual(JSON.parse(ok.body), {
    Descriptor: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 512 },
    Platforms: [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
  });
  assert.deepEqual(calls[0], { op: 'inspectDistribution', args: { name: '127.0.0.1:5000/a/b:v1', auth: { username: 'u', password: 'p' } } });
  const digest = await request('GET', `/distribution/a/b@sha256:${'b'.repeat(64)}/json`, undefined, { 'X-Registry-Auth': 'not base64 json' });
  assert.equal(digest.status, 200);
  assert.deepEqual(calls[1], { op: 'inspectDistribution', args: { name: `a/b@sha256:${'b'.repeat(64)}`, auth: {} } });
  const missing = await request('GET', '/distribution/a:missing/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.body), { message: 'manifest unknown: manifest unknown' });
  const denied = await request('GET', '/distribution/private/app/json');
  assert.equal(denied.status, 401);
  assert.deepEqual(JSON.parse(denied.body), { message: 'unauthorized: authentication required' });
});
