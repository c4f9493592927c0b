import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import tar from 'tar-stream';
import { lgetxattr } from '../sys/index.js';
import { chunked, mountsUnder, openStore, packTar, tempDir } from './layer-fixtures.js';

test('120 single-file layers mount read-only, every file visible; unmount leaves no mount', async (t) => {
  const { store } = await openStore(t);
  let top: string | undefined;
  for (let i = 0; i < 120; i++) {
    top = (await store.applyLayer(top, chunked(await packTar([{ name: `f${i}`, body: `layer ${i}` }])))).chainId;
  }
  assert.equal((await store.lowerDirs(top!)).length, 120);
  const target = path.join(await tempDir(t), 'merged');
  await fsp.mkdir(target);
  await store.mount(top!, target);
  try {
    assert.deepEqual(await mountsUnder(target), [target]);
    const names = await fsp.readdir(target);
    assert.equal(names.length, 120);
    assert.deepEqual(names.sort(), Array.from({ length: 120 }, (_, i) => `f${i}`).sort());
    assert.equal(await fsp.readFile(path.join(target, 'f0'), 'utf8'), 'layer 0');
    assert.equal(await fsp.readFile(path.join(target, 'f119'), 'utf8'), 'layer 119');
    await assert.rejects(fsp.writeFile(path.join(target, 'new'), 'x'), { code: 'EROFS' });
  } finally {
    await store.unmount(target);
  }
  assert.deepEqual(await mountsUnder(target), []);
  await store.unmount(target); // not mounted: nothing to do
});

test('a single layer mounts read-only (a bind mount: overlayfs wants two lowers without an upper)', async (t) => {
  const { store } = await openStore(t);
  const r = await store.applyLayer(undefined, chunked(await packTar([{ name: 'only', body: 'one' }])));
  const target = path.join(await tempDir(t), 'merged');
  await fsp.mkdir(target);
  await store.mount(r.chainId, target);
  try {
    assert.equal(await fsp.readFile(path.join(target, 'only'), 'utf8'), 'one');
    await assert.rejects(fsp.writeFile(path.join(target, 'only'), 'x'), { code: 'EROFS' });
  } finally {
    await store.unmount(target);
  }
  assert.deepEqual(await mountsUnder(target), []);
});

test('a writable mount records deletions as whiteouts; diffTar writes them as .wh. entries that apply back', async (t) => {
  const { store } = await openStore(t);
  const base = await store.applyLayer(undefined, chunked(await packTar([
    { name: 'keep', body: 'kept' },
    { name: 'gone', body: 'to delete' },
    { name: 'd/', type: 'directory' },
    { name: 'd/old', body: 'hidden by the opaque dir' },
  ])));
  const dir = await tempDir(t);
  const [upperDir, workDir, merged] = ['upper', 'work', 'merged'].map((n) => path.join(dir, n)) as [string, string, string];
  for (const d of [upperDir, workDir, merged]) await fsp.mkdir(d);
  await store.mount(base.chainId, merged, { upperDir, workDir });
  try {
    await fsp.unlink(path.join(merged, 'gone'));
    await fsp.rm(path.join(merged, 'd'), { recursive: true });
    await fsp.mkdir(path.join(merged, 'd'));
    await fsp.writeFile(path.join(merged, 'd', 'new'), 'fresh');
    await fsp.writeFile(path.join(merged, 'added'), 'added', { mode: 0o640 });
    await fsp.link(path.join(merged, 'added'), path.join(merged, 'added-link'));
  } finally {
    await store.unmount(merged);
  }
  const wh = await fsp.lstat(path.join(upperDir, 'gone'));
  assert.deepEqual([wh.isCharacterDevice(), wh.rdev], [true, 0], 'overlayfs wrote a 0/0 whiteout');
  assert.equal(lgetxattr(path.join(upperDir, 'd'), 'trusted.overlay.opaque')?.toString(), 'y');

  const bytes = await buffer(store.diffTar(upperDir));
  assert.deepEqual(await tarNames(bytes), [
    ['added', 'file'], ['added-link', 'link'], ['d/', 'directory'], ['d/.wh..wh..opq', 'file'], ['d/new', 'file'], ['.wh.gone', 'file'],
  ]);

  const top = await store.applyLayer(base.chainId, chunked(bytes));
  await store.mount(top.chainId, merged);
  try {
    assert.deepEqual((await fsp.readdir(merged)).sort(), ['added', 'added-link', 'd', 'keep']);
    assert.deepEqual(await fsp.readdir(path.join(merged, 'd')), ['new']);
    assert.equal((await fsp.stat(path.join(merged, 'added-link'))).ino, (await fsp.stat(path.join(merged, 'added'))).ino);
  } finally {
    await store.unmount(merged);
  }
  assert.deepEqual(await mountsUnder(dir), []);
});

/** Names and types as tar-stream (an independent reader) sees them. */
async function tarNames(bytes: Buffer): Promise<Array<[string, string]>> {
  const seen: Array<[string, string]> = [];
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    seen.push([h.name, h.type]);
    stream.on('end', () => next());
    stream.resume();
  });
  const done = new Promise<void>((resolve, reject) => { ex.on('finish', resolve); ex.on('error', reject); });
  ex.end(bytes);
  await done;
  return seen;
}
