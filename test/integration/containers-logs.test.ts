import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { demux, importBusybox, inspectContainer, out, removeContainers, requestBytes, runToExit, streamDocker } from '../helpers/containers.js';

/** Docker's `logs -t` stamp: RFC 3339 with nine fixed fraction digits (jsonmessage.RFC3339NanoFixed). */
const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z) (.*)$/;

/**
 * `docker logs` over what conmon wrote: the two streams kept apart, timestamps, tail, since,
 * until, follow, and output written before and after the reader came.
 */
describe('containers: logs through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('ct-logs');
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });


  test('stdout and stderr stay apart: docker logs writes each to its own stream', async (t) => {
    // Paced: conmon reads each pipe in batches, so lines written within one wake-up keep no
    // order across the two streams (dockerd's json-file has the same limit).
    const id = await runToExit(d, t, ['busybox', 'sh', '-c', 'echo out1; usleep 50000; echo err1 >&2; usleep 50000; echo out2; usleep 50000; echo err2 >&2; usleep 50000; echo out3']);
    const r = await d.docker(['logs', id]);
    assert.equal(out(r), 'out1\nout2\nout3\n');
    assert.equal(r.stderr, 'err1\nerr2\n');
    const raw = await requestBytes(d, 'GET', `/v1.50/containers/${id}/logs?stdout=1&stderr=1`);
    assert.equal(raw.status, 200);
    assert.equal(raw.headers['content-type'], 'application/vnd.docker.multiplexed-stream');
    assert.deepEqual(demux(raw.body), [[1, 'out1\n'], [2, 'err1\n'], [1, 'out2\n'], [2, 'err2\n'], [1, 'out3\n']]);
    const onlyErr = await requestBytes(d, 'GET', `/containers/${id}/logs?stderr=1`);
    assert.deepEqual(demux(onlyErr.body), [[2, 'err1\n'], [2, 'err2\n']]);
    const none = await d.request('GET', `/containers/${id}/logs`);
    assert.equal(none.status, 400);
    assert.match(JSON.parse(none.body).message, /you must choose at least one stream/);
  });

  // The docker CLI's stdcopy copies frames out as bytes, one write each: half a million
  // one-line frames made its side of `docker logs` of 50 MB take seconds. Clients known to read
  // frames as bytes get a stream's consecutive lines in one frame; every other client (docker-py
  // yields each frame as a line) gets a frame per line, as from dockerd.
  test('a frame per line for API clients; lines of one stream share frames for the docker CLI and berth', async (t) => {
    const id = await runToExit(d, t, ['busybox', 'sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done; usleep 100000; echo err >&2; usleep 100000; echo last']);
    const lines: Array<[number, string]> = [[1, 'line1\n'], [1, 'line2\n'], [1, 'line3\n'], [1, 'line4\n'], [1, 'line5\n'], [2, 'err\n'], [1, 'last\n']];
    for (const ua of [undefined, 'docker-py/7.1.0', 'python-requests/2.28', 'Go-http-client/1.1']) {
      const raw = await requestBytes(d, 'GET', `/containers/${id}/logs?stdout=1&stderr=1`, ua ? { 'User-Agent': ua } : {});
      assert.deepEqual(demux(raw.body), lines, String(ua));
    }
    for (const ua of ['Docker-Client/28.0.1 (linux)', 'berth-cli']) {
      const raw = await requestBytes(d, 'GET', `/containers/${id}/logs?stdout=1&stderr=1`, { 'User-Agent': ua });
      assert.deepEqual(demux(raw.body), [[1, 'line1\nline2\nline3\nline4\nline5\n'], [2, 'err\n'], [1, 'last\n']], ua);
      const stamped = demux((await requestBytes(d, 'GET', `/containers/${id}/logs?stdout=1&timestamps=1`, { 'User-Agent': ua })).body);
      assert.equal(stamped.length, 1);
      assert.deepEqual(stamped[0]![1].split('\n').slice(0, -1).map((l) => STAMP.exec(l)?.[2]), ['line1', 'line2', 'line3', 'line4', 'line5', 'last']);
    }
    const r = await d.docker(['logs', id]);
    assert.equal(out(r), 'line1\nline2\nline3\nline4\nline5\nlast\n');
    assert.equal(r.stderr, 'err\n');
  });

  test('-t prefixes each line with its RFC 3339 nano timestamp, in order, within the run', async (t) => {
    const id = await runToExit(d, t, ['busybox', 'sh', '-c', 'echo a; echo b >&2; echo c']);
    const c = await inspectContainer(d, id);
    const r = await d.docker(['logs', '-t', id]);
    const lines = (out(r) + r.stderr).trim().split('\n');
    assert.equal(lines.length, 3);
    const stamps: number[] = [];
    for (const l of lines) {
      const m = STAMP.exec(l);
      assert.ok(m, `stamped: ${l}`);
      stamps.push(Date.parse(m[1]!));
    }
    const outLines = out(r).trim().split('\n').map((l) => STAMP.exec(l)!);
    assert.deepEqual(outLines.map((m) => m[2]), ['a', 'c']);
    assert.ok(outLines[0]![1]! <= outLines[1]![1]!, `stdout stamps in order: ${outLines.map((m) => m[1]).join(' ')}`);
    assert.equal(STAMP.exec(r.stderr.trim())![2], 'b');
    const started = Date.parse(c.State.StartedAt) - 1000;
    const finished = Date.parse(c.State.FinishedAt) + 1000;
    for (const s of stamps) assert.ok(s >= started && s <= finished, `${new Date(s).toISOString()} within ${c.State.StartedAt}..${c.State.FinishedAt}`);
  });

  test('--tail N shows the last N lines (0 none, all every one)', async (t) => {
    const id = await runToExit(d, t, ['busybox', 'seq', '1', '10']);
    assert.equal(out(await d.docker(['logs', '--tail', '2', id])), '9\n10\n');
    assert.equal(out(await d.docker(['logs', '--tail', '0', id])), '');
    assert.equal(out(await d.docker(['logs', '--tail', 'all', id])), Array.from({ length: 10 }, (_, i) => `${i + 1}\n`).join(''));
    assert.equal(out(await d.docker(['logs', '--tail', '20', id])).split('\n').length, 11);
  });

  test('--since and --until select lines by time', async (t) => {
    const id = await runToExit(d, t, ['busybox', 'sh', '-c', 'echo one; usleep 300000; echo two; usleep 300000; echo three']);
    const stamped = out(await d.docker(['logs', '-t', id])).trim().split('\n').map((l) => STAMP.exec(l)!);
    assert.deepEqual(stamped.map((m) => m[2]), ['one', 'two', 'three']);
    // Bounds 100 ms from a line: the lines are 300 ms apart, so no bound sits on a line.
    const two = Date.parse(stamped[1]![1]!);
    const since = new Date(two - 100).toISOString();
    const until = new Date(two + 100).toISOString();
    assert.equal(out(await d.docker(['logs', '--since', since, id])), 'two\nthree\n');
    assert.equal(out(await d.docker(['logs', '--until', until, id])), 'one\ntwo\n');
    assert.equal(out(await d.docker(['logs', '--since', since, '--until', until, id])), 'two\n');
    assert.equal(out(await d.docker(['logs', '--since', String(Math.floor(Date.now() / 1000) + 60), id])), '');
  });

  test('-f follows a running container and ends when it exits', async (t) => {
    const id = out(await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'echo start; echo to-stderr >&2; while [ ! -e /tmp/go ]; do usleep 20000; done; echo end'])).trim();
    t.after(() => removeContainers(d, id));
    const follow = streamDocker(d, ['logs', '-f', id]);
    await follow.waitFor(/^start\n/);
    assert.equal((await inspectContainer(d, id)).State.Running, true, 'following a running container');
    await d.docker(['exec', id, 'touch', '/tmp/go']);
    const r = await follow.done;
    assert.equal(r.code, 0);
    assert.equal(follow.text(), 'start\nend\n');
    assert.equal(r.stderr, 'to-stderr\n');
    assert.equal((await inspectContainer(d, id)).State.Status, 'exited', 'logs -f returned because the container exited');
    const again = await d.docker(['logs', '-f', id], { timeoutMs: 10_000 });
    assert.equal(out(again), 'start\nend\n', '-f of an exited container prints and ends');
  });

  test('-f --tail 0 shows only what is written after it attached', async (t) => {
    const id = out(await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'echo old; while [ ! -e /tmp/go ]; do echo tick; usleep 50000; done; echo new'])).trim();
    t.after(() => removeContainers(d, id));
    const follow = streamDocker(d, ['logs', '-f', '--tail', '0', id]);
    await follow.waitFor(/tick\n/);
    await d.docker(['exec', id, 'touch', '/tmp/go']);
    const r = await follow.done;
    assert.equal(r.code, 0);
    const lines = follow.text().split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.equal(lines.pop(), 'new');
    assert.ok(lines.length > 0 && lines.every((l) => l === 'tick'), `only ticks before "new": ${JSON.stringify(lines.slice(0, 5))}`);
  });

  test('a last line without a newline is kept as written; long output is complete', async (t) => {
    const partial = await runToExit(d, t, ['busybox', 'sh', '-c', 'echo full; printf "no newline"']);
    assert.equal(out(await d.docker(['logs', partial])), 'full\nno newline');
    const big = await runToExit(d, t, ['busybox', 'seq', '1', '100000']);
    const text = out(await d.docker(['logs', big]));
    const lines = text.split('\n');
    assert.equal(lines.length, 100_001);
    assert.equal(lines[0], '1');
    assert.equal(lines[99_999], '100000');
    assert.equal(out(await d.docker(['logs', '--tail', '1', big])), '100000\n');
  });

  test('--log-opt max-size/max-file: docker logs shows a contiguous tail within the size', async (t) => {
    const id = await runToExit(d, t, ['--log-opt', 'max-size=10k', '--log-opt', 'max-file=2', 'busybox', 'seq', '1', '20000']);
    const text = out(await d.docker(['logs', id]));
    const nums = text.trim().split('\n').map(Number);
    assert.equal(nums.at(-1), 20000, 'the newest line is kept');
    assert.ok(text.length <= 20 * 1024, `at most max-size x max-file: ${text.length} bytes`);
    const gaps = nums.slice(1).flatMap((n, i) => (n === nums[i]! + 1 ? [] : [`${nums[i]} -> ${n}`]));
    assert.deepEqual(gaps, [], 'the lines kept are one contiguous tail');
  });

  test('a TTY container\'s logs are one raw stream with CRLF line ends', async (t) => {
    const id = await runToExit(d, t, ['-t', 'busybox', 'sh', '-c', 'echo tty-out; echo tty-err >&2']);
    const r = await d.docker(['logs', id]);
    assert.equal(out(r), 'tty-out\r\ntty-err\r\n');
    assert.equal(r.stderr, '');
  });

  test('logs of an unknown container: exit 1, "No such container"', async () => {
    const r = await d.docker(['logs', 'nosuch'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No such container: nosuch/);
  });
});
