/**
 * Issue 19, ADR 0022: an image costs its size about once on disk. A pulled layer is kept as
 * its compressed blob (as pulled) beside its snapshot; layers made here are gzipped once.
 * `docker save` gunzips (same diffIDs, same image ID after load), push uploads the stored
 * blobs (0 bytes to a registry that has them), `system df` and prune figures match `du -sb`.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { exec, waitFor } from '../../src/util/index.js';
import { needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { umociImage } from '../helpers/fixtures.js';
import { seedImage, startRegistry, type TestRegistry } from '../helpers/registry.js';

interface Inspect { Id: string; RootFS: { Layers: string[] }; Size: number }
interface LayerRecord { diffId: string; blobDigest: string; mediaType: string; blobSizeBytes: number; diffSizeBytes?: number }
interface Df { LayersSize: number; Images: Array<{ Id: string; Size: number; SharedSize: number }>; Containers: Array<{ SizeRw?: number }>; Volumes: Array<{ UsageData?: { Size: number } }> }

async function du(dir: string): Promise<number> {
  return Number((await exec('du', ['-sb', dir])).stdout.toString().split('\t')[0]);
}

async function inspect(d: TestDaemon, name: string): Promise<Inspect> {
  return (JSON.parse((await d.docker(['image', 'inspect', name])).stdout.toString()) as Inspect[])[0]!;
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

async function records(d: TestDaemon): Promise<Array<{ id: string; layers: LayerRecord[] }>> {
  const dir = path.join(d.dataRoot, 'images');
  const out = [];
  for (const n of await fsp.readdir(dir)) if (/^[0-9a-f]{64}\.json$/.test(n)) out.push(JSON.parse(await fsp.readFile(path.join(dir, n), 'utf8')) as { id: string; layers: LayerRecord[] });
  return out;
}

async function df(d: TestDaemon): Promise<Df> {
  const r = await d.request('GET', '/system/df');
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body) as Df;
}

/** What `system df` says the data-root holds: images, containers' layers and logs, volumes. */
function dfTotal(x: Df): number {
  return x.LayersSize + x.Containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0) + x.Volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
}

function within(actual: number, expected: number, ratio: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * ratio, `${what}: ${actual} vs ${expected} (${((actual / expected - 1) * 100).toFixed(2)} %)`);
}

/** Blobs of the content store whose bytes are an uncompressed tar (ustar magic at 257). */
async function uncompressedLayerBlobs(d: TestDaemon): Promise<string[]> {
  const dir = path.join(d.dataRoot, 'blobs', 'sha256');
  const out: string[] = [];
  for (const n of await fsp.readdir(dir)) {
    const fh = await fsp.open(path.join(dir, n), 'r');
    try {
      const b = Buffer.alloc(263);
      const { bytesRead } = await fh.read(b, 0, 263, 0);
      if (bytesRead === 263 && b.toString('latin1', 257, 262) === 'ustar') out.push(n);
    } finally {
      await fh.close();
    }
  }
  return out;
}

/**
 * A three-layer image: umoci's two busybox layers plus one of many directories, random
 * (incompressible) and text (compressible) data, so compressed and uncompressed sizes differ.
 */
