import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { umociImage } from '../helpers/fixtures.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { Authorizer, TokenCache } from '../../src/registry/auth.js';
import { RepositoryClient } from '../../src/registry/repository.js';
import { digestOf } from '../../src/registry/manifest.js';

interface Inspect { Id: string; RepoTags: string[]; RepoDigests: string[] }

async function inspect(d: TestDaemon, name: string): Promise<Inspect> {
  return (JSON.parse((await d.docker(['image', 'inspect', name])).stdout.toString()) as Inspect[])[0]!;
}

async function registryDigest(reg: TestRegistry, repo: string, tag: string): Promise<string> {
  const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.status, 200, `${repo}:${tag} in the registry`);
  return res.headers.get('docker-content-digest')!;
}

describe('push to a registry and pull back', needsDocker, () => {
  let reg: TestRegistry;
  let a: TestDaemon;
  let b: TestDaemon;
  before(async () => {
    const { dockerArchive } = await umociImage();
    reg = await startRegistry('push');
    a = await startDaemon('registry-push-a');
    b = await startDaemon('registry-push-b', [], { config: { 'insecure-registries': [reg.host], 'max-concurrent-downloads': 1 } });
    await a.docker(['load', '-i', dockerArchive]);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await reg?.stop();
  });

  test('docker push uploads layers, config and manifest; the registry serves the same digest', async () => {
    const ref = `${reg.host}/app:v1`;
    await a.docker(['tag', 'umoci/busybox:v1', ref]);
    const r = await a.docker(['push', ref]);
    const out = r.stdout.toString();
    assert.match(out, new RegExp(`^The push refers to repository \\[${reg.host.replace(/\./g, '\\.')}/app\\]$`, 'm'));
    assert.equal((out.match(/^[0-9a-f]{12}: Pushed$/gm) ?? []).length, 2, out);
    const m = /^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$/m.exec(out);
    assert.ok(m, out);
    assert.equal(await registryDigest(reg, 'app', 'v1'), m[1]);
    const img = await inspect(a, ref);
    assert.ok(img.RepoDigests.includes(`${reg.host}/app@${m[1]}`), JSON.stringify(img.RepoDigests));
    const ev = await a.docker(['events', '--since', '0', '--until', String(Math.ceil(Date.now() / 1000) + 1), '--filter', 'event=push', '--format', '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}}']);
    assert.equal(ev.stdout.toString(), `push ${ref} ${reg.host}/app\n`);
  });

  test('a second push skips what the registry has; another repository mounts it', async () => {
    const again = await a.docker(['push', `${reg.host}/app:v1`]);
    assert.equal((again.stdout.toString().match(/: Layer already exists$/gm) ?? []).length, 2, again.stdout.toString());
    await a.docker(['tag', 'umoci/busybox:v1', `${reg.host}/other:v2`]);
    const other = await a.berth(['push', `${reg.host}/other:v2`]);
    assert.equal((other.stdout.toString().match(/: Mounted from app$/gm) ?? []).length, 2, other.stdout.toString());
    assert.equal(await registryDigest(reg, 'other', 'v2'), await registryDigest(reg, 'app', 'v1'));
  });

  test('another daemon pulls the pushed image back with identical ids and digests', async () => {
    const ref = `${reg.host}/app:v1`;
    const r = await b.docker(['pull', ref]);
    // b allows one download at a time (max-concurrent-downloads: 1): the second layer waits.
    assert.match(r.stdout.toString(), /^[0-9a-f]{12}: Waiting$/m);
    const pulled = await inspect(b, ref);
    const pushed = await inspect(a, ref);
    assert.equal(pulled.Id, pushed.Id);
    assert.deepEqual(pulled.RepoDigests, [`${reg.host}/app@${await registryDigest(reg, 'app', 'v1')}`]);
    // Up to date now: berth and docker print the daemon's stream the same way.
    const viaDocker = (await b.docker(['pull', ref])).stdout.toString();
    assert.match(viaDocker, /^Status: Image is up to date for /m);
    assert.equal((await b.berth(['pull', ref])).stdout.toString(), viaDocker);
    const run = await b.docker(['run', '--rm', ref, 'cat', '/hello']);
    assert.equal(run.stdout.toString(), 'hello from layer two\n');
  });

  test('pull -a fetches every tag of a repository', async () => {
    await a.docker(['tag', 'umoci/busybox:v1', `${reg.host}/many:one`]);
    await a.docker(['tag', 'umoci/busybox:v1', `${reg.host}/many:two`]);
    const pushed = await a.docker(['push', '--all-tags', `${reg.host}/many`]);
    assert.match(pushed.stdout.toString(), /^one: digest: /m);
    assert.match(pushed.stdout.toString(), /^two: digest: /m);
    const r = await b.docker(['pull', '-a', `${reg.host}/many`]);
    const out = r.stdout.toString();
    assert.match(out, /^one: Pulling from many$/m);
    assert.match(out, /^two: Pulling from many$/m);
    assert.equal(out.trim().split('\n').at(-1), `${reg.host}/many`);
    const tags = (await b.docker(['images', '--format', '{{.Repository}}:{{.Tag}}', `${reg.host}/many`])).stdout.toString().trim().split('\n').filter((l) => l.includes('/many:')).sort();
    assert.deepEqual(tags, [`${reg.host}/many:one`, `${reg.host}/many:two`]);
  });

  test('pushing an image that does not exist gets docker\'s message', async () => {
    const r = await a.docker(['push', `${reg.host}/nothing:v1`], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Error response from daemon: (tag does not exist|An image does not exist locally with the tag): ${reg.host}/nothing`));
  });

  test('chunked and monolithic uploads both land the same blob', async () => {
    const dir = await scratchDir('chunked');
    try {
      const blob = Buffer.alloc(300_000, 7);
      for (let i = 0; i < blob.length; i += 997) blob[i] = i & 0xff;
      const digest = digestOf(blob);
      const repo = new RepositoryClient({ url: new URL(reg.url), tls: {}, isMirror: false }, 'chunks', new Authorizer({}, [], new TokenCache(), async () => ({})));
      await repo.ping();
      const loc = await repo.startUpload();
      await repo.upload(loc, digest, blob.length, (s, e) => Readable.from([blob.subarray(s, e)]), 64 * 1024);
      assert.equal(await repo.headBlob(digest), blob.length);
      const back = await repo.readBlob(digest, 1 << 20);
      assert.equal(digestOf(back), digest);
      const small = Buffer.from('monolithic');
      const loc2 = await repo.startUpload();
      await repo.upload(loc2, digestOf(small), small.length, () => Readable.from([small]), 64 * 1024);
      assert.equal(await repo.headBlob(digestOf(small)), small.length);
      await fsp.writeFile(path.join(dir, 'done'), '');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
