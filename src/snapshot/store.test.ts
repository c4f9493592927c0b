import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { silentLogger } from '../util/index.js';
import { chainIdOf } from './chain-id.js';
import { chunked, diffDirOf, openStore, packTar, sha256 } from './layer-fixtures.js';
import { SnapshotStore } from './store.js';
import { diskUsage } from './usage.js';

const execFileP = promisify(execFile);

const hex = (id: string) => id.slice('sha256:'.length);

test('chainIdOf: the diffId at the bottom, sha256("<parent> <diffId>") above', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  assert.equal(chainIdOf(undefined, a), a);
  assert.equal(chainIdOf(a, b), `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`);
});

test('applies a chain: diffId of the uncompressed bytes, chainId, info.json, stat, list, lowerDirs', async (t) => {
  const { store, root } = await openStore(t);
  const base = await packTar([{ name: 'a', body: 'A' }]);
  const top = await packTar([{ name: 'b', body: 'BB' }]);
  const r1 = await store.applyLayer(undefined, chunked(base));
  const { usageBytes, ...rest1 } = r1;
  assert.deepEqual(rest1, { chainId: sha256(base), diffId: sha256(base), sizeBytes: 1, tarBytes: base.length });
  assert.equal(usageBytes, Number((await execFileP('du', ['-sb', path.join(root, hex(r1.chainId), 'diff')])).stdout.split('\t')[0]) + 4096 + 320, 'usage is du -sb of the layer plus its directory and record');
  const r2 = await store.applyLayer(r1.chainId, Readable.from([gzipSync(top)]));
  assert.equal(r2.diffId, sha256(top), 'a gzip layer hashes its uncompressed bytes');
  assert.equal(r2.chainId, chainIdOf(r1.chainId, r2.diffId));
  const info = JSON.parse(await fsp.readFile(path.join(root, hex(r2.chainId), 'info.json'), 'utf8'));
  assert.deepEqual({ ...info, created: typeof info.created, usageBytes: typeof info.usageBytes }, { chainId: r2.chainId, parent: r1.chainId, diffId: r2.diffId, sizeBytes: 2, tarBytes: top.length, usageBytes: 'number', created: 'string' });
  assert.deepEqual(await store.stat(r2.chainId), info);
  assert.deepEqual((await store.list()).map((i) => i.chainId).sort(), [r1.chainId, r2.chainId].sort());
  assert.deepEqual(await store.lowerDirs(r2.chainId), [path.join(root, hex(r2.chainId), 'diff'), path.join(root, hex(r1.chainId), 'diff')]);
  assert.equal(await fsp.readFile(path.join(await diffDirOf(store, r2.chainId), 'b'), 'utf8'), 'BB');
  assert.equal(store.has(r2.chainId), true);
});

test('the same layer applied twice, or four times at once, is extracted into one directory', async (t) => {
  const { store, root } = await openStore(t);
  const bytes = await packTar([{ name: 'f', body: 'same' }]);
  const first = await store.applyLayer(undefined, chunked(bytes));
  const again = await store.applyLayer(undefined, chunked(bytes));
  assert.deepEqual(again, first);
  const { store: other, root: otherRoot } = await openStore(t);
  const all = await Promise.all([1, 2, 3, 4].map(() => other.applyLayer(undefined, chunked(bytes))));
  assert.ok(all.every((r) => r.chainId === first.chainId));
  assert.deepEqual(await fsp.readdir(root), [hex(first.chainId)]);
  assert.deepEqual(await fsp.readdir(otherRoot), [hex(first.chainId)], 'no temp directory left by the losers');
});

test('an expected diffId that matches an existing chain skips the stream; a wrong one leaves nothing', async (t) => {
  const { store, root } = await openStore(t);
  const bytes = await packTar([{ name: 'f', body: 'x' }]);
  await assert.rejects(
    store.applyLayer(undefined, chunked(bytes), { expectedDiffId: `sha256:${'0'.repeat(64)}` }),
    (e: Error) => e instanceof InvalidArgumentError && e.message.includes('diffId mismatch') && e.message.includes(sha256(bytes)),
  );
  assert.deepEqual(await fsp.readdir(root), []);
  const r = await store.applyLayer(undefined, chunked(bytes), { expectedDiffId: sha256(bytes) });
  const unread = new PassThrough();
  assert.deepEqual(await store.applyLayer(undefined, unread, { expectedDiffId: sha256(bytes) }), r);
  assert.equal(unread.destroyed, true, 'the caller\'s stream is destroyed, not left open');
});

test('refuses what is not a usable layer, leaving nothing', async (t) => {
  const { store, root } = await openStore(t);
  const tar = await packTar([{ name: 'f', body: 'x'.repeat(5000) }]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['zstd', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(600)]), /zstd/],
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]), /xz/],
    ['text', Buffer.from('this is not a tar archive, just some text that goes on and on'.repeat(20)), /tar/],
    ['truncated tar', tar.subarray(0, 3000), /unexpected end/],
    ['truncated gzip', gzipSync(tar).subarray(0, 40), /compressed/],
  ];
  if (typeof (await import('node:zlib') as Record<string, unknown>).createZstdDecompress === 'function') cases.shift();
  for (const [what, bytes, message] of cases) {
    await assert.rejects(store.applyLayer(undefined, chunked(bytes)), (e: Error) => {
      assert.ok(e instanceof InvalidArgumentError, `${what}: got ${e.name}: ${e.message}`);
      assert.match(e.message, message, what);
      return true;
    });
  }
  assert.deepEqual(await fsp.readdir(root), []);
});

