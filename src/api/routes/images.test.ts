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
  imageRoutes(r, { images: {} as ImagesBackend['images'], archive, registry: { prunePartials: async () => 0 } });
  server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as AddressInfo).port;
});
after(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

function request(method: string, path: string, body?: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
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
