import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '../errors/index.js';
import { lgetxattr } from '../sys/index.js';
import { chunked, diffDirOf, openStore, packTar, rawTar } from './layer-fixtures.js';

const seconds = (d: Date) => d.getTime() / 1000;
const mtimeSec = (st: { mtimeMs: number }) => Math.floor(st.mtimeMs / 1000);

test('extracts files, directories, links, devices and fifos with owners, modes and times', async (t) => {
  const { store } = await openStore(t);
  const dirTime = new Date('2019-01-01T00:00:00Z');
  const fileTime = new Date('2020-06-07T08:09:10Z');
  const linkTime = new Date('2018-03-04T05:06:07Z');
  const bytes = await packTar([
    { name: 'etc/', type: 'directory', mode: 0o2750, uid: 10, gid: 20, mtime: dirTime },
    { name: 'etc/setuid', body: 'su', mode: 0o4755, uid: 1000, gid: 2000, mtime: fileTime },
    { name: './etc/link', type: 'symlink', linkname: '../../../../host/path', uid: 33, gid: 44, mtime: linkTime },
    { name: 'etc/hard', type: 'link', linkname: 'etc/setuid' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660 },
    { name: 'run/fifo', type: 'fifo', mode: 0o620 },
    { name: 'implied/deep/file', body: 'x'.repeat(100_000) },
  ]);
  const r = await store.applyLayer(undefined, chunked(bytes));
  const diff = await diffDirOf(store, r.chainId);

  const etc = await fsp.lstat(path.join(diff, 'etc'));
  assert.deepEqual([etc.mode & 0o7777, etc.uid, etc.gid, mtimeSec(etc)], [0o2750, 10, 20, seconds(dirTime)], 'dir time set after its children');
  const su = await fsp.lstat(path.join(diff, 'etc/setuid'));
  assert.deepEqual([su.mode & 0o7777, su.uid, su.gid, mtimeSec(su), su.size], [0o4755, 1000, 2000, seconds(fileTime), 2], 'setuid survives chown');
  const link = await fsp.lstat(path.join(diff, 'etc/link'));
  assert.ok(link.isSymbolicLink());
  assert.equal(await fsp.readlink(path.join(diff, 'etc/link')), '../../../../host/path', 'a symlink is data, whatever it points at');
  assert.deepEqual([link.uid, link.gid, mtimeSec(link)], [33, 44, seconds(linkTime)]);
  const hard = await fsp.lstat(path.join(diff, 'etc/hard'));
  assert.equal(hard.ino, su.ino, 'a hard link shares the inode');
  assert.equal(hard.nlink, 2);
  assert.equal((await fsp.lstat(path.join(diff, 'tmp'))).mode & 0o7777, 0o1777);
  const nul = await fsp.lstat(path.join(diff, 'dev/null'));
  assert.ok(nul.isCharacterDevice());
  assert.deepEqual([nul.rdev, nul.mode & 0o7777], [(1 << 8) | 3, 0o666]);
  const loop = await fsp.lstat(path.join(diff, 'dev/loop0'));
  assert.ok(loop.isBlockDevice());
  assert.equal(loop.rdev, 7 << 8);
  const fifo = await fsp.lstat(path.join(diff, 'run/fifo'));
  assert.deepEqual([fifo.isFIFO(), fifo.mode & 0o7777], [true, 0o620]);
  const implied = await fsp.lstat(path.join(diff, 'implied/deep'));
  assert.deepEqual([implied.isDirectory(), implied.mode & 0o7777, implied.uid], [true, 0o755, 0]);
  assert.equal((await fsp.readFile(path.join(diff, 'implied/deep/file'))).length, 100_000);
  assert.equal(r.sizeBytes, 2 + '../../../../host/path'.length + 100_000, 'size counts each inode once');
});

test('sets xattrs from PAX: user.*, binary security.capability; overlay-internal ones are dropped', async (t) => {
  const { store } = await openStore(t);
  // VFS_CAP_REVISION_2 | effective; permitted CAP_SETUID (bit 7, byte 0x80) and CAP_NET_BIND_SERVICE.
  const cap = Buffer.from('0100000280040000000000000000000000000000', 'hex');
  const bytes = rawTar([
    { name: 'bin/', type: 'dir', mode: 0o755 },
    { name: 'bin/ping', body: Buffer.from('elf'), mode: 0o755, uid: 1, xattrs: new Map([['security.capability', cap], ['user.note', Buffer.from('héllo')]]) },
    { name: 'bin/redirected', body: Buffer.from('r'), xattrs: new Map([['trusted.overlay.redirect', Buffer.from('/etc')]]) },
    { name: 'bin/sym', type: 'symlink', linkname: 'ping', xattrs: new Map([['user.denied', Buffer.from('on a symlink')]]) },
  ]);
  const r = await store.applyLayer(undefined, chunked(bytes));
  const diff = await diffDirOf(store, r.chainId);
  assert.deepEqual(lgetxattr(path.join(diff, 'bin/ping'), 'security.capability'), cap, 'set after chown, which would drop it');
  assert.equal(lgetxattr(path.join(diff, 'bin/ping'), 'user.note')?.toString(), 'héllo');
  assert.equal(lgetxattr(path.join(diff, 'bin/redirected'), 'trusted.overlay.redirect'), undefined);
  assert.equal(lgetxattr(path.join(diff, 'bin/sym'), 'user.denied'), undefined, 'the kernel refuses user.* on symlinks; the layer still applies');
});