test('an abort mid-layer rejects with AbortError and leaves nothing', async (t) => {
  const { store, root } = await openStore(t);
  const bytes = await packTar([{ name: 'big', body: 'x'.repeat(100_000) }]);
  const input = new PassThrough();
  input.write(bytes.subarray(0, 20_000));
  const ac = new AbortController();
  const applying = store.applyLayer(undefined, input, { signal: ac.signal });
  setImmediate(() => ac.abort());
  await assert.rejects(applying, { name: 'AbortError' });
  assert.equal(input.destroyed, true);
  assert.deepEqual(await fsp.readdir(root), []);
});

test('remove: a parent is refused while a child stands on it; missing is fine', async (t) => {
  const { store, root } = await openStore(t);
  const p = await store.applyLayer(undefined, chunked(await packTar([{ name: 'p', body: 'p' }])));
  const c = await store.applyLayer(p.chainId, chunked(await packTar([{ name: 'c', body: 'c' }])));
  await assert.rejects(store.remove(p.chainId), (e: Error) => e instanceof ConflictError && e.message.includes(c.chainId));
  await store.remove(c.chainId);
  await store.remove(p.chainId);
  await store.remove(p.chainId);
  assert.equal(store.has(p.chainId), false);
  await assert.rejects(store.stat(p.chainId), NotFoundError);
  assert.deepEqual(await fsp.readdir(root), []);
});

test('applying on a missing parent is NotFound; malformed ids are InvalidArgument', async (t) => {
  const { store } = await openStore(t);
  const input = new PassThrough();
  await assert.rejects(store.applyLayer(`sha256:${'c'.repeat(64)}`, input), NotFoundError);
  assert.equal(input.destroyed, true);
  for (const bad of ['sha256:../../etc', 'c'.repeat(64), `sha512:${'c'.repeat(64)}`]) {
    assert.throws(() => store.has(bad), InvalidArgumentError);
    await assert.rejects(store.remove(bad), InvalidArgumentError);
    await assert.rejects(store.lowerDirs(bad), InvalidArgumentError);
  }
});

test('init sweeps interrupted work and finds committed snapshots again', async (t) => {
  const { store, root } = await openStore(t);
  const r = await store.applyLayer(undefined, chunked(await packTar([{ name: 'f', body: 'x' }])));
  await fsp.mkdir(path.join(root, '.tmp-apply-0123456789abcdef', 'diff'), { recursive: true });
  await fsp.writeFile(path.join(root, '.tmp-apply-0123456789abcdef', 'diff', 'half'), 'written');
  const reopened = new SnapshotStore({ root, logger: silentLogger() });
  await reopened.init();
  assert.deepEqual(await fsp.readdir(root), [hex(r.chainId)]);
  assert.deepEqual(await reopened.stat(r.chainId), await store.stat(r.chainId));
});

test('diskUsage counts as du -sb: directories, files, symlinks, each hard-linked inode once', async (t) => {
  const dir = await fsp.mkdtemp(path.join((await import('node:os')).tmpdir(), 'berth-usage-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  await fsp.mkdir(path.join(dir, 'a/b'), { recursive: true });
  await fsp.writeFile(path.join(dir, 'a/b/f'), Buffer.alloc(12_345, 1));
  await fsp.link(path.join(dir, 'a/b/f'), path.join(dir, 'a/g'));
  await fsp.symlink('../some/where/else', path.join(dir, 'a/l'));
  await fsp.writeFile(path.join(dir, 'empty'), '');
  const du = Number((await execFileP('du', ['-sb', dir])).stdout.split('\t')[0]);
  assert.equal(await diskUsage(dir), du);
  assert.equal(await diskUsage(path.join(dir, 'missing')), 0);
});

test('init measures the usage of snapshots committed without it (ADR 0003 data-roots)', async (t) => {
  const { store, root } = await openStore(t);
  const r = await store.applyLayer(undefined, chunked(await packTar([{ name: 'a', body: 'A' }])));
  const file = path.join(root, hex(r.chainId), 'info.json');
  const { usageBytes, tarBytes, ...old } = JSON.parse(await fsp.readFile(file, 'utf8')) as Record<string, unknown>;
  assert.equal(typeof usageBytes, 'number');
  assert.equal(typeof tarBytes, 'number');
  await fsp.writeFile(file, JSON.stringify(old));
  const again = new SnapshotStore({ root, logger: silentLogger() });
  await again.init();
  assert.equal((await again.stat(r.chainId)).usageBytes, usageBytes);
  assert.equal((JSON.parse(await fsp.readFile(file, 'utf8')) as { usageBytes: number }).usageBytes, usageBytes, 'written back');
});
