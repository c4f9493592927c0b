import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { silentLogger } from '../util/index.js';
import { readJsonBody, sendJson } from './http.js';
import { Router } from './router.js';
import { createApiServer } from './server.js';

// Issue 16, finding 6: what dockerd's Go server takes, berthd must take too.
let server: Server;
let port: number;
const created: number[] = [];

before(async () => {
  const r = new Router();
  r.add('POST', '/containers/create', async (ctx) => {
    const body = await readJsonBody(ctx.req) as { Env?: string[] };
    // The action is still going on when the client's FIN arrives, as with a real create.
    if (ctx.req.headers['x-test-await-fin'] && !ctx.req.socket.readableEnded) await once(ctx.req.socket, 'end');
    await nextTurn();
    created.push(body.Env?.length ?? 0);
    sendJson(ctx.res, 201, { Id: 'c1', Warnings: [] });
  });
  r.add('GET', '/_ping', (ctx) => sendJson(ctx.res, 200, 'OK'));
  server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  port = (server.address() as AddressInfo).port;
});
after(async () => { server.closeAllConnections(); await new Promise((r) => server.close(r)); });

/** Sends raw bytes, optionally half-closing after them; resolves with all that came back. */
function raw(bytes: Buffer, { halfClose }: { halfClose: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c: Buffer) => chunks.push(c));
    // A write cut short by the server's answer is no failure: what it answered is the result.
    sock.on('error', (err: NodeJS.ErrnoException) => (chunks.length ? resolve(Buffer.concat(chunks).toString()) : reject(err)));
    sock.on('close', () => resolve(Buffer.concat(chunks).toString()));
    if (halfClose) sock.end(bytes);
    else sock.write(bytes);
  });
}

function post(path: string, body: string, headers = ''): Buffer {
  return Buffer.from(`POST ${path} HTTP/1.1\r\nHost: berth\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headers}\r\n${body}`);
}

test('a client that half-closes after its request still gets the answer', async () => {
  // Today's failure: the create happened, and the connection closed with no response.
  created.length = 0;
  const answer = await raw(post('/containers/create', JSON.stringify({ Image: 'busybox', Env: ['A=1'] }), 'X-Test-Await-Fin: 1\r\n'), { halfClose: true });
  assert.deepEqual(created, [1]);
  assert.match(answer, /^HTTP\/1\.1 201 Created\r\n/);
  assert.match(answer, /\{"Id":"c1","Warnings":\[\]\}\n$/);
});

test('a 20 MB create body is accepted, as dockerd does', async () => {
  created.length = 0;
  const env = Array.from({ length: 20 * 1024 }, (_, i) => `V${i}=${'x'.repeat(1024)}`);
  const answer = await raw(post('/containers/create', JSON.stringify({ Image: 'busybox', Env: env })), { halfClose: false });
  assert.match(answer, /^HTTP\/1\.1 201 Created\r\n/);
  assert.deepEqual(created, [env.length]);
});

test('headers up to Go\'s 1 MB limit are read; a larger block is a 431, not a reset', async () => {
  const big = `X-Registry-Auth: ${'a'.repeat(512 * 1024)}\r\n`;
  const ok = await raw(Buffer.from(`GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n${big}\r\n`), { halfClose: false });
  assert.match(ok, /^HTTP\/1\.1 200 OK\r\n/);
  const huge = `X-Registry-Auth: ${'a'.repeat(2 * 1024 * 1024)}\r\n`;
  const tooLarge = await raw(Buffer.from(`GET /_ping HTTP/1.1\r\nHost: berth\r\nConnection: close\r\n${huge}\r\n`), { halfClose: false });
  assert.match(tooLarge, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
});
