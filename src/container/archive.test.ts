import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { encodeHeader, END_OF_ARCHIVE, padding, readTar, type TarHeader } from '../snapshot/index.js';
import { ScopedRoot } from './archive-fs.js';
import { extractInto, tarResource } from './archive-tar.js';
import { absPathOf, goBase, goFileMode, preserveTrailingDotOrSeparator } from './archive.js';

test('paths are cleaned as moby cleans them, keeping a trailing / or /.', () => {
  assert.equal(absPathOf('etc/passwd'), '/etc/passwd');
  assert.equal(absPathOf('../../etc/'), '/etc/');
  assert.equal(absPathOf('/tmp/dir/.'), '/tmp/dir/.');
  assert.equal(absPathOf('/'), '/');
  assert.throws(() => absPathOf(''), /path is required/);
  assert.equal(preserveTrailingDotOrSeparator('/a', 'a/.'), '/a/.');
  assert.equal(goBase('/a/b/'), 'b');
  assert.equal(goBase('/a/.'), '.');
  assert.equal(goBase('/'), '/');
});

test('modes are Go os.FileMode values', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'archive-mode-'));
  try {
    writeFileSync(path.join(dir, 'f'), 'x', { mode: 0o640 });
    symlinkSync('f', path.join(dir, 'l'));
    assert.equal(goFileMode(lstatSync(path.join(dir, 'f'), { bigint: true })), 0o640);
    assert.equal(goFileMode(lstatSync(path.join(dir, 'l'), { bigint: true })), (1 << 27) | 0o777);
    assert.equal(goFileMode(lstatSync(dir, { bigint: true })), 2 ** 31 + 0o700);
    assert.equal(goFileMode(lstatSync('/dev/null', { bigint: true })), (1 << 26) | (1 << 21) | 0o666);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function header(name: string, type: TarHeader['type'], extra: Partial<TarHeader> = {}): TarHeader {
  return { name, type, linkname: '', mode: 0o644, uid: 0, gid: 0, size: 0, mtimeSec: 1_700_000_000, devmajor: 0, devminor: 0, xattrs: new Map(), ...extra };
}

function tarOf(entries: Array<[TarHeader, string?]>): Buffer {
  const parts: Buffer[] = [];
  for (const [h, body] of entries) {
    const data = Buffer.from(body ?? '');
    parts.push(encodeHeader({ ...h, size: h.type === 'file' ? data.length : 0 }));
    if (h.type === 'file') parts.push(data, padding(data.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

test('extraction resolves symlinks inside the root: absolute, .. chains, and links the archive brings', async () => {
  const base = mkdtempSync(path.join(os.tmpdir(), 'archive-x-'));
  const root = path.join(base, 'root');
  const outside = path.join(base, 'outside');
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  mkdirSync(outside);
  // The container has a directory at the host path too: links to it must land there.
  mkdirSync(path.join(root, outside), { recursive: true });
  symlinkSync('/', path.join(root, 'toroot'));
  symlinkSync('../../../../..', path.join(root, 'tmp', 'up'));
  symlinkSync(outside, path.join(root, 'abs'));
  const scoped = new ScopedRoot(root);
  try {
    const tar = tarOf([
      [header('l', 'symlink', { linkname: outside })],
      [header('l/through-link', 'file'), 'a'],
      [header('up/x', 'file'), 'b'],
      [header('sub/', 'dir', { mode: 0o750 })],
      [header('sub/f', 'file', { mode: 0o600, uid: 1234, gid: 99 }), 'c'],
      [header('hard', 'link', { linkname: 'sub/f' })],
    ]);
    await extractInto(scoped, '/tmp', readTar(Readable.from([tar])), { noOverwriteDirNonDir: true });
    assert.deepEqual(readdirSync(outside), []);
    // `l` is the container's path `outside`: created inside the root.
    assert.equal(readFileSync(path.join(root, outside, 'through-link'), 'utf8'), 'a');
    assert.equal(readFileSync(path.join(root, 'x'), 'utf8'), 'b');
    const f = lstatSync(path.join(root, 'tmp', 'sub', 'f'));
    assert.equal(f.mode & 0o7777, 0o600);
    assert.equal(f.uid, 1234);
    assert.equal(lstatSync(path.join(root, 'tmp', 'hard')).ino, f.ino);
    await assert.rejects(
      extractInto(scoped, '/tmp', readTar(Readable.from([tarOf([[header('sub', 'file'), 'z']])])), { noOverwriteDirNonDir: true }),
      /cannot overwrite directory "\/tmp\/sub" with non-directory "\/tmp"/,
    );
    await assert.rejects(extractInto(scoped, '/tmp', readTar(Readable.from([tarOf([[header('../../etc/x', 'file'), 'z']])])), { noOverwriteDirNonDir: true }), /outside/);
    await assert.rejects(extractInto(scoped, '/tmp', readTar(Readable.from([tarOf([[header('evil', 'link', { linkname: '../../../etc/passwd' })]])])), { noOverwriteDirNonDir: true }), /outside/);
    // Reading through /abs (a link to the host's `outside`) reaches the container's own path.
    assert.throws(() => scoped.openPath(`/abs/nothing`, true), /ENOENT/);
    const top = scoped.openPath('/tmp/sub', false);
    const names: string[] = [];
    for await (const e of readTar(Readable.from(tarResource(top, 'sub')))) {
      names.push(e.header.name);
      for await (const _chunk of e.body) { /* drained */ }
    }
    assert.deepEqual(names, ['sub/', 'sub/f']);
  } finally {
    scoped.close();
    rmSync(base, { recursive: true, force: true });
  }
});
