import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isGitUrl, openRemoteContext } from './remote.js';

test('remote contexts: text is a lone Dockerfile, other bytes the context archive, as dockerd sniffs them', async (t) => {
  const tarHead = Buffer.alloc(1024);
  tarHead.write('Dockerfile', 0);
  tarHead.write('ustar', 257);
  const server = http.createServer((req, res) => {
    const routes: Record<string, [Record<string, string>, Buffer | string]> = {
      '/plain': [{ 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '13' }, 'FROM busybox\n'],
      '/octet-text': [{ 'Content-Type': 'application/octet-stream' }, 'FROM busybox\nRUN true\n'],
      '/untyped-tar': [{}, tarHead],
      '/gzip': [{ 'Content-Type': 'application/gzip' }, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])],
      '/empty': [{}, ''],
    };
    const r = routes[req.url ?? ''];
    if (!r) { res.writeHead(404, 'Not Found'); res.end('no'); return; }
    res.writeHead(200, r[0]);
    res.end(r[1]);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => { server.close(); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const messages: unknown[] = [];
  const open = (p: string) => openRemoteContext(base + p, AbortSignal.timeout(10_000), (m) => messages.push(m));
  assert.deepEqual(await open('/plain'), { kind: 'dockerfile', text: 'FROM busybox\n' });
  assert.deepEqual(messages.at(-1), { status: `Downloading build context from remote url: ${base}/plain`, progressDetail: { current: 13, total: 13 } });
  assert.deepEqual(await open('/octet-text'), { kind: 'dockerfile', text: 'FROM busybox\nRUN true\n' });
  for (const p of ['/untyped-tar', '/gzip']) {
    const r = await open(p);
    assert.equal(r.kind, 'archive', p);
    if (r.kind === 'archive') r.body.resume();
  }
  await assert.rejects(open('/missing'), { message: `error downloading remote context ${base}/missing: failed to GET ${base}/missing with status 404 Not Found` });
  await assert.rejects(open('/empty'), { message: `error detecting content type for remote ${base}/empty: empty response` });
});

test('isGitUrl: moby\'s urlutil rules', () => {
  for (const u of ['git://h/r', 'git@h:r.git', 'github.com/a/b', 'https://h/r.git', 'https://h/r.git#main']) assert.equal(isGitUrl(u), true, u);
  for (const u of ['https://h/ctx.tar.gz', 'http://h/Dockerfile']) assert.equal(isGitUrl(u), false, u);
});
