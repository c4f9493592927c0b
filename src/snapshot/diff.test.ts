import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import { S_IFCHR, S_IFIFO, lgetxattr, lsetxattr, mknod } from '../sys/index.js';
import { chunked, diffDirOf, openStore, tempDir } from './layer-fixtures.js';
import { readTar } from './tar-reader.js';

const CAP = Buffer.from('0100000280040000000000000000000000000000', 'hex');

/** An upper directory as overlayfs and a container would leave it. */
async function makeUpper(upper: string): Promise<void> {
  await fsp.mkdir(path.join(upper, 'etc'));
  await fsp.writeFile(path.join(upper, 'etc', 'conf'), 'conf');
  await fsp.chown(path.join(upper, 'etc', 'conf'), 1000, 2000);
  await fsp.chmod(path.join(upper, 'etc', 'conf'), 0o4750);
  await fsp.utimes(path.join(upper, 'etc', 'conf'), 1_600_000_000, 1_600_000_000);
  await fsp.link(path.join(upper, 'etc', 'conf'), path.join(upper, 'etc', 'conf.hard'));
  await fsp.symlink('/etc/conf', path.join(upper, 'abs-link'));
  await fsp.writeFile(path.join(upper, 'ping'), 'elf');
  lsetxattr(path.join(upper, 'ping'), 'security.capability', CAP);
  lsetxattr(path.join(upper, 'ping'), 'user.note', 'n');
  mknod(path.join(upper, 'fifo'), S_IFIFO, 0o600);
  mknod(path.join(upper, 'tty'), S_IFCHR, 0o620, 4, 1);
  mknod(path.join(upper, 'deleted'), S_IFCHR, 0);
  await fsp.mkdir(path.join(upper, 'opaque'));
  lsetxattr(path.join(upper, 'opaque'), 'trusted.overlay.opaque', 'y');
  lsetxattr(path.join(upper, 'opaque'), 'trusted.overlay.origin', Buffer.from([0, 1, 2]));
  await fsp.writeFile(path.join(upper, 'opaque', 'inside'), 'i');
  await fsp.writeFile(path.join(upper, 'big'), Buffer.alloc(3 * 1024 * 1024 + 7, 0x61));
  await fsp.utimes(path.join(upper, 'etc'), 1_500_000_000, 1_500_000_000);
}

test('diffTar writes every kind of entry, whiteouts in tar form, and applies back the same', async (t) => {
  const upper = await tempDir(t);
  await makeUpper(upper);
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(upper, 'sock'), resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { store } = await openStore(t);
  const bytes = await buffer(store.diffTar(upper));

  const entries: Array<[string, string, string]> = [];
  for await (const { header } of readTar(chunked(bytes))) entries.push([header.name, header.type, header.linkname]);
  assert.deepEqual(entries, [
    ['abs-link', 'symlink', '/etc/conf'], ['big', 'file', ''], ['.wh.deleted', 'file', ''], ['etc/', 'dir', ''],
    ['etc/conf', 'file', ''], ['etc/conf.hard', 'link', 'etc/conf'], ['fifo', 'fifo', ''], ['opaque/', 'dir', ''],
    ['opaque/.wh..wh..opq', 'file', ''], ['opaque/inside', 'file', ''], ['ping', 'file', ''], ['tty', 'char', ''],
  ], 'sorted, the socket skipped, whiteouts renamed');
  assert.ok(bytes.equals(await buffer(store.diffTar(upper))), 'the same tree gives the same bytes');

  const r = await store.applyLayer(undefined, chunked(bytes));
  const diff = await diffDirOf(store, r.chainId);
  const conf = await fsp.lstat(path.join(diff, 'etc/conf'));
  assert.deepEqual([conf.uid, conf.gid, conf.mode & 0o7777, conf.mtimeMs], [1000, 2000, 0o4750, 1_600_000_000_000]);
  assert.equal((await fsp.lstat(path.join(diff, 'etc/conf.hard'))).ino, conf.ino);
  assert.equal((await fsp.lstat(path.join(diff, 'etc'))).mtimeMs, 1_500_000_000_000);
  assert.equal(await fsp.readlink(path.join(diff, 'abs-link')), '/etc/conf');
  assert.deepEqual(lgetxattr(path.join(diff, 'ping'), 'security.capability'), CAP);
  assert.equal(lgetxattr(path.join(diff, 'ping'), 'user.note')?.toString(), 'n');
  assert.ok((await fsp.lstat(path.join(diff, 'fifo'))).isFIFO());
  assert.equal((await fsp.lstat(path.join(diff, 'tty'))).rdev, (4 << 8) | 1);
  const wh = await fsp.lstat(path.join(diff, 'deleted'));
  assert.deepEqual([wh.isCharacterDevice(), wh.rdev], [true, 0]);
  assert.equal(lgetxattr(path.join(diff, 'opaque'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(lgetxattr(path.join(diff, 'opaque'), 'trusted.overlay.origin'), undefined, 'overlay bookkeeping is not carried');
  assert.equal((await fsp.stat(path.join(diff, 'big'))).size, 3 * 1024 * 1024 + 7);
  await assert.rejects(fsp.lstat(path.join(diff, 'sock')), { code: 'ENOENT' });
});

test('diffTar with clampMtimeSec: no entry newer than the epoch, older ones kept (SOURCE_DATE_EPOCH)', async (t) => {
  const upper = await tempDir(t);
  await fsp.writeFile(path.join(upper, 'new'), 'n');
  await fsp.writeFile(path.join(upper, 'old'), 'o');
  await fsp.utimes(path.join(upper, 'old'), 1_000_000_000, 1_000_000_000);
  await fsp.mkdir(path.join(upper, 'dir'));
  const { store } = await openStore(t);
  const times = async (clampMtimeSec?: number): Promise<Array<[string, number]>> => {
    const out: Array<[string, number]> = [];
    const bytes = await buffer(store.diffTar(upper, undefined, clampMtimeSec === undefined ? undefined : { clampMtimeSec }));
    for await (const { header } of readTar(chunked(bytes))) out.push([header.name, header.mtimeSec]);
    return out;
  };
  assert.deepEqual(await times(1_500_000_000), [['dir/', 1_500_000_000], ['new', 1_500_000_000], ['old', 1_000_000_000]]);
  assert.ok((await times()).find(([n]) => n === 'new')![1] > 1_500_000_000);
});
