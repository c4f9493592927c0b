import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { InvalidArgumentError } from '../errors/index.js';
import { lgetxattr } from '../sys/index.js';
import type { SnapshotStore } from './store.js';
import { chunked, diffDirOf, openStore, packTar, tempDir, type FixtureEntry } from './layer-fixtures.js';

/**
 * Layers that try to write outside their directory. "Outside" is a sentinel directory that
 * must stay empty. Names reach it from anywhere: enough `..` to hit `/` (which `..` cannot
 * leave), then the sentinel's absolute path.
 */
const UP = '../'.repeat(40);

interface Setup { store: SnapshotStore; root: string; outside: string; outsideRel: string }

async function setup(t: TestContext): Promise<Setup> {
  const { store, root } = await openStore(t);
  const outside = await tempDir(t, 'berth-outside-');
  return { store, root, outside, outsideRel: outside.slice(1) };
}

async function apply(s: Setup, entries: FixtureEntry[]): Promise<string> {
  const r = await s.store.applyLayer(undefined, chunked(await packTar(entries)));
  return diffDirOf(s.store, r.chainId);
}

async function assertRefused(s: Setup, entries: FixtureEntry[], mentions: string): Promise<void> {
  await assert.rejects(s.store.applyLayer(undefined, chunked(await packTar(entries))), (e: Error) => {
    assert.ok(e instanceof InvalidArgumentError, `want InvalidArgumentError, got ${e.name}: ${e.message}`);
    assert.ok(e.message.includes(mentions), `message names the entry: ${e.message}`);
    return true;
  });
  assert.deepEqual(await fsp.readdir(s.outside), [], 'nothing written outside');
  assert.deepEqual(await fsp.readdir(s.root), [], 'a refused layer leaves no directory behind');
  assert.deepEqual(await s.store.list(), []);
}

const refusals: Array<[string, (s: Setup) => FixtureEntry[], string]> = [
  ['../evil', () => [{ name: '../evil', body: 'x' }], '../evil'],
  ['a/../../evil', () => [{ name: 'a/../../evil', body: 'x' }], 'a/../../evil'],
  ['a name climbing to the sentinel', (s) => [{ name: 'ok', body: 'first' }, { name: `${UP}${s.outsideRel}/evil`, body: 'x' }], '/evil'],
  ['a hard link to ../../etc/passwd', () => [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }], '../../etc/passwd'],
  ['a hard link climbing to a file in the sentinel', (s) => [{ name: 'h', type: 'link', linkname: `${UP}${s.outsideRel}/secret` }], 'secret'],
];

for (const [what, entries, mentions] of refusals) {
  test(`refuses ${what}, leaving nothing anywhere`, async (t) => {
    const s = await setup(t);
    await assertRefused(s, entries(s), mentions);
  });
}

test('an absolute name lands inside: /etc/evil becomes etc/evil', async (t) => {
  const s = await setup(t);
  const diff = await apply(s, [{ name: '/etc/evil', body: 'in' }, { name: `/${s.outsideRel}/evil`, body: 'in too' }]);
  assert.equal(await fsp.readFile(path.join(diff, 'etc/evil'), 'utf8'), 'in');
  assert.equal(await fsp.readFile(path.join(diff, s.outsideRel, 'evil'), 'utf8'), 'in too');
  assert.deepEqual(await fsp.readdir(s.outside), []);
});

const redirects: Array<[string, (s: Setup) => string]> = [
  ['a -> /', () => '/'],
  ['a -> ../../..', () => '../../..'],
  ['a -> <the sentinel, absolute>', (s) => s.outside],
  ['a -> <the sentinel, by ..>', (s) => `${UP}${s.outsideRel}`],
];