async function bigLayout(dir: string): Promise<{ layout: string; tarBytes: number }> {
  const { layout: base } = await umociImage();
  const layout = path.join(dir, 'layout');
  await exec('cp', ['-a', base, layout]);
  const bundle = path.join(dir, 'bundle');
  await exec('umoci', ['unpack', '--image', `${layout}:v1`, bundle]);
  const root = path.join(bundle, 'rootfs', 'data');
  for (let i = 0; i < 120; i++) {
    await fsp.mkdir(path.join(root, `d${i}`, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(root, `d${i}`, 'sub', 'f.txt'), `file ${i}\n`.repeat(50));
  }
  // About as compressible as a typical image (gzip to ~30 %): some random bytes, mostly text.
  await fsp.writeFile(path.join(root, 'random.bin'), randomBytes(1024 * 1024));
  await fsp.writeFile(path.join(root, 'text.txt'), Array.from({ length: 600_000 }, (_, i) => `line ${i} ${(i * 7919) % 10007}\n`).join(''));
  await exec('umoci', ['repack', '--image', `${layout}:v1`, bundle]);
  await fsp.rm(bundle, { recursive: true, force: true });
  const index = JSON.parse(await fsp.readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === 'v1')!;
  const manifest = JSON.parse(await fsp.readFile(path.join(layout, 'blobs', 'sha256', desc.digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
  let tarBytes = 0;
  for (const l of manifest.layers) tarBytes += gunzipSync(await fsp.readFile(path.join(layout, 'blobs', 'sha256', l.digest.slice(7)))).length;
  return { layout, tarBytes };
}

describe('disk: an image costs its size about once (ADR 0022)', needsDocker, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let work: string;
  let tarBytes = 0;
  let ref = '';
  before(async () => {
    work = await scratchDir('images-disk');
    const big = await bigLayout(work);
    tarBytes = big.tarBytes;
    reg = await startRegistry('disk', { accessLog: true });
    ref = `${reg.host}/big:v1`;
    await seedImage(`oci:${big.layout}:v1`, ref);
    d = await startDaemon('images-disk', [], { config: { 'insecure-registries': [reg.host] } });
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  test('a pull stores each layer once as its snapshot plus the compressed blob as pulled; df equals du', async () => {
    const empty = await du(d.dataRoot);
    await d.docker(['pull', ref], { timeoutMs: 120_000 });
    const grown = (await du(d.dataRoot)) - empty;
    const recs = await records(d);
    assert.equal(recs.length, 1);
    const layers = recs[0]!.layers;
    assert.equal(layers.length, 3);
    let compressed = 0;
    for (const l of layers) {
      assert.notEqual(l.blobDigest, l.diffId, 'kept compressed');
      assert.match(l.mediaType, /gzip/);
      assert.equal(await sha256File(path.join(d.dataRoot, 'blobs', 'sha256', l.blobDigest.slice(7))), l.blobDigest);
      compressed += l.blobSizeBytes;
    }
    assert.deepEqual(await uncompressedLayerBlobs(d), [], 'no uncompressed copy of a layer in the content store');
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'distribution', 'partial')), [], 'the download became the blob');
    let snapshots = 0;
    for (const n of await fsp.readdir(path.join(d.dataRoot, 'snapshots'))) if (/^[0-9a-f]{64}$/.test(n)) snapshots += await du(path.join(d.dataRoot, 'snapshots', n));
    console.log(`# disk: uncompressed ${tarBytes}, compressed ${compressed}, snapshots ${snapshots}, data-root grew ${grown} (${(grown / tarBytes).toFixed(3)}x)`);
    within(grown, snapshots + compressed, 0.01, 'growth = snapshots + compressed blobs');
    assert.equal((await fsp.readdir(path.join(d.dataRoot, 'blobs', 'ingest'))).length, 0);
    // The snapshot is the layer's bytes once (plus a directory block per directory); the
    // rest is the compressed blobs, however compressible the data is.
    assert.ok(snapshots >= tarBytes * 0.95 && snapshots <= tarBytes * 1.1, `snapshots ${snapshots} for ${tarBytes} tar bytes`);
    const usage = await df(d);
    within(dfTotal(usage), await du(d.dataRoot), 0.01, 'system df against du -sb of the data-root');
    within(usage.LayersSize, grown, 0.01, 'LayersSize against what the pull added');
    assert.equal(usage.Images[0]!.Size, usage.LayersSize);
    const img = await inspect(d, ref);
    assert.equal(img.Size, usage.LayersSize, 'docker images shows what the image occupies');
  });

  test('docker save gunzips the blobs: rmi + load gives the same image ID and diffIDs', async () => {
    const before = await inspect(d, ref);
    const archive = path.join(work, 'saved.tar');
    await d.docker(['save', '-o', archive, ref], { timeoutMs: 120_000 });
    const out = path.join(work, 'saved');
    await fsp.mkdir(out);
    await exec('tar', ['-xf', archive, '-C', out]);
    const manifest = JSON.parse(await fsp.readFile(path.join(out, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const hashes = [];
    for (const l of manifest[0]!.Layers) hashes.push(await sha256File(path.join(out, l)));
    assert.deepEqual(hashes, before.RootFS.Layers, 'each saved layer hashes to its diffID');
    await fsp.rm(out, { recursive: true, force: true });
    await d.docker(['rmi', ref]);
    assert.deepEqual(await records(d), []);
    await d.docker(['load', '-i', archive], { timeoutMs: 120_000 });
    const loaded = await inspect(d, ref);
    assert.equal(loaded.Id, before.Id);
    assert.deepEqual(loaded.RootFS.Layers, before.RootFS.Layers);
    assert.deepEqual(await uncompressedLayerBlobs(d), [], 'loaded layers are gzipped once, not kept as tar');
    const run = await d.docker(['run', '--rm', ref, 'sh', '-c', 'cat /hello; ls /data | wc -l']);
    assert.equal(run.stdout.toString(), 'hello from layer two\n122\n');
    await fsp.rm(archive, { force: true });
    within(dfTotal(await df(d)), await du(d.dataRoot), 0.01, 'df against du after load');
    // Back to the pulled state for the push tests.
    await d.docker(['rmi', ref]);
    await d.docker(['pull', ref], { timeoutMs: 120_000 });
  });

  test('push back to the registry it came from uploads no layer; another repository mounts them', async () => {
    const uploads = () => reg.log().split('\n').filter((l) => /"(PUT|PATCH) \/v2\/[^"]*\/blobs\/uploads\//.test(l) || /"POST \/v2\/[^"]*\/blobs\/uploads\/(\?(?!mount=)[^"]*)? /.test(l));
    const before = uploads().length;
    const again = (await d.docker(['push', ref])).stdout.toString();
    assert.equal((again.match(/: Layer already exists$/gm) ?? []).length, 3, again);
    assert.deepEqual(uploads().slice(before), [], 'no layer upload reached the registry');
    const other = `${reg.host}/other:v1`;
    await d.docker(['tag', ref, other]);
    const mounted = (await d.docker(['push', other])).stdout.toString();
    assert.equal((mounted.match(/: Mounted from big$/gm) ?? []).length, 3, mounted);
    const layerUploads = uploads().slice(before).filter((l) => !l.includes(`/v2/other/blobs/uploads/`) || /"(PUT|PATCH)/.test(l));
    // The config is the one blob a mount-only push may still send; the layers never are.
    assert.ok(layerUploads.length <= 2, layerUploads.join('\n'));
    await d.docker(['rmi', other]);
  });

  test('container prune reports what du loses; df counts the containers\' layers and logs', async () => {
    await d.docker(['run', '--name', 'writer', ref, 'sh', '-c', 'head -c 3000000 /dev/urandom > /out; echo done']);
    within(dfTotal(await df(d)), await du(d.dataRoot), 0.01, 'df against du with a container');
    // A layer made here (commit, and build steps through it) is gzipped once; push sends just it.
    const committed = `${reg.host}/committed:v1`;
    await d.docker(['commit', 'writer', committed]);
    assert.deepEqual(await uncompressedLayerBlobs(d), [], 'the committed layer is kept as gzip');
    const top = (await records(d)).find((r) => r.layers.length === 4)!.layers[3]!;
    assert.match(top.mediaType, /gzip/);
    assert.equal(top.diffSizeBytes! > 3_000_000, true);
    const pushed = (await d.docker(['push', committed])).stdout.toString();
    assert.equal((pushed.match(/: Pushed$/gm) ?? []).length, 1, pushed);
    assert.equal((pushed.match(/: Mounted from (big|other)$/gm) ?? []).length, 3, pushed);
    const uploaded = reg.log().split('\n').filter((l) => /"PUT \/v2\/committed\/blobs\/uploads\/[^"]*digest=sha256%3A([0-9a-f]{64})/.test(l));
    assert.ok(uploaded.some((l) => l.includes(top.blobDigest.slice(7))), `the stored blob went up as it is:\n${uploaded.join('\n')}`);
    await d.docker(['rmi', committed]);
    const beforeDu = await du(d.dataRoot);
    const r = await d.request('POST', '/containers/prune');
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body) as { ContainersDeleted: string[]; SpaceReclaimed: number };
    assert.equal(body.ContainersDeleted.length, 1);
    const freed = beforeDu - (await du(d.dataRoot));
    assert.ok(freed > 3_000_000, `freed ${freed}`);
    within(body.SpaceReclaimed, freed, 0.01, 'SpaceReclaimed against the du difference');
  });

  test('volumes count as du counts them; volume prune reports what du loses', async () => {
    await d.docker(['run', '--rm', '-v', 'disk-vol:/v', ref, 'sh', '-c', 'mkdir -p /v/a/b && head -c 2000000 /dev/urandom > /v/a/b/f']);
    within(dfTotal(await df(d)), await du(d.dataRoot), 0.01, 'df against du with a volume');
    const beforeDu = await du(d.dataRoot);
    const r = await d.request('POST', `/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['true'] }))}`);
    assert.equal(r.status, 200, r.body);
    const body = JSON.parse(r.body) as { VolumesDeleted: string[]; SpaceReclaimed: number };
    assert.deepEqual(body.VolumesDeleted, ['disk-vol']);
    const freed = beforeDu - (await du(d.dataRoot));
    within(body.SpaceReclaimed, freed, 0.01, 'SpaceReclaimed against the du difference');
  });

  test('image prune -a reports what du loses', async () => {
    const beforeDu = await du(d.dataRoot);
    const r = await d.request('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ dangling: ['false'] }))}`);
    assert.equal(r.status, 200, r.body);
    const reclaimed = (JSON.parse(r.body) as { SpaceReclaimed: number }).SpaceReclaimed;
    const freed = beforeDu - (await du(d.dataRoot));
    assert.ok(freed > tarBytes, `freed ${freed}`);
    within(reclaimed, freed, 0.01, 'SpaceReclaimed against the du difference');
    assert.equal((await df(d)).LayersSize, 0);
  });

  test('system prune -a --volumes reports what du loses', async () => {
    await d.docker(['pull', ref], { timeoutMs: 120_000 });
    await d.docker(['run', '--name', 'stopped', '-v', 'disk-vol2:/v', ref, 'sh', '-c', 'head -c 2000000 /dev/urandom > /out; head -c 1000000 /dev/urandom > /v/f']);
    within(dfTotal(await df(d)), await du(d.dataRoot), 0.01, 'df against du before the prune');
    const beforeDu = await du(d.dataRoot);
    const text = (await d.docker(['system', 'prune', '-a', '--volumes', '-f'], { timeoutMs: 120_000 })).stdout.toString();
    const m = /^Total reclaimed space: ([0-9.]+)([kMG]?B)$/m.exec(text);
    assert.ok(m, text);
    const reclaimed = Number(m[1]) * ({ B: 1, kB: 1e3, MB: 1e6, GB: 1e9 } as Record<string, number>)[m[2]!]!;
    const freed = beforeDu - (await du(d.dataRoot));
    assert.ok(freed > tarBytes + 3_000_000, `freed ${freed}`);
    within(reclaimed, freed, 0.01, 'Total reclaimed space against the du difference');
  });
});

/**
 * A data-root in ADR 0003's layout (every layer an uncompressed blob named by its diffId,
 * snapshots without usage records), made by rewriting one this berthd wrote, is taken over
 * by a new berthd: nothing is lost, the blobs become gzip, the space comes back, df is true.
 */
describe('disk: a data-root of the uncompressed-blob layout (ADR 0003) is migrated', needsDocker, () => {
  let dir = '';
  let d: TestDaemon | undefined;
  before(async () => { dir = await scratchDir('images-disk-migrate'); });
  after(async () => {
    await d?.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function toLegacyLayout(dataRoot: string): Promise<number> {
    const blobs = path.join(dataRoot, 'blobs', 'sha256');
    const recDir = path.join(dataRoot, 'images');
    let written = 0;
    const gz = new Set<string>();
    for (const n of await fsp.readdir(recDir)) {
      if (!/^[0-9a-f]{64}\.json$/.test(n)) continue;
      const rec = JSON.parse(await fsp.readFile(path.join(recDir, n), 'utf8')) as { layers: LayerRecord[] };
      for (const l of rec.layers) {
        const tar = gunzipSync(await fsp.readFile(path.join(blobs, l.blobDigest.slice(7))));
        await fsp.writeFile(path.join(blobs, l.diffId.slice(7)), tar);
        written += tar.length;
        gz.add(l.blobDigest);
        Object.assign(l, { blobDigest: l.diffId, mediaType: 'application/vnd.oci.image.layer.v1.tar', blobSizeBytes: tar.length });
        delete l.diffSizeBytes;
      }
      await fsp.writeFile(path.join(recDir, n), JSON.stringify(rec));
    }
    for (const g of gz) await fsp.rm(path.join(blobs, g.slice(7)));
    const snaps = path.join(dataRoot, 'snapshots');
    for (const n of await fsp.readdir(snaps)) {
      if (!/^[0-9a-f]{64}$/.test(n)) continue;
      const file = path.join(snaps, n, 'info.json');
      const { usageBytes: _u, tarBytes: _t, ...old } = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
      await fsp.writeFile(file, JSON.stringify(old));
    }
    return written;
  }

  test('the new berthd rewrites the blobs as gzip; images run, save/load keep their IDs, df equals du', async () => {
    const { dockerArchive } = await umociImage();
    d = await startDaemon('images-disk-migrate', [], { dir });
    // What an empty data-root holds (directories, network state): no `system df` row owns it.
    const emptyDu = await du(d.dataRoot);
    await d.docker(['load', '-i', dockerArchive]);
    await d.docker(['run', '--name', 'keep', 'umoci/busybox:v1', 'sh', '-c', 'echo kept > /kept']);
    const before = await inspect(d, 'umoci/busybox:v1');
    const exited = new Promise((r) => d!.proc.once('exit', r));
    d.proc.kill('SIGTERM');
    await exited;
    const legacyBytes = await toLegacyLayout(d.dataRoot);
    assert.ok((await uncompressedLayerBlobs(d)).length >= 2, 'the fixture holds uncompressed layer blobs');
    const legacyDu = await du(d.dataRoot);
    d = await startDaemon('images-disk-migrate', [], { dir });
    const dd = d;
    // Records are pointed at the new blob first, then the tar is deleted: wait for both.
    await waitFor('the layer blobs to be rewritten as gzip', async () => (
      (await records(dd)).every((r) => r.layers.every((l) => l.blobDigest !== l.diffId)) && (await uncompressedLayerBlobs(dd)).length === 0 ? true : undefined
    ), { timeoutMs: 60_000 });
    const migratedDu = await du(d.dataRoot);
    assert.ok(legacyDu - migratedDu > legacyBytes * 0.4, `freed ${legacyDu - migratedDu} of ${legacyBytes} uncompressed bytes`);
    const after1 = await inspect(d, 'umoci/busybox:v1');
    assert.equal(after1.Id, before.Id);
    assert.deepEqual(after1.RootFS.Layers, before.RootFS.Layers);
    assert.equal((await d.docker(['start', '-a', 'keep'])).stdout.toString(), '', 'the container made before the switch still starts');
    assert.equal((await d.docker(['run', '--rm', 'umoci/busybox:v1', 'cat', '/hello'])).stdout.toString(), 'hello from layer two\n');
    within(dfTotal(await df(d)), (await du(d.dataRoot)) - emptyDu, 0.01, 'df against du after the migration');
    const archive = path.join(dir, 'saved.tar');
    await d.docker(['save', '-o', archive, 'umoci/busybox:v1']);
    await d.docker(['rm', 'keep']);
    await d.docker(['rmi', 'umoci/busybox:v1']);
    await d.docker(['load', '-i', archive]);
    assert.equal((await inspect(d, 'umoci/busybox:v1')).Id, before.Id);
  });
});
