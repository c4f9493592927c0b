import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { StreamError } from '../../client/index.js';
import { BuildProgress, displayBuildProgress } from './build-progress.js';

/** What a terminal shows after `text`: cursor-up-and-erase sequences applied to the lines. */
function screen(text: string): string[] {
  const rows: string[] = [];
  let row = 0;
   
  for (const token of text.split(/(\x1b\[\d*[FJ]|\n)/)) {
    if (!token) continue;
    const up = /^\x1b\[(\d*)F$/.exec(token);
    if (up) { row = Math.max(row - Number(up[1] || 1), 0); continue; }
    if (token === '\x1b[J') { rows.length = row; continue; }
    if (token === '\n') { row++; continue; }
    rows[row] = token;
  }
  return rows.map((r) => r ?? '');
}

const msgs = (...lines: string[]): { stream: string }[] => lines.map((stream) => ({ stream }));

test('steps: cached, run with output, result; the running step shows its tail and clock', () => {
  const v = new BuildProgress(0, 60);
  let out = '';
  let t = 0;
  const feed = (...m: object[]): void => { for (const x of m) { v.feed(x, t); out += v.frame(t); } };
  feed(...msgs('Step 1/3 : FROM busybox\n', ' ---> dc95ed659f71\n', 'Step 2/3 : ENV A=1\n', ' ---> Using cache\n', ' ---> b734bd518c10\n'));
  t = 500;
  feed(...msgs('Step 3/3 : RUN echo hi; echo there\n', ' ---> Running in 4fc2ee4147b3\n', 'hi\nthe', 're\n'));
  t = 1700;
  out += v.frame(t);
  let s = screen(out);
  assert.deepEqual(s, [
    ' => [1/3] FROM busybox                                 0.0s',
    ' => CACHED [2/3] ENV A=1                               0.0s',
    '[+] Building 1.7s (2/3)',
    ' => [3/3] RUN echo hi; echo there                      1.2s',
    ' => => # hi',
    ' => => # there',
  ]);
  feed(...msgs('Removing intermediate container 4fc2ee4147b3\n', ' ---> 01a2d9ee8c7e\n', 'Successfully built 01a2d9ee8c7e\n', 'Successfully tagged x:latest\n'));
  out += v.finish(1800, false);
  s = screen(out);
  assert.deepEqual(s, [
    ' => [1/3] FROM busybox                                 0.0s',
    ' => CACHED [2/3] ENV A=1                               0.0s',
    ' => [3/3] RUN echo hi; echo there                      1.2s',
    '[+] Building 1.8s (3/3) FINISHED',
  ]);
  assert.deepEqual(v.finalLines, ['Successfully built 01a2d9ee8c7e', 'Successfully tagged x:latest']);
});

test('a failing step is marked ERROR and its output printed between dashed lines', () => {
  const v = new BuildProgress(0, 80);
  let out = '';
  for (const m of msgs('Step 1/2 : FROM busybox\n', ' ---> dc95ed659f71\n', 'Step 2/2 : RUN echo oops; false\n', ' ---> Running in a7772679\n', 'oops\n')) { v.feed(m, 100); out += v.frame(100); }
  assert.throws(() => v.feed({ errorDetail: { code: 1, message: "The command '/bin/sh -c echo oops; false' returned a non-zero code: 1" } }, 300),
    (e: unknown) => e instanceof StreamError && e.code === 1);
  out += v.finish(300, true);
  const s = screen(out);
  assert.equal(s[1]!.replace(/ +/g, ' '), ' => ERROR [2/2] RUN echo oops; false 0.2s');
  assert.equal(s[2], '[+] Building 0.3s (1/2) ERROR');
  assert.deepEqual(s.slice(3), ['------', ' > [2/2] RUN echo oops; false:', 'oops', '------']);
});

test('lines never wrap: long steps and output are cut to the width; carriage returns show the last state', () => {
  const v = new BuildProgress(0, 40);
  v.feed({ stream: `Step 1/1 : RUN ${'x'.repeat(100)}\n` }, 0);
  v.feed({ stream: 'progress 10%\rprogress 90%\r\n' }, 0);
  v.feed({ stream: `${'y'.repeat(100)}\n` }, 0);
  const s = screen(v.frame(0));
  for (const l of s) assert.ok(l.length <= 39, l);
  assert.match(s[1]!, /^ => \[1\/1\] RUN x+\.\.\. 0\.0s$/);
  assert.equal(s[2], ' => => # progress 90%');
});

test('pull progress under FROM shows a line per layer; escape sequences in output are dropped', () => {
  const v = new BuildProgress(0, 120);
  v.feed({ stream: 'Step 1/1 : FROM example/img\n' }, 0);
  v.feed({ status: 'Downloading', id: 'abc123', progressDetail: { current: 50, total: 100 } }, 0);
  v.feed({ status: 'Pull complete', id: 'def456' }, 0);
  v.feed({ stream: '\x1b[31mred\x1b[0m\n' }, 0);
  const s = screen(v.frame(0));
  assert.match(s[2]!, /^ => => abc123: Downloading +50B\/100B$/);
  assert.equal(s[3], ' => => def456: Pull complete');
  assert.equal(s[4], ' => => # [31mred[0m');
});

test('displayBuildProgress: the aux ID, the final lines after the view, and the error thrown after it', async () => {
  const lines = [
    { stream: 'Step 1/1 : FROM busybox\n' }, { stream: ' ---> dc95ed659f71\n' },
    { aux: { ID: 'sha256:dc95' } }, { stream: 'Successfully built dc95ed659f71\n' },
  ];
  let text = '';
  let id: unknown;
  await displayBuildProgress(Readable.from(lines.map((l) => JSON.stringify(l) + '\n')), { write: (t) => { text += t; }, onAux: (a) => { id = (a as { ID: string }).ID; }, now: () => 0 });
  assert.equal(id, 'sha256:dc95');
  assert.deepEqual(screen(text).slice(-2), ['[+] Building 0.0s (1/1) FINISHED', 'Successfully built dc95ed659f71']);
  text = '';
  const bad = [{ stream: 'Step 1/1 : RUN false\n' }, { errorDetail: { message: 'boom', code: 2 } }];
  await assert.rejects(displayBuildProgress(Readable.from(bad.map((l) => JSON.stringify(l) + '\n')), { write: (t) => { text += t; }, now: () => 0 }), /boom/);
  assert.match(text, /ERROR \[1\/1\] RUN false/);
  assert.doesNotMatch(text, /FINISHED/);
});
