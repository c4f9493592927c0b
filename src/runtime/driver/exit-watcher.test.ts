import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { silentLogger, waitFor } from '../../util/index.js';
import { ExitWatcher, readExitFile, waitExitFile, type ExitEvent } from './exit-watcher.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-exits-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** As conmon's g_file_set_contents: a temp file `<name>.XXXXXX`, then rename into place. */
async function writeExit(dir: string, id: string, code: number): Promise<void> {
  const tmp = join(dir, `${id}.AB12cd`);
  await writeFile(tmp, String(code));
  await rename(tmp, join(dir, id));
}

function startWatcher(t: TestContext, dir: string): { watcher: ExitWatcher; events: ExitEvent[] } {
  const watcher = new ExitWatcher({ dir, logger: silentLogger() });
  const events: ExitEvent[] = [];
  watcher.on('exit', (e) => events.push(e));
  t.after(() => watcher.stop());
  return { watcher, events };
}

test('exits written while nobody watched are emitted by start(), with the mtime as finish time', async (t) => {
  const dir = await tempDir(t);
  await writeExit(dir, 'c1', 137);
  const { watcher, events } = startWatcher(t, dir);
  await watcher.start();
  const mtime = (await stat(join(dir, 'c1'))).mtime;
  assert.deepEqual(events, [{ id: 'c1', exitCode: 137, finishedAt: mtime }]);
  assert.deepEqual(await watcher.readExit('c1'), { exitCode: 137, finishedAt: mtime });
  assert.equal(await watcher.readExit('nope'), undefined);
});

test('each new exit file is emitted once; temp names are not exits; a file written again is', async (t) => {
  const dir = await tempDir(t);
  const { watcher, events } = startWatcher(t, dir);
  await watcher.start();
  await writeExit(dir, 'c2', 3);
  await waitFor('exit of c2', () => (events.length >= 1 ? true : undefined));
  // A sentinel exit written after: once it is seen, any duplicate of c2 would have been too.
  await writeExit(dir, 'sentinel', 0);
  await waitFor('sentinel', () => (events.some((e) => e.id === 'sentinel') ? true : undefined));
  assert.deepEqual(events.map((e) => [e.id, e.exitCode]), [['c2', 3], ['sentinel', 0]]);

  // The container ran again: its old exit file is removed, then conmon writes a new one.
  await rm(join(dir, 'c2'));
  await writeExit(dir, 'c2', 0);
  await waitFor('second exit of c2', () => (events.length === 3 ? true : undefined));
  assert.deepEqual(events[2] && [events[2].id, events[2].exitCode], ['c2', 0]);
});

test('readExitFile refuses a file that holds no code', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'bad'), 'x');
  await assert.rejects(readExitFile(join(dir, 'bad')), /holds no exit code/);
});

test('waitExitFile resolves for a file already there and for one written later; abort ends it', async (t) => {
  const dir = await tempDir(t);
  await writeExit(dir, 'before', 1);
  assert.equal((await waitExitFile(join(dir, 'before'))).exitCode, 1);
  const later = waitExitFile(join(dir, 'exit'));
  await writeExit(dir, 'exit', 5);
  assert.equal((await later).exitCode, 5);
  const abort = new AbortController();
  const never = waitExitFile(join(dir, 'never'), { signal: abort.signal });
  abort.abort(new Error('gave up'));
  await assert.rejects(never, /gave up/);
});
