import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { busyboxRootfsTar } from '../helpers/fixtures.js';
import { importBusybox, removeContainers } from '../helpers/containers.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * Issue 16, finding 5: input that is the client's fault is a 4xx (or dockerd's own status),
 * never a 500 that echoes berthd's data-root; a registry port out of range gets Go's dial
 * words, not Node's `Invalid URL`; `fromSrc=<URL>` imports fetch the URL as dockerd does.
 */
describe('client-fault input errors', () => {
  let d: TestDaemon;
  const long = 'a'.repeat(10 * 1024);
  before(async () => {
    d = await startDaemon('input-errors');
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  function message(r: { body: string }): string {
    return (JSON.parse(r.body) as { message: string }).message;
  }

  test('a 10 KB volume name: dockerd\'s 500, without berthd\'s data-root, and no volume', async () => {
    const r = await d.request('POST', '/volumes/create', JSON.stringify({ Name: long }), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 500);
    assert.ok(!message(r).includes(d.dataRoot), message(r).slice(0, 200));
    assert.match(message(r), /file name too long$/);
    const list = JSON.parse((await d.request('GET', '/volumes')).body) as { Volumes: unknown[] };
    assert.deepEqual(list.Volumes, []);
  });

  test('a 10 KB bind source is a 400, and no container is created', async () => {
    const body = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`/${long}:/x`] } });
    const r = await d.request('POST', '/containers/create', body, { 'Content-Type': 'application/json' });
    assert.equal(r.status, 400, r.body.slice(0, 300));
    assert.ok(!message(r).includes(d.dataRoot));
    assert.match(message(r), /file name too long$/);
    const mount = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Mounts: [{ Type: 'bind', Source: `/${long}`, Target: '/x' }] } });
    const m = await d.request('POST', '/containers/create', mount, { 'Content-Type': 'application/json' });
    assert.equal(m.status, 400, m.body.slice(0, 300));
    assert.ok(!message(m).includes(d.dataRoot));
    assert.equal((JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length, 0);
  });

  test('a 10 KB archive path is a 400 for HEAD, GET and PUT, without the data-root', async (t) => {
    const c = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Cmd: ['true'] }), { 'Content-Type': 'application/json' });
    const id = (JSON.parse(c.body) as { Id: string }).Id;
    t.after(() => removeContainers(d, id));
    for (const method of ['GET', 'PUT']) {
      const r = await d.request(method, `/containers/${id}/archive?path=/${long}`, method === 'PUT' ? Buffer.alloc(1024) : undefined);
      assert.equal(r.status, 400, `${method}: ${r.body.slice(0, 300)}`);
      assert.ok(!r.body.includes(d.dataRoot), method);
      assert.match(message(r), /file name too long$/);
    }
    const head = await d.request('HEAD', `/containers/${id}/archive?path=/${long}`);
    assert.equal(head.status, 400);
  });

  test('a registry port out of range gets Go\'s dial error, not "Invalid URL"', async () => {
    const r = await d.request('POST', '/images/create?fromImage=127.0.0.1:99999/x&tag=latest');
    assert.equal(r.status, 500, r.body);
    assert.match(message(r), /dial tcp: address 99999: invalid port$/);
  });

  test('fromSrc=<URL> imports the tar the URL serves', async (t) => {
    const tar = await busyboxRootfsTar();
    const server = http.createServer((req, res) => {
      if (req.url !== '/rootfs.tar') { res.writeHead(404); res.end('not here'); return; }
      res.writeHead(200, { 'Content-Type': 'application/x-tar' });
      createReadStream(tar).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await d.request('POST', `/images/create?fromSrc=${encodeURIComponent(`${url}/rootfs.tar`)}&repo=fromurl&tag=v1`);
    assert.equal(r.status, 200, r.body);
    const lines = r.body.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; error?: string });
    assert.equal(lines.find((l) => l.error), undefined);
    const id = lines.at(-1)!.status!;
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const img = await d.request('GET', '/images/fromurl:v1/json');
    assert.equal(img.status, 200);
    assert.equal((JSON.parse(img.body) as { Id: string }).Id, id);
    const missing = await d.request('POST', `/images/create?fromSrc=${encodeURIComponent(`${url}/nothing.tar`)}&repo=fromurl&tag=v2`);
    assert.equal(missing.status, 404);
    assert.match(message(missing), /failed to GET http:\/\/127\.0\.0\.1:\d+\/nothing\.tar with status 404 Not Found: not here/);
  });
});
