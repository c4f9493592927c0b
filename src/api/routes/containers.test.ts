// The container routes in-process against a ContainerService over a FakeDriver (no root): the
// status, Docker message and final state a client sees for each sequence.
import assert from 'node:assert/strict';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { containerHarness, type Harness } from '../../container/testing.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { containerRoutes } from './containers.js';

let h: Harness;
let server: Server;
let port: number;
const keepAlive = setInterval(() => undefined, 60_000);

before(async () => {
  h = await containerHarness();
  const r = new Router();
  containerRoutes(r, { containers: h.svc });
  server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  clearInterval(keepAlive);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  h.close();
});

function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: text ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => { data += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? JSON.parse(data.trim().split('\n').at(-1)!) as unknown : undefined }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const state = async (id: string) => ((await request('GET', `/containers/${id}/json`)).json as { State: { Status: string; Running: boolean; ExitCode: number } }).State;

test('start → 204, again → 304; kill → 204 with the exit recorded; kill again → 409; rm → 204; then 404', async () => {
  const id = await h.add('web');
  assert.equal((await request('POST', `/containers/${id}/start`)).status, 204);
  assert.equal((await request('POST', `/containers/web/start`)).status, 304);
  assert.equal((await request('POST', `/containers/web/kill`)).status, 204);
  assert.deepEqual(await state(id), { ...(await state(id)), Status: 'exited', Running: false, ExitCode: 137 });
  const again = await request('POST', `/containers/web/kill`);
  assert.equal(again.status, 409);
  assert.deepEqual(again.json, { message: `Cannot kill container: web: container ${id} is not running` });
  assert.equal((await request('DELETE', `/containers/web`)).status, 204);
  assert.deepEqual(await request('GET', `/containers/web/json`), { status: 404, json: { message: 'No such container: web' } });
});

test('stop of a stopped container is 304; rm of a running one without force is 409 with docker\'s words', async () => {
  const id = await h.add('db');
  assert.equal((await request('POST', `/containers/${id}/stop`)).status, 304);
  await request('POST', `/containers/${id}/start`);
  const rm = await request('DELETE', `/containers/${id}`);
  assert.equal(rm.status, 409);
  assert.deepEqual(rm.json, { message: 'cannot remove container "/db": container is running: stop the container before removing or force remove' });
  assert.equal((await request('POST', `/containers/${id}/stop?t=1`)).status, 204);
  assert.equal((await state(id)).Running, false);
  assert.equal((await request('DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('wait answers with the exit; with a restart policy the container is then restarting and rm needs force', async () => {
  const id = await h.add('loop', { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  await request('POST', `/containers/${id}/start`);
  const waited = request('POST', `/containers/${id}/wait?condition=next-exit`);
  // The wait's headers go out before the exit (the docker CLI waits for them): the exit comes next.
  await new Promise((r) => setImmediate(r));
  h.driver.exit(id, 4);
  assert.deepEqual(await waited, { status: 200, json: { StatusCode: 4, Error: null } });
  assert.equal((await state(id)).Status, 'restarting');
  const rm = await request('DELETE', `/containers/${id}`);
  assert.equal(rm.status, 409);
  assert.equal((await request('DELETE', `/containers/${id}?force=true`)).status, 204);
});

test('rename to a name in use is 409; rename keeps an exit recorded meanwhile', async () => {
  const a = await h.add('a1');
  await h.add('b1');
  const taken = await request('POST', `/containers/${a}/rename?name=b1`);
  assert.equal(taken.status, 409);
  await request('POST', `/containers/${a}/start`);
  h.driver.exit(a, 9);
  assert.equal((await request('POST', `/containers/${a}/rename?name=a2`)).status, 204);
  await h.store.waitUntil(a, (r) => r.state.status === 'exited', AbortSignal.timeout(5000));
  const s = (await request('GET', `/containers/a2/json`)).json as { Name: string; State: { ExitCode: number } };
  assert.deepEqual([s.Name, s.State.ExitCode], ['/a2', 9]);
});

test('pause and unpause change the state; a paused container cannot be started or paused again', async () => {
  const id = await h.add('p1');
  await request('POST', `/containers/${id}/start`);
  assert.equal((await request('POST', `/containers/${id}/pause`)).status, 204);
  assert.equal((await state(id)).Status, 'paused');
  assert.deepEqual(await request('POST', `/containers/${id}/pause`), { status: 409, json: { message: `container ${id} is already paused` } });
  assert.deepEqual(await request('POST', `/containers/${id}/start`), { status: 409, json: { message: 'cannot start a paused container, try unpause instead' } });
  assert.equal((await request('POST', `/containers/${id}/unpause`)).status, 204);
  assert.equal((await state(id)).Status, 'running');
  assert.equal((await request('DELETE', `/containers/${id}?force=1`)).status, 204);
});
