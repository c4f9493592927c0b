import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logPolicy, mergeLogConfig, validateLogConfig } from './log-config.js';

test('log drivers and options are checked with dockerd\'s messages', () => {
  const msg = (type: string, cfg: Record<string, string>) => { try { validateLogConfig(type, cfg); } catch (e) { return (e as Error).message; } return 'ok'; };
  assert.equal(msg('json-file', { 'max-size': '1m', 'max-file': '3', compress: 'true', tag: 'x' }), 'ok');
  assert.equal(msg('bogus', {}), "logger: no log driver named 'bogus' is registered");
  assert.equal(msg('json-file', { foo: '1' }), "unknown log opt 'foo' for json-file log driver");
  assert.equal(msg('local', { tag: 'x' }), "unknown log opt 'tag' for log driver local");
  assert.equal(msg('none', { anything: 'goes' }), 'ok');
  assert.equal(msg('json-file', { mode: 'sometimes' }), 'logger: logging mode not supported: sometimes');
  assert.equal(msg('json-file', { 'max-buffer-size': '1m' }), "logger: max-buffer-size option is only supported with 'mode=non-blocking'");
  assert.equal(msg('json-file', { mode: 'non-blocking', 'max-buffer-size': '1m' }), 'ok');
  assert.equal(msg('json-file', { 'max-size': 'big' }), 'invalid value for max-size: big');
  assert.equal(msg('json-file', { 'max-size': '1m', 'max-file': '0' }), 'max-file cannot be less than 1');
  assert.equal(msg('local', { 'max-file': '1' }), 'compression cannot be enabled when max file count is 1');
  assert.equal(msg('local', { 'max-file': '1', compress: 'false' }), 'ok');
  assert.match(msg('json-file', { compress: 'yes' }), /invalid boolean value for compress/);
});

test('log policies: json-file rotates only with max-size; local defaults to 20 MiB × 5, compressed', () => {
  assert.deepEqual(logPolicy({ Type: 'json-file', Config: {} }), { driver: 'json-file', maxFiles: 1, compress: false });
  assert.deepEqual(logPolicy({ Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '3', compress: 'true' } }), { driver: 'json-file', maxSizeBytes: 1 << 20, maxFiles: 3, compress: true });
  assert.deepEqual(logPolicy({ Type: 'local', Config: {} }), { driver: 'local', maxSizeBytes: 20 << 20, maxFiles: 5, compress: true });
  assert.deepEqual(logPolicy({ Type: 'none', Config: {} }), { driver: 'none', maxFiles: 1, compress: false });
});

test('the daemon\'s log-driver and log-opts apply under the container\'s own, for the same driver only', () => {
  const daemon = { type: 'json-file', opts: { 'max-size': '10m', 'max-file': '2' } };
  assert.deepEqual(mergeLogConfig(undefined, daemon), { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } });
  assert.deepEqual(mergeLogConfig({ Type: '', Config: { 'max-file': '5' } }, daemon), { Type: 'json-file', Config: { 'max-file': '5', 'max-size': '10m' } });
  assert.deepEqual(mergeLogConfig({ Type: 'local', Config: {} }, daemon), { Type: 'local', Config: {} });
  assert.deepEqual(mergeLogConfig({ Type: 'none', Config: {} }, { type: 'local', opts: {} }), { Type: 'none', Config: {} });
});

test('splitAtLines cuts a rotated log into pieces of at most max bytes after full lines, contiguous', async () => {
  const { splitAtLines } = await import('./log-rotate.js');
  const rec = (i: number, tag = 'F') => `2024-01-01T00:00:00.${String(i).padStart(9, '0')}+00:00 stdout ${tag} line-${i}\n`;
  const text = Array.from({ length: 1000 }, (_, i) => rec(i, i % 7 === 3 ? 'P' : 'F')).join('');
  for (const max of [200, 1000, 100_000]) {
    const pieces = splitAtLines(Buffer.from(text), max);
    assert.equal(Buffer.concat(pieces).toString(), text, `max ${max}: nothing lost or reordered`);
    for (const p of pieces) {
      assert.ok(p.length <= max, `max ${max}: piece of ${p.length}`);
      const lines = p.toString().trimEnd().split('\n');
      assert.match(lines.at(-1)!, / F /, 'a piece never ends inside a line written in parts');
    }
  }
  assert.equal(splitAtLines(Buffer.from(rec(1, 'P') + rec(2, 'P') + rec(3)), 10).length, 1, 'one line in parts stays whole');
  assert.deepEqual(splitAtLines(Buffer.alloc(0), 8), []);
});

test('rotation holds back a line in progress: the next rotated file begins with its start, never with an orphaned end', async () => {
  const { LogRotator, logFiles, wholeLinesEnd } = await import('./log-rotate.js');
  const { mkdtemp, readFile, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const rec = (i: number, tag: string, body: string, stream = 'stdout') => `2024-01-01T00:00:00.${String(i).padStart(9, '0')}+00:00 ${stream} ${tag} ${body}\n`;
  // stdout's piece interleaved with a whole stderr line: still in progress after it.
  assert.equal(wholeLinesEnd(Buffer.from(rec(1, 'F', 'a') + rec(2, 'P', '1') + rec(3, 'F', 'err', 'stderr'))), rec(1, 'F', 'a').length);
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-rotate-'));
  try {
    const log = path.join(dir, 'c-json.log');
    const rotator = new LogRotator({ warn: () => undefined } as never);
    const policy = { maxSizeBytes: 1024, maxFiles: 2, compress: false };
    const rotate = (rotator as unknown as { rotate(l: string, c: string, p: typeof policy): Promise<void> }).rotate.bind(rotator);
    await writeFile(log, rec(1, 'F', '15521862') + rec(2, 'P', '1'));
    await rotate(log, path.join(dir, 'no-ctl'), policy);
    assert.equal(await readFile(`${log}.1`, 'utf8'), rec(1, 'F', '15521862'));
    assert.deepEqual(logFiles(log, 2).map((f) => path.basename(f)), ['c-json.log.1', 'c-json.log.carry', 'c-json.log']);
    // conmon's new file begins with the line's end; the next rotation drops the old .1.
    await writeFile(log, rec(3, 'F', '5521863') + rec(4, 'F', '15521864'));
    await rotate(log, path.join(dir, 'no-ctl'), policy);
    assert.equal(await readFile(`${log}.1`, 'utf8'), rec(2, 'P', '1') + rec(3, 'F', '5521863') + rec(4, 'F', '15521864'));
    assert.deepEqual(logFiles(log, 2).map((f) => path.basename(f)), ['c-json.log.1', 'c-json.log']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
