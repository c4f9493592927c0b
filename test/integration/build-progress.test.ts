import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../src/util/index.js';
import { berthBin, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, out } from '../helpers/containers.js';
import { Tmux } from '../helpers/tmux.js';

/**
 * `berth build` on a terminal (issue 13): the live view (a line per step with its time,
 * the running step's output tail under a `[+] Building` line redrawn in place), the
 * failed step's output with its error; the legacy lines with --progress plain, and the
 * view with --progress tty even into a pipe.
 */
describe('berth build: the terminal view', needsDocker, () => {
  let d: TestDaemon;
  let tmux: Tmux;
  let ctx: string;
  before(async () => {
    d = await startDaemon('build-progress');
    await importBusybox(d);
    ctx = path.join(d.dir, 'ctx');
    await fsp.mkdir(ctx);
    tmux = await Tmux.start(`berth-build-progress-${process.pid}`, {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, TERM: 'xterm',
    });
  });
  after(async () => {
    await tmux?.kill();
    await d?.stop();
  });

  const dockerfile = async (name: string, text: string): Promise<string> => {
    await fsp.writeFile(path.join(ctx, name), text);
    return path.join(ctx, name);
  };

  test('steps with their times, the running step\'s output live, then FINISHED and the tags; CACHED on a rebuild', { timeout: 120_000 }, async () => {
    // The RUN waits for the test to let it go, so the view is seen while it runs.
    const f = await dockerfile('Dockerfile.live', 'FROM busybox\nENV A=1\nRUN echo started; echo second; i=0; while [ ! -e /tmp/go ] && [ $i -lt 900 ]; do i=$((i+1)); sleep 0.1; done; echo ended\nCMD ["true"]\n');
    const w = await tmux.run([process.execPath, berthBin, 'build', '-f', f, '-t', 'progress:live', ctx], { cols: 100, rows: 24 });
    const live = await tmux.waitFor(w, / => => # second/, 60_000);
    assert.match(live, /^ => \[1\/4\] FROM busybox +\d+\.\ds$/m);
    assert.match(live, /^ => \[2\/4\] ENV A=1 +\d+\.\ds$/m);
    assert.match(live, /^\[\+\] Building \d+\.\ds \(2\/4\)$/m);
    assert.match(live, /^ => \[3\/4\] RUN echo started; echo second; .*\d+\.\ds$/m);
    assert.match(live, /^ => => # started$/m);
    assert.doesNotMatch(live, /Step 1\/4|Running in|FINISHED/);
    // The clock of the running step moves while nothing arrives.
    const clock = (text: string): number => Number(/^ => \[3\/4\] RUN .* (\d+\.\d)s$/m.exec(text)?.[1]);
    const first = clock(live);
    await tmux.waitFor(w, new RegExp(`^ => \\[3/4\\] RUN .* (?!${first.toFixed(1).replace('.', '\\.')}s)\\d+\\.\\ds$`, 'm'));
    const running = out(await d.berth(['ps', '-q'])).trim();
    assert.match(running, /^[0-9a-f]{12}$/);
    await d.berth(['exec', running, 'touch', '/tmp/go']);
    const done = await tmux.waitFor(w, /\[exit \d+\]/, 60_000);
    assert.match(done, /\[exit 0\]/);
    const lines = done.split('\n').filter((l) => l.trim());
    const from = lines.findIndex((l) => l.startsWith(' => [1/4]'));
    assert.ok(from >= 0, done);
    const expected = [
      /^ => \[1\/4\] FROM busybox +\d+\.\ds$/,
      /^ => \[2\/4\] ENV A=1 +\d+\.\ds$/,
      /^ => \[3\/4\] RUN echo started; echo second; i=0; while .*\.\.\. \d+\.\ds$/,
      /^ => \[4\/4\] CMD \["true"\] +\d+\.\ds$/,
      /^\[\+\] Building \d+\.\ds \(4\/4\) FINISHED$/,
      /^Successfully built [0-9a-f]{12}$/,
      /^Successfully tagged progress:live$/,
      /^\[exit 0\]$/,
    ];
    assert.equal(lines.length - from, expected.length, done);
    expected.forEach((re, i) => assert.match(lines[from + i]!, re));
    // The live tail was erased by the final frame.
    assert.doesNotMatch(done, /=> => #/);

    const again = await tmux.run([process.execPath, berthBin, 'build', '-f', f, '-t', 'progress:live', ctx], { cols: 100, rows: 24 });
    const cached = await tmux.waitFor(again, /\[exit \d+\]/, 60_000);
    assert.match(cached, /^ => CACHED \[2\/4\] ENV A=1 +\d+\.\ds$/m);
    assert.match(cached, /^ => CACHED \[3\/4\] RUN echo started/m);
    assert.match(cached, /\(4\/4\) FINISHED\n[\s\S]*\[exit 0\]/);
  });

  test('a failing RUN: the step marked ERROR, its output between dashed lines, the error and plain mode\'s exit code', { timeout: 120_000 }, async () => {
    const f = await dockerfile('Dockerfile.fail', 'FROM busybox\nRUN echo oops; echo more >&2; exit 3\n');
    const plain = await d.berth(['build', '--progress', 'plain', '-f', f, ctx], { allowFailure: true });
    assert.notEqual(plain.code, 0);
    const w = await tmux.run([process.execPath, berthBin, 'build', '-f', f, ctx], { cols: 100, rows: 24 });
    const text = await tmux.waitFor(w, /\[exit \d+\]/, 60_000);
    assert.match(text, /^ => ERROR \[2\/2\] RUN echo oops; echo more >&2; exit 3 +\d+\.\ds$/m);
    assert.match(text, /^\[\+\] Building \d+\.\ds \(1\/2\) ERROR$/m);
    assert.match(text, /^------\n > \[2\/2\] RUN echo oops; echo more >&2; exit 3:\noops\nmore\n------$/m);
    assert.match(text, /The command '\/bin\/sh -c echo oops; echo more >&2; exit 3' returned a non-zero code: 3/);
    assert.match(text, new RegExp(`\\[exit ${plain.code}\\]`));
    // Nothing is left running or half-built.
    await waitFor('the failed build\'s container to go', async () => (out(await d.berth(['ps', '-aq'])).trim() === '' ? true : undefined), { timeoutMs: 15_000 });
  });

  test('--progress plain on a terminal prints the legacy lines; --progress tty draws the view into a pipe', { timeout: 120_000 }, async () => {
    const f = await dockerfile('Dockerfile.modes', 'FROM busybox\nLABEL mode=1\n');
    const w = await tmux.run([process.execPath, berthBin, 'build', '--progress', 'plain', '-f', f, ctx]);
    const plain = await tmux.waitFor(w, /\[exit \d+\]/, 60_000);
    assert.match(plain, /^Step 1\/2 : FROM busybox$/m);
    assert.match(plain, /^Successfully built [0-9a-f]{12}$/m);
    assert.doesNotMatch(plain, /\[\+\] Building/);
    const piped = out(await d.berth(['build', '--progress', 'tty', '-f', f, ctx]));
    assert.match(piped, /\[\+\] Building \d+\.\ds \(2\/2\) FINISHED\n/);
    assert.match(piped, /\x1b\[\d+F\x1b\[J/);
    assert.doesNotMatch(piped, /Step 1\/2/);
  });
});
