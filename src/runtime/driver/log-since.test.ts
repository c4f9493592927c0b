import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { readCompressedLog, readLog, sinceOffset } from './log-reader.js';

const BASE_MS = Date.UTC(2024, 0, 1);

/** n conmon lines, one per millisecond, `line-i` each. */
function logText(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `${new Date(BASE_MS + i).toISOString().replace('Z', '000000+00:00')} stdout F line-${i}\n`;
  return s;
}

const ns = (i: number) => BigInt(BASE_MS + i) * 1_000_000n;

test('sinceOffset bisects to a line start before the first line at or after since, without reading the whole file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-since-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ctr.log');
  const text = logText(200_000);
  await writeFile(path, text);
  const fh = await open(path, 'r');
  try {
    for (const i of [0, 1, 777, 100_000, 199_999]) {
      const off = await sinceOffset(fh, ns(i));
      assert.ok(off === 0 || text[off - 1] === '\n', 'a line start');
      const target = text.indexOf(`line-${i}\n`);
      assert.ok(off <= target, `at or before line ${i}`);
      assert.ok(target - off <= 128 * 1024, `close to line ${i}: ${target - off} bytes before`);
    }
    assert.equal(await sinceOffset(fh, ns(10_000_000)) > text.length - 128 * 1024, true, 'since after the end: near the end');
  } finally {
    await fh.close();
  }
  const got: string[] = [];
  for await (const e of readLog(path, { sinceNs: ns(199_997) })) got.push(e.line.toString().trim());
  assert.deepEqual(got, ['line-199997', 'line-199998', 'line-199999']);
  const until: string[] = [];
  for await (const e of readLog(path, { sinceNs: ns(5), untilNs: ns(7) })) until.push(e.line.toString().trim());
  assert.deepEqual(until, ['line-5', 'line-6', 'line-7']);
});

test('readCompressedLog reads a gzipped rotated log with tail, since and until', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-gz-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ctr.log.1.gz');
  await writeFile(path, await promisify(gzip)(Buffer.from(logText(100) + '2024-01-01T00:00:00.200000000+00:00 stderr P par\n2024-01-01T00:00:00.201000000+00:00 stderr F tial\n')));
  const read = async (o: Parameters<typeof readCompressedLog>[1]) => {
    const out: string[] = [];
    for await (const e of readCompressedLog(path, o)) out.push(`${e.stream}:${e.line.toString().trim()}`);
    return out;
  };
  assert.equal((await read({})).length, 101);
  assert.deepEqual(await read({ tail: 2 }), ['stdout:line-99', 'stderr:partial']);
  assert.deepEqual(await read({ sinceNs: ns(98), untilNs: ns(99) }), ['stdout:line-98', 'stdout:line-99']);
  assert.deepEqual(await read({ tail: 0 }), []);
  assert.deepEqual(await (async () => { const o: string[] = []; for await (const e of readCompressedLog(`${path}.missing`)) o.push(String(e)); return o; })(), []);
});
