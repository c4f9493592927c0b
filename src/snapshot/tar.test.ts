import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import { exec } from '../util/index.js';
import { layerStream } from './layer-stream.js';
import { FIXED_MTIME, chunked, packTar, rawTar, sha256, tempDir } from './layer-fixtures.js';
import { parseNumeric, type TarHeader } from './tar-header.js';
import { readTar } from './tar-reader.js';

interface Read { header: TarHeader; body: Buffer }

async function readAll(buf: Buffer | Readable): Promise<Read[]> {
  const out: Read[] = [];
  const source = Buffer.isBuffer(buf) ? chunked(buf) : buf;
  for await (const { header, body } of readTar(source)) {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ header, body: Buffer.concat(parts) });
  }
  return out;
}

test('reads what tar-stream writes: types, ids, modes, times, links, devices, long names', async () => {
  const longName = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  const bytes = await packTar([
    { name: 'dir/', type: 'directory', mode: 0o1755, uid: 7, gid: 8 },
    { name: 'dir/file', body: 'hello', mode: 0o4711, uid: 1000, gid: 2000 },
    { name: 'sym', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'dir/file' },
    { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
    { name: 'fifo', type: 'fifo' },
    { name: longName, body: 'long' },
    { name: 'ünïcode', body: 'u' },
  ]);
  const got = await readAll(bytes);
  assert.deepEqual(got.map((e) => [e.header.name, e.header.type, e.body.toString()]), [
    ['dir/', 'dir', ''], ['dir/file', 'file', 'hello'], ['sym', 'symlink', ''], ['hard', 'link', ''],
    ['null', 'char', ''], ['fifo', 'fifo', ''], [longName, 'file', 'long'], ['ünïcode', 'file', 'u'],
  ]);
  const file = got[1]!.header;
  assert.deepEqual([file.mode, file.uid, file.gid, file.size, file.mtimeSec], [0o4711, 1000, 2000, 5, FIXED_MTIME.getTime() / 1000]);
  assert.equal(got[0]!.header.mode, 0o1755);
  assert.equal(got[2]!.header.linkname, '/etc/passwd');
  assert.equal(got[3]!.header.linkname, 'dir/file');
  assert.deepEqual([got[4]!.header.devmajor, got[4]!.header.devminor], [1, 3]);
});

test('PAX xattr values are bytes: all 256 byte values survive a write and a read', async () => {
  const value = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const xattrs = new Map([['security.capability', value], ['user.ü', Buffer.from('v')]]);
  const [e] = await readAll(rawTar([{ name: 'f', xattrs, uid: 3_000_000, body: Buffer.from('x') }]));
  assert.deepEqual(e!.header.xattrs, xattrs);
  assert.equal(e!.header.uid, 3_000_000, 'a uid over 0o7777777 goes through PAX');
  assert.equal(e!.body.toString(), 'x');
});

test('what berth writes, tar-stream reads back the same (an independent reader)', async () => {
  const name = `${'n'.repeat(150)}/ü`;
  const bytes = rawTar([
    { name: 'd', type: 'dir', mode: 0o755 },
    { name, body: Buffer.from('abc'), mode: 0o640, uid: 5, gid: 6 },
    { name: 'l', type: 'symlink', linkname: 'x'.repeat(200) },
    { name: 'h', type: 'link', linkname: name },
    { name: 'b', type: 'block', devmajor: 7, devminor: 300 },
  ]);
  const seen: Array<[string, string, number, string]> = [];
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    const parts: Buffer[] = [];
    stream.on('data', (c: unknown) => { parts.push(c as Buffer); });
    stream.on('end', () => { seen.push([h.name, h.type, h.mode, h.type === 'file' ? Buffer.concat(parts).toString() : h.linkname ?? '']); next(); });
  });
  const finished = new Promise<void>((resolve, reject) => { ex.on('finish', resolve); ex.on('error', reject); });
  ex.end(bytes);
  await finished;
  assert.deepEqual(seen, [
    ['d/', 'directory', 0o755, ''], [name, 'file', 0o640, 'abc'], ['l', 'symlink', 0o644, 'x'.repeat(200)],
    ['h', 'link', 0o644, name], ['b', 'block-device', 0o644, ''],
  ]);
});

test('reads GNU tar (long-name L/K headers, base-256 ids) written by the tar command', async (t) => {
  const dir = await tempDir(t);
  const src = path.join(dir, 'src');
  const longDir = path.join(src, 'x'.repeat(110));
  await fsp.mkdir(longDir, { recursive: true });
  await fsp.writeFile(path.join(longDir, 'f'), 'gnu');
  await fsp.symlink('y'.repeat(150), path.join(src, 'longlink'));
  const out = path.join(dir, 'gnu.tar');
  await exec('tar', ['--format=gnu', '--owner=:2100000000', '--group=:5', '-C', src, '-cf', out, '.']);
  const got = await readAll(await fsp.readFile(out));
  const file = got.find((e) => e.header.name.endsWith('/f'))!;
  assert.equal(file.header.name, `./${'x'.repeat(110)}/f`);
  assert.equal(file.body.toString(), 'gnu');
  assert.equal(file.header.uid, 2_100_000_000);
  assert.equal(got.find((e) => e.header.name === './longlink')!.header.linkname, 'y'.repeat(150));
});

test('numeric fields: octal with spaces and NULs, GNU base-256 both signs', () => {
  assert.equal(parseNumeric(Buffer.from(' 0000755\0'), 'mode'), 0o755);
  assert.equal(parseNumeric(Buffer.from('\0\0\0\0\0\0\0\0'), 'mode'), 0);
  assert.equal(parseNumeric(Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]), 'size'), 256);
  assert.equal(parseNumeric(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), 'mtime'), -1);
  assert.throws(() => parseNumeric(Buffer.from('12x45678'), 'uid'), InvalidArgumentError);
});

test('refuses a corrupt header, a truncated archive and sparse files', async () => {
  const good = await packTar([{ name: 'f', body: 'x'.repeat(1000) }]);
  const corrupt = Buffer.from(good);
  corrupt[10] = 0x41;
  await assert.rejects(readAll(corrupt), (e: Error) => e instanceof InvalidArgumentError && /checksum/.test(e.message));
  await assert.rejects(readAll(good.subarray(0, 900)), (e: Error) => e instanceof InvalidArgumentError && /unexpected end/.test(e.message));
  const sparse = await packTar([{ name: 's', body: 'x', pax: { 'GNU.sparse.major': '1' } }]);
  await assert.rejects(readAll(sparse), /sparse/);
});

test('an archive without end blocks is complete, as Go reads it', async () => {
  const bytes = await packTar([{ name: 'a', body: 'A' }]);
  const got = await readAll(bytes.subarray(0, 1024));
  assert.deepEqual(got.map((e) => e.body.toString()), ['A']);
});

test('diffId covers every uncompressed byte, trailing padding included', async () => {
  const bytes = Buffer.concat([await packTar([{ name: 'a', body: 'A' }]), Buffer.alloc(10240)]);
  const layer = layerStream(chunked(bytes));
  for await (const entry of readTar(layer.chunks)) for await (const _ of entry.body) { /* drain */ }
  assert.equal(layer.diffId(), sha256(bytes));
});
