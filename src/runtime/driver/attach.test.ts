import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { waitFor } from '../../util/index.js';
import { attach } from './attach.js';
import { resize } from './ctl.js';
import { makeFixture, skipReason } from './fixture.js';
import { readLog } from './log-reader.js';
import { isProcessAlive } from '../../sys/index.js';
import type { LogEntry } from './k8s-log.js';

const skip = await skipReason();

/** Everything a readable gives, as it arrives. */
function gather(stream: Readable): { text: () => string; ended: Promise<void> } {
  let text = '';
  stream.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  return { text: () => text, ended: finished(stream) };
}

test('attach: stdin reaches cat and comes back on stdout, stderr apart, EOF ends the container', { skip }, async (t) => {
  const fx = await makeFixture(t);
  // Over 108 bytes: connect() must go through /proc/self/fd of the bundle directory.
  const bundleDir = join(fx.dir, 'a'.repeat(60), 'b'.repeat(60), 'bundle');
  const c = await fx.create(['sh', '-c', 'cat; echo bye >&2'], { hasStdin: true, stdinOnce: true, bundleDir });
  assert.ok(Buffer.byteLength(c.attachPath) > 108, c.attachPath);

  const s = await attach(c.attachPath);
  const out = gather(s.stdout);
  const err = gather(s.stderr);
  await fx.driver.start(c.id, 'runc');
  s.stdin.write('hello\n');
  await waitFor('echo from cat', () => (out.text() === 'hello\n' ? true : undefined));
  s.stdin.end();
  await Promise.all([out.ended, err.ended]);
  assert.equal(out.text(), 'hello\n');
  assert.equal(err.text(), 'bye\n');
  assert.equal((await fx.waitExit(c.id)).exitCode, 0);
});

test('attach to a container that is gone is a conflict, not a crash', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['true']);
  await fx.driver.start(c.id, 'runc');
  await fx.waitExit(c.id);
  // conmon writes the exit file a moment before it exits; its endpoints close when it does.
  await waitFor('conmon gone', async () => ((await isProcessAlive(c.conmonPid)) ? undefined : true));
  await assert.rejects(attach(c.attachPath), { status: 409 });
  await assert.rejects(resize(c.ctlPath, 10, 10), { status: 409 });
});

test('tty: resize through the ctl FIFO is what stty sees inside', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sh', '-c', 'while read x; do stty size; done'], { hasTty: true, hasStdin: true });
  const s = await attach(c.attachPath);
  const out = gather(s.stdout);
  const err = gather(s.stderr);
  await fx.driver.start(c.id, 'runc');

  for (const [rows, cols] of [[40, 100], [25, 80]] as const) {
    await resize(c.ctlPath, rows, cols);
    // conmon applies the size from its loop: ask again (a newline) until the answer changes.
    await waitFor(`stty size ${rows} ${cols}`, () => {
      if (out.text().includes(`${rows} ${cols}\r\n`)) return true;
      s.stdin.write('\n');
      return undefined;
    }, { intervalMs: 50 });
  }
  await assert.rejects(resize(c.ctlPath, -1, 80), { status: 400 });

  await fx.driver.kill(c.id, 'runc', 'KILL');
  assert.equal((await fx.waitExit(c.id)).exitCode, 137);
  await Promise.all([out.ended, err.ended]);
  assert.equal(err.text(), '', 'with a tty everything comes on stdout');
});

test('readLog follows a running container to its end; tail and since read it afterwards', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sh', '-c', 'echo one; read x; echo two; read y; echo three >&2'], { hasStdin: true });
  const s = await attach(c.attachPath);
  s.stdout.resume();
  s.stderr.resume();

  const stop = new AbortController();
  const seen: LogEntry[] = [];
  const following = (async () => {
    for await (const e of readLog(c.logPath, { follow: true, stopFollowing: stop.signal })) seen.push(e);
  })();
  await fx.driver.start(c.id, 'runc');
  await waitFor('one', () => (seen.length === 1 ? true : undefined));
  s.stdin.write('go\n');
  await waitFor('two', () => (seen.length === 2 ? true : undefined));
  s.stdin.write('go\n');
  await fx.waitExit(c.id);
  stop.abort();
  await following;
  assert.deepEqual(seen.map((e) => `${e.stream} ${e.line.toString()}`), ['stdout one\n', 'stdout two\n', 'stderr three\n']);

  const read = async (opts: Parameters<typeof readLog>[1]) => {
    const lines: string[] = [];
    for await (const e of readLog(c.logPath, opts)) lines.push(e.line.toString());
    return lines;
  };
  assert.deepEqual(await read({ tail: 1 }), ['three\n']);
  assert.deepEqual(await read({ sinceNs: seen[1]!.timeNs }), ['two\n', 'three\n']);
  s.close();
});

// Regression: conmon writes its last frames and closes at once. libuv counts a hang-up after a
// short read as end of file, and on SEQPACKET every read is short (one message), so frames
// still queued at the hang-up were dropped: `docker run` lost its last lines about once in 50.
test('frames queued when the peer closes are all delivered before the end', async () => {
  const { seqpacketPair } = await import('../../sys/index.js');
  const { socketFromSeqpacketFd } = await import('./seqpacket.js');
  const { demultiplex } = await import('./attach.js');
  const { closeSync, writeSync } = await import('node:fs');
  for (let round = 0; round < 50; round++) {
    const [ours, theirs] = seqpacketPair();
    const streams = demultiplex(socketFromSeqpacketFd(ours));
    const chunks: string[] = [];
    streams.stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    streams.stderr.resume();
    const ended = finished(streams.stdout);
    // A first frame is read, then the rest arrive with the hang-up in one wake-up.
    writeSync(theirs, Buffer.from('\x02first\n'));
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 20; i++) writeSync(theirs, Buffer.from(`\x02line-${i}\n`));
    closeSync(theirs);
    await ended;
    assert.equal(chunks.join(''), `first\n${Array.from({ length: 20 }, (_, i) => `line-${i}\n`).join('')}`, `round ${round}`);
  }
});
