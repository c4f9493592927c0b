import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { waitFor } from '../../util/index.js';
import type { LogEntry } from './k8s-log.js';
import { readLog, tailOffset, type ReadLogOptions } from './log-reader.js';

const BASE_NS = 1704067200000000000n;

/** A conmon-style line at BASE + `sec` seconds. */
function line(sec: number, stream: 'stdout' | 'stderr', tag: 'F' | 'P', text: string): string {
  return `2024-01-01T00:00:${String(sec).padStart(2, '0')}.000000000+00:00 ${stream} ${tag} ${text}\n`;
}

async function tempLog(t: TestContext, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-log-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ctr.log');
  await writeFile(path, content);
  return path;
}

async function collect(path: string, opts: ReadLogOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLog(path, opts)) out.push(`${e.stream}:${e.line.toString()}`);
  return out;
}

test('readLog joins partial lines and keeps stdout and stderr apart', async (t) => {
  const path = await tempLog(t, line(1, 'stdout', 'P', 'hel') + line(1, 'stderr', 'F', 'err') + line(2, 'stdout', 'F', 'lo')
    + 'not a log line\n' + line(3, 'stdout', 'F', ''));
  assert.deepEqual(await collect(path), ['stderr:err\n', 'stdout:hello\n', 'stdout:\n']);
});

test('readLog of a missing file is an empty log', async (t) => {
  const path = await tempLog(t, '');
  assert.deepEqual(await collect(`${path}.missing`), []);
});

test('readLog leaves a line still being written alone and ends a trailing partial without newline', async (t) => {
  const path = await tempLog(t, line(1, 'stdout', 'F', 'a') + line(2, 'stdout', 'P', 'prompt> ') + '2024-01-01T00:00:03');
  assert.deepEqual(await collect(path), ['stdout:a\n', 'stdout:prompt> ']);
});

test('since and until select by time, as docker logs does', async (t) => {
  const path = await tempLog(t, [1, 2, 3, 4].map((s) => line(s, 'stdout', 'F', `l${s}`)).join(''));
  assert.deepEqual(await collect(path, { sinceNs: BASE_NS + 2_000_000_000n }), ['stdout:l2\n', 'stdout:l3\n', 'stdout:l4\n']);
  assert.deepEqual(await collect(path, { untilNs: BASE_NS + 2_500_000_000n }), ['stdout:l1\n', 'stdout:l2\n']);
  assert.deepEqual(await collect(path, { tail: 3, untilNs: BASE_NS + 3_000_000_000n }), ['stdout:l2\n', 'stdout:l3\n']);
});

test('tail counts complete lines from the end, across read chunks, without reading from the start', async (t) => {
  // ~200 KB: more than three 64 KiB chunks, so the backwards scan crosses chunk boundaries.
  const lines = Array.from({ length: 4000 }, (_, i) => line(i % 60, i % 2 ? 'stderr' : 'stdout', 'F', `line ${i} ${'x'.repeat(i % 50)}`));
  const path = await tempLog(t, lines.join('') + line(1, 'stdout', 'P', 'in progress'));
  const last = await collect(path, { tail: 3 });
  assert.equal(last.length, 4, 'the line in progress comes after the three complete ones');
  assert.deepEqual(last.slice(0, 3).map((l) => l.split(' ')[1]), ['3997', '3998', '3999']);
  assert.equal(last[3], 'stdout:in progress');
  assert.deepEqual(await collect(path, { tail: 0 }), ['stdout:in progress']);
  assert.equal((await collect(path, { tail: 10_000 })).length, 4001);

  const handle = await open(path, 'r');
  t.after(() => handle.close());
  const all = lines.join('');
  assert.equal(await tailOffset(handle, 1), Buffer.byteLength(all) - Buffer.byteLength(lines[3999]!));
  assert.equal(await tailOffset(handle, 4000), 0);
});

test('tail keeps the pieces of a split line together', async (t) => {
  const path = await tempLog(t, line(1, 'stdout', 'F', 'old') + line(2, 'stdout', 'P', 'a') + line(2, 'stdout', 'P', 'b') + line(2, 'stdout', 'F', 'c'));
  assert.deepEqual(await collect(path, { tail: 1 }), ['stdout:abc\n']);
});

async function follow(path: string, opts: ReadLogOptions, seen: LogEntry[]): Promise<void> {
  for await (const e of readLog(path, { ...opts, follow: true })) seen.push(e);
}

function texts(seen: LogEntry[]): string[] {
  return seen.map((e) => e.line.toString());
}

test('follow reads as the file grows, across rotation, and ends after stopFollowing with nothing lost', async (t) => {
  const path = await tempLog(t, line(1, 'stdout', 'F', 'first'));
  const stop = new AbortController();
  const seen: LogEntry[] = [];
  const done = follow(path, { stopFollowing: stop.signal }, seen);
  await waitFor('first line', () => (seen.length === 1 ? true : undefined));

  // A physical line written in two steps is read only once complete.
  await appendFile(path, line(2, 'stdout', 'F', 'second').slice(0, 20));
  await appendFile(path, line(2, 'stdout', 'F', 'second').slice(20));
  await waitFor('second line', () => (seen.length === 2 ? true : undefined));

  // berthd's rotation: the file is renamed away, then conmon (ctl "2 0 0") starts a new one.
  await rename(path, `${path}.1`);
  await appendFile(`${path}.1`, line(3, 'stdout', 'F', 'late write to the old file'));
  await writeFile(path, line(4, 'stderr', 'F', 'new file'));
  await waitFor('lines after rotation', () => (seen.length === 4 ? true : undefined));

  await appendFile(path, line(5, 'stdout', 'F', 'just before the stop'));
  stop.abort();
  await done;
  assert.deepEqual(texts(seen), ['first\n', 'second\n', 'late write to the old file\n', 'new file\n', 'just before the stop\n']);
});

test('follow waits for a log that does not exist yet, and the abort signal ends it with its reason', async (t) => {
  const path = `${await tempLog(t, '')}.later`;
  const abort = new AbortController();
  const seen: LogEntry[] = [];
  const done = follow(path, { signal: abort.signal }, seen);
  await writeFile(path, line(1, 'stdout', 'F', 'hello'));
  await waitFor('the new file read', () => (seen.length === 1 ? true : undefined));
  abort.abort(new Error('client went away'));
  await assert.rejects(done, /client went away/);
  assert.deepEqual(texts(seen), ['hello\n']);
});

test('follow ends by itself once until has passed', async (t) => {
  const path = await tempLog(t, line(1, 'stdout', 'F', 'old'));
  const seen: LogEntry[] = [];
  await follow(path, { untilNs: BigInt(Date.now() + 50) * 1_000_000n }, seen);
  assert.deepEqual(texts(seen), ['old\n']);
});
