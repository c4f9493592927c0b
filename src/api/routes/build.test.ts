import assert from 'node:assert/strict';
import { test } from 'node:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BuildStepError, DockerfileParseError } from '../../build/index.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { buildOptions, buildRoutes, registryConfigOf, type BuildBackend } from './build.js';

test('POST /build query as the legacy builder reads it: rm defaults to true, JSON buildargs and labels', () => {
  const q = new URLSearchParams('t=a:1&t=b&dockerfile=sub%2FDf&buildargs=%7B%22A%22%3A%221%22%2C%22B%22%3Anull%7D&nocache=1&target=dev&labels=%7B%22l%22%3A%22v%22%7D&q=1');
  assert.deepEqual(buildOptions(q), {
    dockerfile: 'sub/Df', tags: ['a:1', 'b'], buildArgs: { A: '1', B: null }, noCache: true, target: 'dev',
    remove: true, forceRemove: false, labels: { l: 'v' }, quiet: true, pull: false, cacheFrom: [], hostConfig: {},
  });
  assert.equal(buildOptions(new URLSearchParams('rm=0')).remove, false);
  assert.equal(buildOptions(new URLSearchParams('')).dockerfile, 'Dockerfile');
  assert.throws(() => buildOptions(new URLSearchParams('buildargs=%7Bx')), { name: 'InvalidArgumentError' });
});

test('POST /build query: pull, cachefrom, remote and the build containers\' limits as the docker CLI sends them', () => {
  // The docker CLI sends every number, 0 meaning unset, and extrahosts repeated.
  const q = new URLSearchParams('pull=1&cachefrom=%5B%22a%3A1%22%5D&remote=http%3A%2F%2F127.0.0.1%2Fc.tar&memory=67108864&memswap=0&cpushares=512&cpuquota=50000&cpuperiod=100000'
    + '&cpusetcpus=0&cpusetmems=&shmsize=134217728&cgroupparent=grp&extrahosts=a%3A1.2.3.4&extrahosts=b%3A5.6.7.8&ulimits=%5B%7B%22Name%22%3A%22nofile%22%2C%22Soft%22%3A100%2C%22Hard%22%3A200%7D%5D&isolation=default');
  const o = buildOptions(q);
  assert.equal(o.pull, true);
  assert.deepEqual(o.cacheFrom, ['a:1']);
  assert.equal(o.remote, 'http://127.0.0.1/c.tar');
  assert.deepEqual(o.hostConfig, {
    Memory: 67108864, CpuShares: 512, CpuQuota: 50000, CpuPeriod: 100000, ShmSize: 134217728, CpusetCpus: '0', CgroupParent: 'grp',
    ExtraHosts: ['a:1.2.3.4', 'b:5.6.7.8'], Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }],
  });
  assert.deepEqual(buildOptions(new URLSearchParams('cachefrom=null&ulimits=null')).cacheFrom, []);
  assert.throws(() => buildOptions(new URLSearchParams('isolation=hyperv')), { message: 'Unsupported isolation: "hyperv"' });
});

test('X-Registry-Config: credentials by registry; a header that does not decode is no credentials', () => {
  const h = Buffer.from(JSON.stringify({ '127.0.0.1:5000': { username: 'u', password: 'p' } })).toString('base64');
  assert.deepEqual(registryConfigOf(h), { '127.0.0.1:5000': { username: 'u', password: 'p' } });
  assert.deepEqual(registryConfigOf('e30='), {});
  assert.deepEqual(registryConfigOf('%%%'), {});
  assert.deepEqual(registryConfigOf(undefined), {});
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

const pruned: Array<{ all: boolean; filters: Record<string, string[]> }> = [];
const fakeCache: BuildBackend['buildCache'] = {
  async prune(o) {
    pruned.push({ all: o.all, filters: Object.fromEntries(o.filters) });
    return { CachesDeleted: ['abc'], SpaceReclaimed: 42 };
  },
};

async function withServer(fn: (port: number) => Promise<void>): Promise<void> {
  const r = new Router();
  buildRoutes(r, { builder: fake, buildCache: fakeCache });
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

test('POST /build/prune: all and filters reach the cache; unknown filters are a 400', async () => {
  await withServer(async (port) => {
    const ok = await post(port, `/build/prune?all=1&filters=${encodeURIComponent(JSON.stringify({ until: { '24h': true } }))}`, '');
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body), { CachesDeleted: ['abc'], SpaceReclaimed: 42 });
    assert.deepEqual(pruned.at(-1), { all: true, filters: { until: ['24h'] } });
    const bad = await post(port, `/build/prune?filters=${encodeURIComponent(JSON.stringify({ nope: { x: true } }))}`, '');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), { message: "invalid filter 'nope'" });
  });
});
