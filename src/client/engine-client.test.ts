import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { compareVersions, EngineClient } from './engine-client.js';
import { ApiError, ConnectionError } from './errors.js';

interface Seen { method: string; url: string; body: string; contentType?: string }

describe('EngineClient', () => {
  let dir: string;
  let server: http.Server;
  let daemonVersion: string | undefined;
  const seen: Seen[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-client-'));
    const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      for await (const c of req) body += c;
      seen.push({ method: req.method!, url: req.url!, body, contentType: req.headers['content-type'] });
      if (daemonVersion) res.setHeader('Api-Version', daemonVersion);
      const p = req.url!.replace(/^\/v[\d.]+/, '');
      if (p === '/_ping') return res.end();
      if (p === '/json') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":true}');
      if (p === '/missing') return res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"message":"No such image: foo:latest\\n"}');
      if (p === '/text-error') return res.writeHead(500, { 'Content-Type': 'text/plain' }).end('boom\n');
      if (p === '/empty-error') return res.writeHead(404).end();
      if (p === '/no-message') return res.writeHead(409, { 'Content-Type': 'application/json' }).end('{}');
      if (p.startsWith('/echo')) return res.writeHead(200).end(body);
      res.writeHead(404).end();
    };
    // A throw here is this test's own bug: drop the connection so the call under test fails.
    server = http.createServer((req, res) => {
      serve(req, res).catch((err: unknown) => res.destroy(err as Error));
    });
    await new Promise<void>((r) => server.listen(path.join(dir, 's.sock'), r));
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (): EngineClient => new EngineClient({ host: `unix://${path.join(dir, 's.sock')}` });

  it('negotiates down to the daemon version and prefixes paths with it', async () => {
    daemonVersion = '1.41';
    seen.length = 0;
    const c = client();
    assert.deepEqual(await c.json('GET', '/json'), { ok: true });
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['HEAD /_ping', 'GET /v1.41/json']);
  });

  it('keeps its own version when the daemon is newer, and 1.24 when it says nothing', async () => {
    daemonVersion = '1.99';
    assert.equal(await client().apiVersion(), '1.50');
    daemonVersion = undefined;
    assert.equal(await client().apiVersion(), '1.24');
    daemonVersion = '1.50';
  });

  it("turns error answers into docker's messages", async () => {
    const c = client();
    await assert.rejects(c.json('GET', '/missing'), (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'Error response from daemon: No such image: foo:latest');
    await assert.rejects(c.json('GET', '/text-error'), { message: 'Error response from daemon: boom' });
    await assert.rejects(c.json('GET', '/no-message'), { message: 'API returned a 409 (Conflict) but provided no error-message' });
    await assert.rejects(c.json('GET', '/empty-error'), {
      message: `request returned 404 Not Found for API route and version http://${encodeURIComponent(path.join(dir, 's.sock'))}/v1.50/empty-error, check if the server supports the requested API version`,
    });
  });

  it('sends JSON and streamed bodies and repeated query values', async () => {
    const c = client();
    seen.length = 0;
    const res = await c.request('POST', '/echo', { body: Readable.from([Buffer.from('tar'), Buffer.from('-bytes')]), query: { names: ['a', 'b'], quiet: true, skip: undefined } });
    let text = '';
    for await (const chunk of res.body) text += chunk;
    assert.equal(text, 'tar-bytes');
    assert.equal(seen.at(-1)!.url, '/v1.50/echo?names=a&names=b&quiet=1');
    assert.equal(seen.at(-1)!.contentType, 'text/plain');
    await c.call('POST', '/echo', { json: { a: 1 } });
    assert.equal(seen.at(-1)!.body, '{"a":1}');
    assert.equal(seen.at(-1)!.contentType, 'application/json');
  });

  it('says the daemon cannot be reached when nothing listens', async () => {
    const c = new EngineClient({ host: 'unix:///nonexistent/berth.sock' });
    await assert.rejects(c.json('GET', '/json'), (e: unknown) => e instanceof ConnectionError
      && e.message === 'Cannot connect to the berth daemon at unix:///nonexistent/berth.sock. Is the daemon running?');
  });

  it('compares versions numerically', () => {
    assert.equal(compareVersions('1.9', '1.24'), -1);
    assert.equal(compareVersions('1.50', '1.50'), 0);
    assert.equal(compareVersions('1.50', '1.41'), 1);
  });
});
