import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exchange, ResponseParser } from './http1.js';

/** Feeds `text` to a parser in pieces of `step` bytes; the answer once whole. */
function parse(text: string, step: number, isHead = false, ended = false): ReturnType<ResponseParser['push']> {
  const p = new ResponseParser(isHead);
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += step) {
    const res = p.push(bytes.subarray(i, i + step));
    if (res) return res;
  }
  return ended ? p.end() : undefined;
}

describe('ResponseParser', () => {
  for (const step of [1, 3, 1000]) {
    it(`reads Content-Length, chunked and close-delimited bodies (${step} bytes at a time)`, () => {
      const cl = parse('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.50\r\nContent-Length: 11\r\n\r\n{"ok":true}', step);
      assert.equal(cl?.status, 200);
      assert.equal(cl?.headers['api-version'], '1.50');
      assert.equal(cl?.body.toString(), '{"ok":true}');
      const chunked = parse('HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', step);
      assert.equal(chunked?.status, 404);
      assert.equal(chunked?.body.toString(), 'hello world');
      assert.equal(parse('HTTP/1.1 200 OK\r\n\r\nuntil the end', step), undefined, 'no framing: not whole before the end');
      assert.equal(parse('HTTP/1.1 200 OK\r\n\r\nuntil the end', step, false, true)?.body.toString(), 'until the end');
    });
  }

  it('expects no body after HEAD, 204 or 304, skips 100 Continue, joins repeated headers', () => {
    assert.equal(parse('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n', 1000, true)?.body.length, 0);
    assert.equal(parse('HTTP/1.1 204 No Content\r\n\r\n', 1000)?.status, 204);
    const res = parse('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n', 4);
    assert.equal(res?.status, 201);
    assert.equal(res?.headers['x-a'], '1, 2');
  });

  it('refuses what is not an HTTP/1 answer', () => {
    assert.throws(() => parse('SSH-2.0-OpenSSH\r\n\r\n', 1000), { message: 'Parse Error: Expected HTTP/, RTSP/ or ICE/' });
    assert.throws(() => parse('HTTP/1.1 abc OK\r\n\r\n', 1000), { message: 'Parse Error: Invalid status code' });
  });
});

describe('exchange', () => {
  let dir: string;
  let server: http.Server;
  let sock: string;
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string; socket: unknown }> = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-http1-'));
    sock = path.join(dir, 's.sock');
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket: req.socket });
        if (req.url === '/hang') return;
        if (req.url === '/chunked') {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('[1,');
          setImmediate(() => res.end('2]'));
          return;
        }
        res.writeHead(200, { 'Api-Version': '1.47' }).end(req.method === 'HEAD' ? undefined : `${req.method} ${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the method, path, headers and a JSON body, and reads the answer', async () => {
    const res = await exchange({ socketPath: sock }, 'POST', '/v1.47/x?a=1', { 'User-Agent': 'berth-cli', 'Content-Type': 'application/json' }, '{"k":"é"}');
    assert.equal(res.status, 200);
    assert.equal(res.headers['api-version'], '1.47');
    assert.equal(res.body.toString(), 'POST {"k":"é"}');
    const req = seen.at(-1)!;
    assert.equal(req.url, '/v1.47/x?a=1');
    assert.equal(req.headers.host, 'localhost');
    assert.equal(req.headers['content-length'], String(Buffer.byteLength('{"k":"é"}')));
    assert.equal(req.headers['user-agent'], 'berth-cli');
  });

  it('HEAD, a POST without a body (Content-Length: 0), a chunked answer', async () => {
    assert.equal((await exchange({ socketPath: sock }, 'HEAD', '/_ping', {})).body.length, 0);
    assert.equal((await exchange({ socketPath: sock }, 'POST', '/kill', {})).status, 200);
    assert.equal(seen.at(-1)!.headers['content-length'], '0');
    assert.equal((await exchange({ socketPath: sock }, 'GET', '/chunked', {})).body.toString(), '[1,2]');
  });

  it('rejects with the socket\'s error when nothing listens, and with an AbortError when aborted', async () => {
    await assert.rejects(exchange({ socketPath: path.join(dir, 'none.sock') }, 'GET', '/_ping', {}), { code: 'ENOENT' });
    const refused = net.createServer();
    await new Promise<void>((r) => refused.listen(0, '127.0.0.1', r));
    const { port } = refused.address() as net.AddressInfo;
    await new Promise((r) => refused.close(r));
    await assert.rejects(exchange({ host: '127.0.0.1', port }, 'GET', '/_ping', {}), { code: 'ECONNREFUSED' });
    const ac = new AbortController();
    const pending = exchange({ socketPath: sock }, 'GET', '/hang', {}, undefined, ac.signal);
    ac.abort();
    await assert.rejects(pending, { name: 'AbortError' });
  });

  it('keeps a connection for the next GET; one the daemon drops before answering is replaced', async () => {
    const ping = await exchange({ socketPath: sock }, 'HEAD', '/_ping', {}, undefined, undefined, { keepAlive: true });
    assert.ok(ping.socket && !ping.socket.destroyed, 'kept');
    assert.equal(seen.at(-1)!.headers.connection, 'keep-alive');
    const next = await exchange({ socketPath: sock }, 'GET', '/again', {}, undefined, undefined, { socket: ping.socket });
    assert.equal(next.body.toString(), 'GET ');
    assert.equal(next.socket, undefined, 'not kept unless asked');
    assert.equal(seen.at(-1)!.socket, seen.at(-2)!.socket, 'one connection for both');

    // A daemon that answers the first request and drops the connection on the second.
    let n = 0;
    const flaky = net.createServer((c) => {
      const first = n++ === 0;
      c.once('data', () => {
        c.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        if (first) c.once('data', () => c.destroy());
      });
    });
    const p = path.join(dir, 'flaky.sock');
    await new Promise<void>((r) => flaky.listen(p, r));
    try {
      const a = await exchange({ socketPath: p }, 'GET', '/a', {}, undefined, undefined, { keepAlive: true });
      const b = await exchange({ socketPath: p }, 'GET', '/b', {}, undefined, undefined, { socket: a.socket });
      assert.equal(b.body.toString(), 'ok');
      assert.equal(n, 2, 'sent again on a new connection');
    } finally {
      await new Promise((r) => flaky.close(r));
    }
  });

  it('a connection closed before a whole answer: a hang-up, or a body cut short', async () => {
    const mute = net.createServer((s) => s.resume().end());
    const m = path.join(dir, 'mute.sock');
    await new Promise<void>((r) => mute.listen(m, r));
    try {
      await assert.rejects(exchange({ socketPath: m }, 'GET', '/', {}), { code: 'ECONNRESET', message: 'socket hang up' }, 'before any answer');
    } finally {
      await new Promise((r) => mute.close(r));
    }
    const half = net.createServer((s) => s.resume().end('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const p = path.join(dir, 'half.sock');
    await new Promise<void>((r) => half.listen(p, r));
    try {
      await assert.rejects(exchange({ socketPath: p }, 'GET', '/', {}), { code: 'ECONNRESET', message: 'aborted' }, 'after the head: a body cut short');
    } finally {
      await new Promise((r) => half.close(r));
    }
  });
});
