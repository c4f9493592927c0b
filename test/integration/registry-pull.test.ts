import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { waitFor } from '../../src/util/index.js';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { umociImage } from '../helpers/fixtures.js';
import { seedImage, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../helpers/registry.js';

interface Inspect { Id: string; RepoTags: string[]; RepoDigests: string[]; RootFS: { Layers: string[] }; Architecture: string; Os: string }

async function inspect(d: TestDaemon, name: string): Promise<Inspect> {
  return (JSON.parse((await d.docker(['image', 'inspect', name])).stdout.toString()) as Inspect[])[0]!;
}

async function manifestDigest(reg: { url: string }, repo: string, tag: string): Promise<string> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json' } });
  assert.equal(res.status, 200);
  return res.headers.get('docker-content-digest')!;
}

/** Images, snapshots and blobs as the API shows them, to prove a failed pull left nothing. */
async function imageCount(d: TestDaemon): Promise<number> {
  return (JSON.parse((await d.request('GET', '/images/json?all=1')).body) as unknown[]).length;
}

describe('pull from a plain-http registry (insecure-registries)', needsDocker, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let layout: string;
  before(async () => {
    layout = (await umociImage()).layout;
    reg = await startRegistry('pull');
    await seedImage(`oci:${layout}:v1`, `${reg.host}/umoci/busybox:v1`);
    d = await startDaemon('registry-pull', [], { config: { 'insecure-registries': [reg.host] } });
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
  });

  test('docker pull streams docker\'s progress and records RepoDigests', async () => {
    const ref = `${reg.host}/umoci/busybox:v1`;
    const r = await d.docker(['pull', ref]);
    const out = r.stdout.toString();
    assert.match(out, /^v1: Pulling from umoci\/busybox$/m);
    assert.match(out, /^[0-9a-f]{12}: Pull complete$/m);
    assert.match(out, /^Digest: sha256:[0-9a-f]{64}$/m);
    assert.match(out, new RegExp(`^Status: Downloaded newer image for ${ref.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.equal(out.trim().split('\n').at(-1), ref);
    const digest = await manifestDigest(reg, 'umoci/busybox', 'v1');
    const img = await inspect(d, ref);
    assert.deepEqual(img.RepoTags, [ref]);
    assert.deepEqual(img.RepoDigests, [`${reg.host}/umoci/busybox@${digest}`]);
    assert.equal(img.RootFS.Layers.length, 2);
    const again = await d.docker(['pull', ref]);
    assert.match(again.stdout.toString(), /^Status: Image is up to date for /m);
  });

  test('a container runs from the pulled image', async () => {
    const r = await d.docker(['run', '--rm', `${reg.host}/umoci/busybox:v1`, 'cat', '/hello']);
    assert.equal(r.stdout.toString(), 'hello from layer two\n');
  });

  test('pull by digest and with berth', async () => {
    const digest = await manifestDigest(reg, 'umoci/busybox', 'v1');
    await d.docker(['rmi', `${reg.host}/umoci/busybox:v1`]);
    const r = await d.berth(['pull', `${reg.host}/umoci/busybox@${digest}`]);
    assert.match(r.stdout.toString(), new RegExp(`^Status: Downloaded newer image for ${reg.host}/umoci/busybox@${digest}$`, 'm'));
    const img = await inspect(d, `${reg.host}/umoci/busybox@${digest}`);
    assert.deepEqual(img.RepoTags, []);
    assert.deepEqual(img.RepoDigests, [`${reg.host}/umoci/busybox@${digest}`]);
  });

  test('an unknown tag or repository gets docker\'s message and stores nothing', async () => {
    const before = await imageCount(d);
    const tag = await d.docker(['pull', `${reg.host}/umoci/busybox:nope`], { allowFailure: true });
    assert.equal(tag.code, 1);
    assert.match(tag.stderr, new RegExp(`Error response from daemon: manifest for ${reg.host}/umoci/busybox:nope not found: manifest unknown: manifest unknown`));
    const repo = await d.docker(['pull', `${reg.host}/nothing/here`], { allowFailure: true });
    assert.equal(repo.code, 1);
    assert.match(repo.stderr, new RegExp(`Error response from daemon: (repository ${reg.host}/nothing/here not found|manifest for ${reg.host}/nothing/here:latest not found)`));
    assert.equal(await imageCount(d), before);
  });

  test('an unreachable registry fails fast with a clear error', async () => {
    const started = Date.now();
    const r = await d.docker(['pull', '127.0.0.1:1/x/y:latest'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: Get "http:\/\/127\.0\.0\.1:1\/v2\/": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
    assert.ok(Date.now() - started < 20_000);
  });
});

describe('pull through a fault proxy', needsDocker, () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let d: TestDaemon;
  before(async () => {
    const { layout } = await umociImage();
    reg = await startRegistry('faults');
    await seedImage(`oci:${layout}:v1`, `${reg.host}/umoci/busybox:v1`);
    proxy = await startFaultProxy(reg.url);
    d = await startDaemon('registry-faults');
  });
  after(async () => {
    await d?.stop();
    await proxy?.stop();
    await reg?.stop();
  });

  test('a corrupted layer is refused and nothing is stored', async () => {
    proxy.set('corrupt');
    const r = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`], { allowFailure: true });
    assert.equal(r.code, 1, r.stdout.toString());
    assert.match(r.stderr, /verification failed|failed to register layer/);
    assert.equal(await imageCount(d), 0);
    const df = await d.request('GET', '/system/df');
    assert.equal((JSON.parse(df.body) as { LayersSize: number }).LayersSize, 0);
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'blobs', 'sha256')), [], 'no blob left behind');
    assert.deepEqual((await fsp.readdir(path.join(d.dataRoot, 'blobs', 'ingest'))), [], 'no ingest left behind');
  });

  test('a connection cut mid-layer is resumed with a Range request', async () => {
    proxy.set('cut', { times: 1 });
    proxy.blobGets.length = 0;
    const r = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`]);
    assert.match(r.stdout.toString(), /Downloaded newer image/);
    assert.ok(proxy.blobGets.some((g) => g.range?.startsWith('bytes=')), JSON.stringify(proxy.blobGets));
    await d.docker(['rmi', `${proxy.host}/umoci/busybox:v1`]);
  });

  test('a client that goes away mid-pull leaves nothing behind', async () => {
    proxy.set('stall');
    const socket = path.join(d.dir, 'berth.sock');
    const stalledBefore = proxy.stalled();
    // The client leaves once a layer download is stalled half-way: leaving at the first
    // 'Downloading' (a small layer's) could end the pull before the large layer was asked for,
    // and then no stalled download would exist to be dropped.
    const req = http.request({ socketPath: socket, method: 'POST', path: `/images/create?fromImage=${proxy.host}/umoci/busybox&tag=v1` }, (res) => {
      res.resume();
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
    await waitFor('a layer download to stall', async () => (proxy.stalled() > stalledBefore ? true : undefined), { timeoutMs: 20_000 });
    req.destroy();
    await waitFor('berthd to drop the stalled downloads', async () => (proxy.stalledClosed() > 0 ? true : undefined), { timeoutMs: 20_000 });
    await waitFor('the aborted pull to clean up', async () => {
      const ingest = await fsp.readdir(path.join(d.dataRoot, 'blobs', 'ingest'));
      const blobs = await fsp.readdir(path.join(d.dataRoot, 'blobs', 'sha256'));
      const temps = (await fsp.readdir(path.join(d.dataRoot, 'snapshots'))).filter((n) => n.startsWith('.tmp'));
      return ingest.length === 0 && blobs.length === 0 && temps.length === 0 ? true : undefined;
    }, { timeoutMs: 20_000 });
    assert.equal(await imageCount(d), 0);
    proxy.set('none');
  });

  test('a blob redirect is followed', async () => {
    proxy.set('redirect');
    const r = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`]);
    assert.match(r.stdout.toString(), /Downloaded newer image/);
    await d.docker(['rmi', `${proxy.host}/umoci/busybox:v1`]);
  });

  test('429 and 5xx answers are retried, then reported', async () => {
    proxy.set('status', { times: 1, status: 429 });
    const limited = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`]);
    assert.match(limited.stdout.toString(), /Downloaded newer image/);
    await d.docker(['rmi', `${proxy.host}/umoci/busybox:v1`]);
    proxy.set('status', { times: 1, status: 503 });
    const ok = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`]);
    assert.match(ok.stdout.toString(), /Downloaded newer image/);
    await d.docker(['rmi', `${proxy.host}/umoci/busybox:v1`]);
    proxy.set('status', { status: 500 });
    const bad = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`], { allowFailure: true, timeoutMs: 90_000 });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unavailable: service unavailable|500 Internal Server Error/);
    assert.equal(await imageCount(d), 0);
    proxy.set('none');
  });
});
