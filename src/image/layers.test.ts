import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ContentStore } from './content.js';
import { ingestCompressed, isUncompressed, openUncompressed, storeLayer, uncompressedSize } from './layers.js';
import type { Snapshots } from './snapshots.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function content(t: { after: (fn: () => Promise<void>) => void }): Promise<ContentStore> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-layers-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const c = new ContentStore(path.join(dir, 'blobs'), path.join(dir, 'ingest'));
  await c.init();
  return c;
}

/** A snapshotter that reads the (plain or gzip) tar whole and checks the diffId, as the real one. */
function fakeSnapshots(opts: { has?: boolean } = {}): Snapshots & { applied: Buffer[] } {
  const applied: Buffer[] = [];
  return {
    applied,
    has: () => opts.has ?? false,
    async applyLayer(_parent, tar, o) {
      const chunks: Buffer[] = [];
      await pipeline(tar, new Writable({ write(c: Buffer, _e, cb) { chunks.push(c); cb(); } }));
      let bytes = Buffer.concat(chunks);
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      if (o?.expectedDiffId && sha(bytes) !== o.expectedDiffId) throw new (await import('../errors/index.js')).InvalidArgumentError(`layer diffId mismatch: expected ${o.expectedDiffId}, got ${sha(bytes)}`);
      await o?.commitAfter;
      applied.push(bytes);
      return { chainId: sha(bytes), diffId: sha(bytes), sizeBytes: bytes.length, tarBytes: bytes.length };
    },
    stat: async () => ({ sizeBytes: 0 }),
    lowerDirs: async () => [],
    remove: async () => undefined,
  };
}

const TAR = Buffer.concat([Buffer.from('pretend this is a tar stream '.repeat(4000)), Buffer.alloc(1024)]);

test('storeLayer: a plain tar is gzipped once into the store and extracted in the same pass', async (t) => {
  const c = await content(t);
  const snaps = fakeSnapshots();
  const r = await storeLayer({ content: c, snapshots: snaps, isReferenced: () => false }, undefined, sha(TAR), Readable.from([TAR.subarray(0, 5000), TAR.subarray(5000)]), { chainId: sha(TAR) });
  assert.equal(r.appliedSnapshot, true);
  assert.deepEqual(snaps.applied, [TAR]);
  const blob = await fsp.readFile(c.pathOf(r.blob.blobDigest));
  assert.equal(blob[0], 0x1f, 'stored as gzip');
  assert.ok(blob.length < TAR.length / 10, `gzip of ${TAR.length} is ${blob.length}`);
  assert.deepEqual(gunzipSync(blob), TAR);
  assert.deepEqual({ ...r.blob, blobDigest: typeof r.blob.blobDigest }, { blobDigest: 'string', mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', blobSizeBytes: blob.length, diffSizeBytes: TAR.length });
  assert.deepEqual(await c.list(), [r.blob.blobDigest], 'no uncompressed copy');
});

test('storeLayer: a gzip tar is stored as it is; a wrong diffId leaves nothing in the store', async (t) => {
  const c = await content(t);
  const gz = gzipSync(TAR, { level: 1 });
  const r = await storeLayer({ content: c, snapshots: fakeSnapshots(), isReferenced: () => false }, undefined, sha(TAR), Readable.from([gz]), { chainId: sha(TAR) });
  assert.equal(r.blob.blobDigest, sha(gz), 'the bytes as given');
  const c2 = await content(t);
  await assert.rejects(
    storeLayer({ content: c2, snapshots: fakeSnapshots(), isReferenced: () => false }, undefined, `sha256:${'0'.repeat(64)}`, Readable.from([gz]), { chainId: `sha256:${'0'.repeat(64)}` }),
    /diffId mismatch/,
  );
  assert.deepEqual(await c2.list(), []);
});

test('storeLayer: when the snapshot exists only the blob is written, the diffId still checked', async (t) => {
  const c = await content(t);
  const snaps = fakeSnapshots({ has: true });
  const r = await storeLayer({ content: c, snapshots: snaps, isReferenced: () => false }, undefined, sha(TAR), Readable.from([TAR]), { chainId: sha(TAR) });
  assert.equal(r.appliedSnapshot, false);
  assert.deepEqual(snaps.applied, []);
  assert.equal(r.blob.diffSizeBytes, TAR.length);
  await assert.rejects(storeLayer({ content: c, snapshots: snaps, isReferenced: () => true }, undefined, `sha256:${'1'.repeat(64)}`, Readable.from([TAR]), { chainId: sha(TAR) }), /digest mismatch/);
});

test('ingestCompressed, openUncompressed, uncompressedSize: the diff round-trips to the same diffId', async (t) => {
  const c = await content(t);
  const { diffId, blob } = await ingestCompressed(c, Readable.from([TAR]));
  assert.equal(diffId, sha(TAR));
  const layer = { diffId, ...blob };
  assert.equal(isUncompressed(layer), false);
  const chunks: Buffer[] = [];
  for await (const ch of openUncompressed(c, layer)) chunks.push(ch as Buffer);
  assert.deepEqual(Buffer.concat(chunks), TAR);
  assert.equal(await uncompressedSize(c, layer), TAR.length);
  const { diffSizeBytes: _d, ...unrecorded } = layer;
  assert.equal(await uncompressedSize(c, unrecorded), TAR.length, 'counted when not recorded');
  const legacy = await c.put(TAR);
  const old = { diffId: legacy.digest, blobDigest: legacy.digest, mediaType: 'application/vnd.oci.image.layer.v1.tar', blobSizeBytes: TAR.length };
  assert.equal(isUncompressed(old), true);
  assert.equal(await uncompressedSize(c, old), TAR.length);
});
