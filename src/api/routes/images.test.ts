import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { InvalidArgumentError } from '../../errors/index.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { imageRoutes, type ImagesBackend } from './images.js';

const archive: ImagesBackend['archive'] = {
  async load(source, emit) {
    let body = '';
    for await (const chunk of source) body += (chunk as Buffer).toString();
    if (body === 'a tar') {
      emit({ stream: 'Loaded image: x:latest\n' });
      return ['sha256:x'];
    }
    if (body === 'half a tar') emit({ stream: 'Loaded image: first:latest\n' });
    throw new InvalidArgumentError('invalid archive: Unexpected end of data');
  },
  save() { throw new Error('not used'); },
  async import() { throw new Error('not used'); },
};

let server: Server;
let port: number;

before(async () => {
  const r = new Router();
  const images = {
    inspect: async (name: string) => ({ Id: `sha256:${name}`, Config: name === 'bare' ? undefined : { Cmd: ['sh'], Volumes: { '/data': {} } }, Size: 5 }),
  } as unknown as ImagesBackend['images'];
  imageRoutes(r, { images, archive, registry: { prunePartials: async () => 0 } });
  server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as AddressInfo).port;
});
after(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

function request(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Regression (issue 11, finding 6): dockerd answers 200 at once and reports a load error in
// the JSON message stream, where clients raise their load error from; berth answered 400.
test('POST /images/load of a body that is no archive: 200, the error in the JSON stream', async () => {
  const bad = await request('POST', '/images/load', 'not a tar');
  assert.equal(bad.status, 200);
  assert.equal(bad.type, 'application/json');
  assert.equal(bad.body, '{"errorDetail":{"message":"invalid archive: Unexpected end of data"},"error":"invalid archive: Unexpected end of data"}\n');
  const half = await request('POST', '/images/load?quiet=1', 'half a tar');
  assert.equal(half.status, 200);
  assert.deepEqual(half.body.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
    { stream: 'Loaded image: first:latest\n' },
    { errorDetail: { message: 'invalid archive: Unexpected end of data' }, error: 'invalid archive: Unexpected end of data' },
  ]);
  const ok = await request('POST', '/images/load', 'a tar');
  assert.equal(ok.status, 200);
  assert.equal(ok.body, '{"stream":"Loaded image: x:latest\\n"}\n');
});

// Regression (issue 14): docker-compose 1.29 negotiates API 1.50 and reads the image's
// ContainerConfig.Volumes when it recreates a service; without the field its `up` of a changed
// service died with KeyError: 'ContainerConfig'. Other clients get dockerd's answer per version.
test('GET /images/{name}/json: ContainerConfig below API 1.45, and for docker-compose v1 at any version', async () => {
  const keys = async (path: string, ua?: string): Promise<Record<string, unknown>> => {
    const r = await request('GET', path, undefined, ua ? { 'user-agent': ua } : {});
    assert.equal(r.status, 200);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  const compose = 'docker-compose/1.29.2 docker-py/5.0.3 Linux/6.1.0';
  assert.equal('ContainerConfig' in await keys('/v1.50/images/busybox/json'), false);
  assert.equal('ContainerConfig' in await keys('/images/busybox/json', 'Docker-Client/28.2.2 (linux)'), false);
  assert.equal('ContainerConfig' in await keys('/v1.50/images/busybox/json', 'docker-sdk-python/7.1.0'), false);
  assert.deepEqual((await keys('/v1.44/images/busybox/json')).ContainerConfig, { Cmd: ['sh'], Volumes: { '/data': {} } });
  const c = await keys('/v1.50/images/busybox/json', compose);
  assert.deepEqual(c.ContainerConfig, { Cmd: ['sh'], Volumes: { '/data': {} } });
  assert.equal(c.Container, '');
  assert.deepEqual((await keys('/v1.50/images/bare/json', compose)).ContainerConfig, {});
});