test('tar-stream PAX xattrs (text) are applied too', async (t) => {
  const { store } = await openStore(t);
  const bytes = await packTar([{ name: 'f', body: 'x', pax: { 'SCHILY.xattr.user.mime_type': 'text/plain' } }]);
  const r = await store.applyLayer(undefined, chunked(bytes));
  assert.equal(lgetxattr(path.join(await diffDirOf(store, r.chainId), 'f'), 'user.mime_type')?.toString(), 'text/plain');
});

test('converts whiteouts to overlay form and skips aufs metadata', async (t) => {
  const { store } = await openStore(t);
  const bytes = await packTar([
    { name: '.wh.deleted', uid: 5, gid: 5 },
    { name: 'etc/.wh.passwd' },
    { name: 'opaque/', type: 'directory' },
    { name: 'opaque/.wh..wh..opq' },
    { name: 'opaque/kept', body: 'k' },
    { name: 'late/.wh..wh..opq' },
    { name: 'late/', type: 'directory', mode: 0o700 },
    { name: '.wh..wh.plnk/', type: 'directory' },
    { name: '.wh..wh.plnk/1234.5678', body: 'aufs' },
    { name: 'sub/.wh..wh.aufs' },
  ]);
  const r = await store.applyLayer(undefined, chunked(bytes));
  const diff = await diffDirOf(store, r.chainId);
  for (const name of ['deleted', 'etc/passwd']) {
    const st = await fsp.lstat(path.join(diff, name));
    assert.deepEqual([st.isCharacterDevice(), st.rdev, st.uid, st.gid], [true, 0, 0, 0], `${name} is a 0/0 whiteout`);
  }
  assert.equal(lgetxattr(path.join(diff, 'opaque'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.equal(lgetxattr(path.join(diff, 'late'), 'trusted.overlay.opaque')?.toString(), 'y', 'marker before its directory entry');
  assert.equal((await fsp.lstat(path.join(diff, 'late'))).mode & 0o777, 0o700);
  assert.deepEqual((await fsp.readdir(diff)).sort(), ['deleted', 'etc', 'late', 'opaque']);
  assert.deepEqual((await fsp.readdir(path.join(diff, 'opaque'))).sort(), ['kept']);
});

test('refuses whiteouts that name nothing, the directory itself or its parent', async (t) => {
  const { store, root } = await openStore(t);
  for (const name of ['.wh.', 'a/.wh..', '.wh...']) {
    await assert.rejects(store.applyLayer(undefined, chunked(await packTar([{ name }]))), (e: Error) => e instanceof InvalidArgumentError && e.message.includes('invalid whiteout'));
  }
  assert.deepEqual(await fsp.readdir(root), []);
});

test('later entries replace earlier ones without following them; directories merge', async (t) => {
  const { store } = await openStore(t);
  const bytes = await packTar([
    { name: 'x', type: 'symlink', linkname: '/etc/hostname' },
    { name: 'x', body: 'replaced the symlink' },
    { name: 'd/', type: 'directory', mode: 0o700 },
    { name: 'd/a', body: 'a' },
    { name: 'd/', type: 'directory', mode: 0o750 },
    { name: 'f', body: 'file first' },
    { name: 'f/', type: 'directory' },
    { name: 'f/inner', body: 'dir wins' },
  ]);
  const diff = await diffDirOf(store, (await store.applyLayer(undefined, chunked(bytes))).chainId);
  assert.equal(await fsp.readFile(path.join(diff, 'x'), 'utf8'), 'replaced the symlink');
  assert.equal((await fsp.lstat(path.join(diff, 'd'))).mode & 0o777, 0o750);
  assert.equal(await fsp.readFile(path.join(diff, 'd/a'), 'utf8'), 'a');
  assert.equal(await fsp.readFile(path.join(diff, 'f/inner'), 'utf8'), 'dir wins');
});

test('refuses malformed content as a bad layer (400), leaving nothing', async (t) => {
  const { store, root } = await openStore(t);
  const layers: Array<[string, Buffer, RegExp]> = [
    ['a hard link to a directory', await packTar([{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }]), /"h": EPERM/],
    ['a malformed security.capability', rawTar([{ name: 'f', xattrs: new Map([['security.capability', Buffer.from('junk')]]) }]), /"f": lsetxattr .*EINVAL/],
    ['a uid chown(2) cannot take', rawTar([{ name: 'f', uid: 2 ** 33 }]), /uid 8589934592 out of range/],
    ['a file where a directory must be', await packTar([{ name: 'a', body: 'file' }, { name: 'a/b', body: 'under a file' }]), /"a\/b": ENOTDIR/],
    ['a non-directory at the root', await packTar([{ name: '.', body: 'root as a file' }]), /names the layer root/],
  ];
  for (const [what, bytes, message] of layers) {
    await assert.rejects(store.applyLayer(undefined, chunked(bytes)), (e: Error) => {
      assert.ok(e instanceof InvalidArgumentError, `${what}: got ${e.name}: ${e.message}`);
      assert.match(e.message, message, what);
      return true;
    });
  }
  assert.deepEqual(await fsp.readdir(root), []);
});
