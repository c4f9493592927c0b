import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../src/util/index.js';
import { writeDockerArchive } from '../helpers/archive.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, out, processesMatching, removeContainers, unixSeconds } from '../helpers/containers.js';
import { busyboxRootfsTar } from '../helpers/fixtures.js';

interface Health { Status: string; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> }

/**
 * Health checks through the real docker CLI and berth: the run flags and the image's
 * HEALTHCHECK with Docker's precedence, starting → healthy → unhealthy with events, the start
 * period, timeouts that kill the probe, ps and its health filter, and a berthd restart.
 */
describe('health checks', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('health');
    await importBusybox(d);
    // An image with a HEALTHCHECK (CMD-SHELL, 1 s interval, 2 retries) loaded from an archive.
    const layer = readFileSync(await busyboxRootfsTar());
    const archive = path.join(d.dir, 'hc.tar');
    await writeDockerArchive(archive, [layer], {
      repoTags: ['hc:latest'], cmd: ['sleep', '300'],
      config: { Healthcheck: { Test: ['CMD-SHELL', 'echo image-probe; test -f /tmp/ok'], Interval: 1e9, Timeout: 5e9, Retries: 2 } },
    });
    await d.docker(['load', '-i', archive]);
  });
  after(async () => { await d?.stop(); });

  const health = async (name: string): Promise<Health | null> => JSON.parse(out(await d.docker(['inspect', '-f', '{{json .State.Health}}', name]))) as Health | null;
  const untilStatus = (name: string, status: string, timeoutMs = 20_000) => waitFor(`${name} to be ${status}`, async () => {
    const h = await health(name);
    return h?.Status === status ? h : undefined;
  }, { timeoutMs });

  test('starting, then healthy, then unhealthy after retries failures; events and ps follow', async (t) => {
    t.after(() => removeContainers(d, 'h1'));
    const since = unixSeconds();
    await d.docker(['run', '-d', '--name', 'h1', '--health-cmd', 'cat /tmp/ok', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sh', '-c', 'echo fine > /tmp/ok; sleep 300']);
    const ok = await untilStatus('h1', 'healthy');
    assert.equal(ok.FailingStreak, 0);
    assert.equal(ok.Log.at(-1)!.ExitCode, 0);
    assert.equal(ok.Log.at(-1)!.Output, 'fine\n');
    assert.match(out(await d.docker(['ps', '--filter', 'name=h1', '--format', '{{.Status}}'])), /^Up .* \(healthy\)$/m);
    assert.equal(out(await d.docker(['ps', '-q', '--filter', 'health=healthy'])).trim().length, 12);
    await d.docker(['exec', 'h1', 'rm', '/tmp/ok']);
    const bad = await untilStatus('h1', 'unhealthy');
    assert.ok(bad.FailingStreak >= 2, `streak ${bad.FailingStreak}`);
    assert.match(bad.Log.at(-1)!.Output, /No such file or directory/);
    assert.ok(bad.Log.length <= 5, 'the last five probes are kept');
    await waitFor('six probes to have run', async () => ((await health('h1'))!.FailingStreak >= 4 ? true : undefined), { timeoutMs: 20_000 });
    assert.equal((await health('h1'))!.Log.length, 5);
    assert.match(out(await d.docker(['ps', '--filter', 'health=unhealthy', '--format', '{{.Names}} {{.Status}}'])), /^h1 Up .* \(unhealthy\)$/m);
    const events = out(await d.docker(['events', '--since', since, '--until', unixSeconds(Date.now() + 500), '--filter', 'container=h1', '--filter', 'event=health_status', '--format', '{{.Action}}']));
    assert.deepEqual(events.trim().split('\n'), ['health_status: healthy', 'health_status: unhealthy']);
    assert.equal(out(await d.docker(['ps', '-q', '--filter', 'health=none', '--filter', 'name=h1'])).trim(), '');
  });

  test('the start period: failures while starting do not count; the start interval paces probes', async (t) => {
    t.after(() => removeContainers(d, 'h2'));
    await d.docker(['run', '-d', '--name', 'h2', '--health-cmd', 'false', '--health-interval', '5s', '--health-retries', '1', '--health-start-period', '60s', '--health-start-interval', '200ms', 'busybox', 'sleep', '300']);
    await waitFor('three probes in the start period', async () => {
      const h = await health('h2');
      return h && h.Log.length >= 3 ? true : undefined;
    }, { timeoutMs: 15_000 });
    const h = (await health('h2'))!;
    assert.equal(h.Status, 'starting', 'still starting: failures in the start period do not count');
    assert.equal(h.FailingStreak, 0);
    assert.ok(h.Log.every((e) => e.ExitCode === 1));
    assert.match(out(await d.docker(['ps', '--filter', 'name=h2', '--format', '{{.Status}}'])), /\(health: starting\)$/m);
  });

  test('a probe that hangs is killed at its timeout: exit -1 with docker\'s words, nothing left running', async (t) => {
    t.after(() => removeContainers(d, 'h3'));
    await d.docker(['run', '-d', '--name', 'h3', '--health-cmd', 'sleep 987', '--health-timeout', '300ms', '--health-interval', '500ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
    const h = await untilStatus('h3', 'unhealthy');
    assert.equal(h.Log[0]!.ExitCode, -1);
    assert.equal(h.Log[0]!.Output, 'Health check exceeded timeout (300ms)');
    await d.docker(['rm', '-f', 'h3']);
    assert.deepEqual(await processesMatching('sleep 987'), [], 'no probe left behind');
  });

  test('the image\'s HEALTHCHECK runs; run flags override parts of it; --no-healthcheck turns it off', async (t) => {
    t.after(() => removeContainers(d, 'img1', 'img2', 'img3'));
    await d.docker(['run', '-d', '--name', 'img1', 'hc', 'sh', '-c', 'touch /tmp/ok; sleep 300']);
    const h = await untilStatus('img1', 'healthy');
    assert.equal(h.Log.at(-1)!.Output, 'image-probe\n');
    await d.docker(['run', '-d', '--name', 'img2', '--health-retries', '1', 'hc']);
    const cfg = JSON.parse(out(await d.docker(['inspect', '-f', '{{json .Config.Healthcheck}}', 'img2'])));
    assert.deepEqual(cfg, { Test: ['CMD-SHELL', 'echo image-probe; test -f /tmp/ok'], Interval: 1e9, Timeout: 5e9, Retries: 1 });
    await untilStatus('img2', 'unhealthy');
    await d.docker(['run', '-d', '--name', 'img3', '--no-healthcheck', 'hc']);
    assert.equal(await health('img3'), null);
    assert.match(out(await d.docker(['ps', '--filter', 'name=img3', '--format', '{{.Status}}'])), /^Up [^(]*$/m);
  });

  test('bad health settings are refused with dockerd\'s messages', async () => {
    const api = (hc: unknown) => d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', Healthcheck: hc }), { 'Content-Type': 'application/json' });
    let r = await api({ Test: ['CMD', 'true'], Interval: 1000 });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'Interval in Healthcheck cannot be less than 1ms');
    r = await api({ Test: ['CMD', 'true'], Retries: -1 });
    assert.equal(JSON.parse(r.body).message, 'Retries in Healthcheck cannot be negative');
  });

  test('health checking goes on across a berthd restart (kill -9), state kept', async (t) => {
    t.after(() => removeContainers(d, 'h4'));
    await d.docker(['run', '-d', '--name', 'h4', '--health-cmd', 'cat /tmp/ok', '--health-interval', '300ms', '--health-retries', '1', 'busybox', 'sh', '-c', 'touch /tmp/ok; sleep 300']);
    await untilStatus('h4', 'healthy');
    d.proc.kill('SIGKILL');
    await new Promise((resolve) => d.proc.once('exit', resolve));
    d = await startDaemon('health', [], { dir: d.dir });
    assert.equal((await health('h4'))!.Status, 'healthy', 'the state is kept');
    await d.docker(['exec', 'h4', 'rm', '/tmp/ok']);
    await untilStatus('h4', 'unhealthy');
    assert.match(out(await d.berth(['ps', '--filter', 'name=h4', '--format', '{{.Status}}'])), /\(unhealthy\)$/m);
  });

  test('berth runs health checks with its own flags', async (t) => {
    t.after(() => removeContainers(d, 'hb'));
    await d.berth(['run', '-d', '--name', 'hb', '--health-cmd', 'true', '--health-interval', '200ms', 'busybox', 'sleep', '300']);
    await untilStatus('hb', 'healthy');
    assert.match(out(await d.berth(['ps', '--filter', 'health=healthy', '--format', '{{.Names}} {{.Status}}'])), /^hb Up .* \(healthy\)$/m);
  });
});
