import assert from 'node:assert/strict';
import { test } from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuildStepError, DockerfileParseError } from '../../build/index.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { buildOptions, buildRoutes, type BuildBackend } from './build.js';

test('POST /build query as the legacy builder reads it: rm defaults to true, JSON buildargs and labels', () => {
  const q = new URLSearchParams('t=a:1&t=b&dockerfile=sub%2FDf&buildargs=%7B%22A%22%3A%221%22%2C%22B%22%3Anull%7D&nocache=1&target=dev&labels=%7B%22l%22%3A%22v%22%7D&q=1');
  assert.deepEqual(buildOptions(q), {
    dockerfile: 'sub/Df', tags: ['a:1', 'b'], buildArgs: { A: '1', B: null }, noCache: true, target: 'dev',
    remove: true, forceRemove: false, labels: { l: 'v' }, quiet: true,
  });
  assert.equal(buildOptions(new URLSearchParams('rm=0')).remove, false);
  assert.equal(buildOptions(new URLSearchParams('')).dockerfile, 'Dockerfile');
  assert.throws(() => buildOptions(new URLSearchParams('buildargs=%7Bx')), { name: 'InvalidArgumentError' });
});

// In-process, on a real server at port 0, against a fake builder (as registry.test.ts).
const fake: BuildBackend['builder'] = {
  async build(body, o, emit) {
    let bytes = 0;
    for await (const c of body) bytes += (c as Buffer).length;
    if (o.dockerfile === 'bad') throw new DockerfileParseError(3, 'unknown instruction: RUNN');
    emit({ stream: `Step 1/2 : FROM busybox (${bytes} bytes)\n` });
    if (o.dockerfile === 'fails') throw new BuildStepError("The command '/bin/sh -c exit 3' returned a non-zero code: 3", 3);
    emit({ aux: { ID: 'sha256:abc' } });
    return 'sha256:abc';
  },
};

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const r = new Router();
  buildRoutes(r, { builder: fake });
  const server = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  try { await fn((server.address() as AddressInfo).port); } finally {
    server.closeAllConnections();
    await new Promise((res) => server.close(res));
  }
}

function post(port: number, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'Content-Type': 'application/x-tar' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('POST /build: an error before the first message is a 400; after it, errorDetail (with a RUN\'s exit code) ends the stream', async () => {
  await withServer(async (port) => {
    const bad = await post(port, '/build?dockerfile=bad', 'ctx');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { message: 'dockerfile parse error on line 3: unknown instruction: RUNN' });
    const fails = await post(port, '/build?dockerfile=fails', 'ctx');
    assert.equal(fails.status, 200);
    assert.deepEqual(fails.body.trim().split('\n').map((l) => JSON.parse(l) as unknown), [
      { stream: 'Step 1/2 : FROM busybox (3 bytes)\n' },
      { errorDetail: { code: 3, message: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" }, error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3" },
    ]);
    const ok = await post(port, '/build?t=x', 'context');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, '{"stream":"Step 1/2 : FROM busybox (7 bytes)\\n"}\n{"aux":{"ID":"sha256:abc"}}\n');
  });
});