for (const [what, target] of redirects) {
  test(`a symlink ${what} cannot redirect later writes out of the layer`, async (t) => {
    const s = await setup(t);
    const linkTarget = target(s);
    // Through `a` the tar aims at the sentinel, whichever way `a` points.
    const via = linkTarget === '/' || linkTarget === '../../..' ? `a/${s.outsideRel}` : 'a';
    const diff = await apply(s, [
      { name: 'a', type: 'symlink', linkname: linkTarget },
      { name: `${via}/evil`, body: 'x' },
      { name: `${via}/sub/`, type: 'directory', mode: 0o777 },
      { name: `${via}/.wh.victim` },
      { name: `${via}/sub/.wh..wh..opq` },
    ]);
    assert.deepEqual(await fsp.readdir(s.outside), [], 'nothing written outside');
    assert.equal(lgetxattr(s.outside, 'trusted.overlay.opaque'), undefined);
    assert.equal(await fsp.readlink(path.join(diff, 'a')), linkTarget, 'the symlink itself is kept as data');
    const landed = path.join(diff, s.outsideRel);
    assert.equal(await fsp.readFile(path.join(landed, 'evil'), 'utf8'), 'x', 'the write landed inside the layer');
    assert.ok((await fsp.lstat(path.join(landed, 'victim'))).isCharacterDevice());
    assert.equal(lgetxattr(path.join(landed, 'sub'), 'trusted.overlay.opaque')?.toString(), 'y');
  });
}

test('a symlink at the final component is replaced, never written through', async (t) => {
  const s = await setup(t);
  const diff = await apply(s, [
    { name: 'f', type: 'symlink', linkname: path.join(s.outside, 'file') },
    { name: 'f', body: 'x' },
    { name: 'd', type: 'symlink', linkname: s.outside },
    { name: 'd/', type: 'directory', mode: 0o777 },
    { name: 'n', type: 'symlink', linkname: path.join(s.outside, 'node') },
    { name: 'n', type: 'fifo' },
  ]);
  assert.deepEqual(await fsp.readdir(s.outside), []);
  assert.equal((await fsp.lstat(s.outside)).mode & 0o777, 0o700, 'the sentinel kept its own mode');
  assert.ok((await fsp.lstat(path.join(diff, 'f'))).isFile());
  assert.ok((await fsp.lstat(path.join(diff, 'd'))).isDirectory());
  assert.ok((await fsp.lstat(path.join(diff, 'n'))).isFIFO());
});

test('a hard link through a symlinked parent resolves inside the layer, not on the host', async (t) => {
  const s = await setup(t);
  const hostFile = path.join(await tempDir(t, 'berth-host-'), 'secret');
  await fsp.writeFile(hostFile, 'host secret');
  const hostRel = hostFile.slice(1);
  // With nothing at <layer>/<hostFile>, the link has no target: refused, host untouched.
  await assert.rejects(s.store.applyLayer(undefined, chunked(await packTar([
    { name: 's', type: 'symlink', linkname: path.dirname(hostFile) },
    { name: 'h', type: 'link', linkname: 's/secret' },
  ]))), (e: Error) => e instanceof InvalidArgumentError && e.message.includes('s/secret'));
  assert.equal((await fsp.stat(hostFile)).nlink, 1);
  assert.deepEqual(await fsp.readdir(s.root), []);
  // With a file of the layer's own there, the link is to that one.
  const diff = await apply(s, [
    { name: hostRel, body: 'layer copy' },
    { name: 's', type: 'symlink', linkname: path.dirname(hostFile) },
    { name: 'h', type: 'link', linkname: 's/secret' },
  ]);
  assert.equal((await fsp.stat(hostFile)).nlink, 1);
  assert.equal((await fsp.lstat(path.join(diff, 'h'))).ino, (await fsp.lstat(path.join(diff, hostRel))).ino);
  assert.equal(await fsp.readFile(path.join(diff, 'h'), 'utf8'), 'layer copy');
  // A hard link to a symlink links the symlink itself (link(2) does not follow it).
  const viaLink = await apply(s, [
    { name: 'p', type: 'symlink', linkname: hostFile },
    { name: 'hp', type: 'link', linkname: 'p' },
  ]);
  assert.ok((await fsp.lstat(path.join(viaLink, 'hp'))).isSymbolicLink());
  assert.equal((await fsp.stat(hostFile)).nlink, 1);
});

test('a directory replaced by a symlink cannot receive its pending times through it', async (t) => {
  const s = await setup(t);
  const host = await tempDir(t, 'berth-host-');
  await fsp.mkdir(path.join(host, 'b'));
  await fsp.utimes(path.join(host, 'b'), 1234, 1234);
  await apply(s, [
    { name: 'a/', type: 'directory' },
    { name: 'a/b/', type: 'directory', mtime: new Date('2000-01-01T00:00:00Z') },
    { name: 'a', type: 'symlink', linkname: host },
  ]);
  assert.equal((await fsp.lstat(path.join(host, 'b'))).mtimeMs, 1234_000);
  assert.deepEqual(await fsp.readdir(s.outside), []);
});
