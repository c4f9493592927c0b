import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { umociImage } from '../helpers/fixtures.js';
import { seedImage, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../helpers/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = new URL(start.headers.get('location')!, reg.url);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(put.status, 201, await put.text());
  return digest;
}

async function putManifest(reg: TestRegistry, repo: string, tag: string, bytes: Buffer, mediaType: string): Promise<string> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: bytes, headers: { 'Content-Type': mediaType } });
  assert.equal(res.status, 201, await res.text());
  return sha(bytes);
}

/** An OCI index with the umoci image as linux/amd64 and the same layers re-labelled linux/arm64/v8. */
async function makeMultiPlatform(reg: TestRegistry, repo: string): Promise<{ index: string; amd64: string; arm64: string }> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/amd64`, { headers: { Accept: OCI_MANIFEST } });
  const amdBytes = Buffer.from(await res.arrayBuffer());
  const amd = JSON.parse(amdBytes.toString()) as { config: { digest: string; size: number; mediaType: string } };
  const cfg = JSON.parse(Buffer.from(await (await fetch(`${reg.url}/v2/${repo}/blobs/${amd.config.digest}`)).arrayBuffer()).toString()) as Record<string, unknown>;
  const armCfg = Buffer.from(JSON.stringify({ ...cfg, architecture: 'arm64', variant: 'v8' }));
  const armCfgDigest = await putBlob(reg, repo, armCfg);
  const armBytes = Buffer.from(JSON.stringify({ ...amd, config: { ...amd.config, digest: armCfgDigest, size: armCfg.length } }));
  const arm64 = await putManifest(reg, repo, 'arm64', armBytes, OCI_MANIFEST);
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: sha(amdBytes), size: amdBytes.length, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: OCI_MANIFEST, digest: arm64, size: armBytes.length, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  }));
  return { index: await putManifest(reg, repo, 'latest', index, OCI_INDEX), amd64: sha(amdBytes), arm64 };
}

interface Inspect { Id: string; Architecture: string; Variant?: string; RepoDigests: string[] }
async function inspect(d: TestDaemon, name: string): Promise<Inspect> {
  return (JSON.parse((await d.docker(['image', 'inspect', name])).stdout.toString()) as Inspect[])[0]!;
}

describe('manifest lists, platforms and progress', needsDocker, () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let d: TestDaemon;
  let digests: { index: string; amd64: string; arm64: string };
  before(async () => {
    const { layout } = await umociImage();
    reg = await startRegistry('platform');
    await seedImage(`oci:${layout}:v1`, `${reg.host}/multi:amd64`);
    digests = await makeMultiPlatform(reg, 'multi');
    proxy = await startFaultProxy(reg.url);
    d = await startDaemon('registry-platform');
  });
  after(async () => {
    await d?.stop();
    await proxy?.stop();
    await reg?.stop();
  });

  test('an index resolves to this host\'s platform; RepoDigests holds the index digest', async () => {
    await d.docker(['pull', `${reg.host}/multi`]);
    const img = await inspect(d, `${reg.host}/multi`);
    assert.equal(img.Architecture, 'amd64');
    assert.deepEqual(img.RepoDigests, [`${reg.host}/multi@${digests.index}`]);
  });

  test('--platform picks another entry, including its variant', async () => {
    const r = await d.docker(['pull', '--platform', 'linux/arm64', `${reg.host}/multi:latest`]);
    assert.match(r.stdout.toString(), /Status: Downloaded newer image/);
    const img = await inspect(d, `${reg.host}/multi:latest`);
    assert.equal(img.Architecture, 'arm64');
    assert.equal(img.Variant, 'v8');
  });

  test('a platform the index lacks gets docker\'s message', async () => {
    const r = await d.docker(['pull', '--platform', 'linux/s390x', `${reg.host}/multi:latest`], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: no matching manifest for linux\/s390x in the manifest list entries/);
  });

  // Regression (issue 11, finding 6): the route was missing (404 "page not found").
  test('GET /distribution/{name}/json: an index\'s descriptor and every platform; a manifest\'s from its config', async () => {
    const bytesOf = async (ref: string, accept: string) => Buffer.from(await (await fetch(`${reg.url}/v2/multi/manifests/${ref}`, { headers: { Accept: accept } })).arrayBuffer());
    const index = await d.request('GET', `/v1.41/distribution/${reg.host}/multi/json`);
    assert.equal(index.status, 200, index.body);
    assert.equal(index.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(index.body), {
      Descriptor: { mediaType: OCI_INDEX, digest: digests.index, size: (await bytesOf('latest', OCI_INDEX)).length },
      Platforms: [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }],
    });
    const arm = await d.request('GET', `/distribution/${reg.host}/multi:arm64/json`);
    assert.equal(arm.status, 200, arm.body);
    assert.deepEqual(JSON.parse(arm.body), {
      Descriptor: { mediaType: OCI_MANIFEST, digest: digests.arm64, size: (await bytesOf('arm64', OCI_MANIFEST)).length },
      Platforms: [{ architecture: 'arm64', os: 'linux', variant: 'v8' }],
    });
    const byDigest = await d.request('GET', `/distribution/${reg.host}/multi@${digests.amd64}/json`);
    assert.equal(byDigest.status, 200, byDigest.body);
    assert.deepEqual(JSON.parse(byDigest.body), {
      Descriptor: { mediaType: OCI_MANIFEST, digest: digests.amd64, size: (await bytesOf(digests.amd64, OCI_MANIFEST)).length },
      Platforms: [{ architecture: 'amd64', os: 'linux' }],
    });
    // The registry's refusals with dockerd's status and words (errcode's).
    const tag = await d.request('GET', `/distribution/${reg.host}/multi:nosuch/json`);
    assert.deepEqual([tag.status, JSON.parse(tag.body)], [404, { message: 'manifest unknown: manifest unknown' }]);
    const repo = await d.request('GET', `/distribution/${reg.host}/nosuch/json`);
    // distribution 2.8 answers a manifest of an unknown repository with MANIFEST_UNKNOWN too.
    assert.deepEqual([repo.status, JSON.parse(repo.body)], [404, { message: 'manifest unknown: manifest unknown' }]);
    const id = await d.request('GET', `/distribution/${'a'.repeat(64)}/json`);
    assert.deepEqual([id.status, JSON.parse(id.body)], [500, { message: 'no manifest found for full image ID' }]);
  });

  test('the API streams docker\'s progress messages', async () => {
    const e = await startDaemon('registry-progress');
    let res: Awaited<ReturnType<TestDaemon['request']>>;
    try {
      res = await e.request('POST', `/images/create?fromImage=${encodeURIComponent(`${proxy.host}/multi`)}&tag=amd64`);
    } finally {
      await e.stop();
    }
    assert.equal(res.status, 200);
    const msgs = res.body.trim().split('\n').map((l) => JSON.parse(l) as { status?: string; id?: string; progressDetail?: { current?: number; total?: number } });
    const statuses = new Set(msgs.map((m) => m.status));
    for (const s of ['Pulling fs layer', 'Downloading', 'Verifying Checksum', 'Download complete', 'Extracting', 'Pull complete']) assert.ok(statuses.has(s), `${s} in ${[...statuses].join(', ')}`);
    const dl = msgs.find((m) => m.status === 'Downloading')!;
    assert.ok((dl.progressDetail?.total ?? 0) > 0 && (dl.progressDetail?.current ?? 0) > 0);
    assert.equal(msgs[0]!.status, 'Pulling from multi');
    assert.equal(msgs[0]!.id, 'amd64');
    assert.equal(msgs.at(-1)!.status, `Status: Downloaded newer image for ${proxy.host}/multi:amd64`);
  });

  test('concurrent pulls of one image share each layer download', async () => {
    const ref = `${proxy.host}/multi:arm64`;
    proxy.blobGets.length = 0;
    const e = await startDaemon('registry-concurrent');
    let a: Awaited<ReturnType<TestDaemon['docker']>>;
    let b: Awaited<ReturnType<TestDaemon['docker']>>;
    try {
      [a, b] = await Promise.all([e.docker(['pull', ref]), e.berth(['pull', ref])]);
      assert.equal((await inspect(e, ref)).Architecture, 'arm64');
    } finally {
      await e.stop();
    }
    assert.match(a.stdout.toString() + b.stdout.toString(), /Downloaded newer image|Image is up to date/);
    const manifest = await (await fetch(`${reg.url}/v2/multi/manifests/arm64`, { headers: { Accept: OCI_MANIFEST } })).json() as { layers: Array<{ digest: string }> };
    const counts = manifest.layers.map((l) => proxy.blobGets.filter((g) => g.path.endsWith(l.digest)).length);
    assert.deepEqual(counts, manifest.layers.map(() => 1), 'each layer fetched once');
  });
});
