import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { exec, waitFor } from '../../src/util/index.js';
import { mountsUnder, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import {
  importBusybox, inspectContainer, leaksOf, liveState, out, removeContainers, streamDocker, waitForLogs, waitForStatus,
} from '../helpers/containers.js';

/** The highest `line N` in a text, 0 when none. */
function lastLine(text: string): number {
  // Both `docker logs` text and conmon's k8s-file lines (`<time> stdout F line 3`).
  const all = [...text.matchAll(/(?:^| )line (\d+)$/gm)].map((m) => Number(m[1]));
  return all.length ? Math.max(...all) : 0;
}

/**
 * Containers outlive berthd: `kill -9` of the daemon leaves them running and logging under
 * conmon; a new berthd on the same data-root and exec-root re-adopts them, records the exits
 * that happened meanwhile and applies restart policies; after a simulated host restart
 * (processes and runtime state gone) `always` containers run again and others are exited.
 */
describe('live restore', needsDocker, () => {
  let d: TestDaemon;
  let dir: string;
  before(async () => {
    d = await startDaemon('live-restore');
    dir = d.dir;
    await importBusybox(d);
  });
  // Only the current daemon: an earlier, killed one shares the directory and must not remove it.
  after(async () => { await d?.stop(); });

  async function killDaemon(): Promise<void> {
    if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGKILL');
    await exited;
  }

  async function restartDaemon(): Promise<void> {
    d = await startDaemon('live-restore', [], { dir });
  }

  /** A test that failed while berthd was down leaves it down: the next one brings it back. */
  beforeEach(async () => {
    if (d && (d.proc.exitCode !== null || d.proc.signalCode !== null)) await restartDaemon();
  });

  async function runDetached(t: { after: (fn: () => Promise<void>) => void }, args: string[]): Promise<string> {
    const id = out(await d.docker(['run', '-d', ...args])).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    t.after(() => removeContainers(d, id));
    return id;
  }

  test('kill -9 of berthd: the container keeps running and logging; the new berthd re-adopts it (ps, logs -f, stop)', async (t) => {
    const id = await runDetached(t, ['--init', '--name', 'counter', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; usleep 100000; done']);
    await waitForLogs(d, id, /^line 3$/m);
    const before = await inspectContainer(d, id);
    await killDaemon();

    const seenWhileDown = lastLine(await fsp.readFile(before.LogPath, 'utf8'));
    await waitFor('the log to grow while berthd is down', async () => {
      const n = lastLine(await fsp.readFile(before.LogPath, 'utf8'));
      if (n < seenWhileDown + 3) throw new Error(`last line ${n}, was ${seenWhileDown}`);
      return n;
    });
    assert.ok(liveState(before.State.Pid), `container process ${before.State.Pid} is alive while berthd is down`);

    await restartDaemon();
    const after = await inspectContainer(d, id);
    assert.equal(after.State.Status, 'running');
    assert.equal(after.State.Pid, before.State.Pid, 're-adopted, not restarted');
    assert.equal(after.State.StartedAt, before.State.StartedAt);
    assert.equal(after.RestartCount, 0);
    assert.match(out(await d.docker(['ps', '--format', '{{.Names}} {{.Status}}'])), /^counter Up /m);
    assert.equal(out(await d.docker(['exec', id, 'echo', 'exec works'])), 'exec works\n');

    const atRestart = lastLine(await fsp.readFile(before.LogPath, 'utf8'));
    const follow = streamDocker(d, ['logs', '-f', '--tail', '1', id]);
    await follow.waitFor(new RegExp(`^line ${atRestart + 2}$`, 'm'));
    const start = performance.now();
    await d.docker(['stop', id]);
    assert.ok(performance.now() - start < 5_000, 'tini forwarded SIGTERM to the re-adopted container');
    const r = await follow.done;
    assert.equal(r.code, 0, 'logs -f ended with the container');
    const stopped = await inspectContainer(d, id);
    assert.equal(stopped.State.Status, 'exited');
    assert.equal(stopped.State.ExitCode, 143);
    await d.docker(['rm', id]);
    assert.deepEqual(await leaksOf(d, id), []);
  });

  test('a paused container is still paused after kill -9 and restart, and unpauses', async (t) => {
    const id = await runDetached(t, ['busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; usleep 50000; done']);
    await waitForLogs(d, id, /^line 2$/m);
    await d.docker(['pause', id]);
    const pausedAt = lastLine(out(await d.docker(['logs', id])));
    await killDaemon();
    await restartDaemon();
    const c = await inspectContainer(d, id);
    assert.equal(c.State.Status, 'paused');
    assert.equal(c.State.Paused, true);
    assert.equal(lastLine(out(await d.docker(['logs', id]))), pausedAt, 'still frozen');
    await d.docker(['unpause', id]);
    await waitForLogs(d, id, new RegExp(`^line ${pausedAt + 2}$`, 'm'));
    await d.docker(['rm', '-f', id]);
    assert.deepEqual(await leaksOf(d, id), []);
  });

  test('exits while berthd is down are recorded with code and time; restart policies apply', async (t) => {
    const trapLoop = (code: number) => `trap "exit ${code}" USR1; echo ready; while true; do usleep 50000; done`;
    const exiter = await runDetached(t, ['--name', 'exiter', 'busybox', 'sh', '-c', trapLoop(42)]);
    const always = await runDetached(t, ['--name', 'always', '--restart', 'always', 'busybox', 'sh', '-c', trapLoop(9)]);
    await waitForLogs(d, exiter, /ready/);
    await waitForLogs(d, always, /ready/);
    const exiterPid = (await inspectContainer(d, exiter)).State.Pid;
    const alwaysPid = (await inspectContainer(d, always)).State.Pid;
    await killDaemon();

    const signalledMs = Date.now();
    process.kill(exiterPid, 'SIGUSR1');
    process.kill(alwaysPid, 'SIGUSR1');
    for (const [id, pid] of [[exiter, exiterPid], [always, alwaysPid]] as const) {
      await waitFor(`${id.slice(0, 12)} to exit and conmon to record it while berthd is down`, () => {
        const exitFile = path.join(dir, 'exec', 'exits', id);
        if (liveState(pid) !== undefined || !existsSync(exitFile)) throw new Error(`process ${liveState(pid) ?? 'gone'}, exit file ${existsSync(exitFile)}`);
        return true;
      });
    }
    const restartedMs = Date.now();
    await restartDaemon();

    const e = await waitForStatus(d, exiter, 'exited');
    assert.equal(e.State.ExitCode, 42);
    assert.equal(e.State.Running, false);
    const finishedMs = Date.parse(e.State.FinishedAt);
    assert.ok(finishedMs >= signalledMs - 1000 && finishedMs <= restartedMs + 1000, `FinishedAt ${e.State.FinishedAt} is when it exited, not when berthd came back`);
    assert.equal(out(await d.docker(['wait', exiter])), '42\n');

    const a = await waitFor('the always container to be restarted', async () => {
      const c = await inspectContainer(d, always);
      if (c.State.Status !== 'running' || c.RestartCount < 1) throw new Error(`${c.State.Status}, RestartCount ${c.RestartCount} ${c.State.Error} ${c.State.ExitCode}`);
      return c;
    });
    assert.notEqual(a.State.Pid, alwaysPid);
    assert.ok(liveState(a.State.Pid), 'its new process is alive');
    await waitForLogs(d, always, /ready\n(.*\n)*ready/);
  });

  test('host restart simulation: processes and runtime state gone; always and unless-stopped run again, no is exited', async (t) => {
    const hrAlways = await runDetached(t, ['--name', 'hr-always', '--restart', 'always', 'busybox', 'sleep', '1000']);
    const hrUnless = await runDetached(t, ['--name', 'hr-unless', '--restart', 'unless-stopped', 'busybox', 'sleep', '1000']);
    const hrNo = await runDetached(t, ['--name', 'hr-no', 'busybox', 'sleep', '1000']);
    const ids = [hrAlways, hrUnless, hrNo];
    const pids = new Map<string, number>();
    for (const id of ids) pids.set(id, (await waitForStatus(d, id, 'running')).State.Pid);
    await killDaemon();

    // What a reboot does to them: monitor and process gone, runtime state and mounts gone,
    // no exit file (conmon died first). /run being ext4 here, the exec-root itself stays.
    const runcRoot = path.join(dir, 'exec', 'runtime', 'runc');
    for (const id of ids) {
      const conmonPid = Number((await fsp.readFile(path.join(dir, 'exec', 'c', id.slice(0, 16), 'conmon.pid'), 'utf8')).trim());
      process.kill(conmonPid, 'SIGKILL');
      process.kill(pids.get(id)!, 'SIGKILL');
      await waitFor(`conmon ${conmonPid} and process ${pids.get(id)} of ${id.slice(0, 12)} to be gone`, () => {
        if (liveState(conmonPid) !== undefined || liveState(pids.get(id)!) !== undefined) throw new Error('still alive');
        return true;
      });
      await exec('runc', ['--root', runcRoot, 'delete', '-f', id]);
      await fsp.rm(path.join(dir, 'exec', 'exits', id), { force: true });
      for (const m of mountsUnder(dir).filter((p) => p.includes(id) || p.includes(id.slice(0, 16))).sort((x, y) => y.length - x.length)) {
        await exec('umount', [m]);
      }
    }

    await restartDaemon();
    for (const id of [hrAlways, hrUnless]) {
      const c = await waitFor(`${id.slice(0, 12)} to run again`, async () => {
        const x = await inspectContainer(d, id);
        if (x.State.Status !== 'running') throw new Error(`${x.State.Status} (${x.State.Error})`);
        return x;
      });
      assert.notEqual(c.State.Pid, pids.get(id));
      assert.ok(liveState(c.State.Pid), `${c.Name} has a live process`);
    }
    const no = await inspectContainer(d, hrNo);
    assert.equal(no.State.Status, 'exited');
    assert.equal(no.State.Running, false);
    assert.equal(no.State.Pid, 0);
    assert.equal(no.State.ExitCode, 255, 'exit status unknown, as dockerd records it');
    assert.match(out(await d.docker(['ps', '-a', '--filter', 'name=hr-no', '--format', '{{.Status}}'])), /^Exited \(255\) /);
    assert.deepEqual((await leaksOf(d, hrNo)).filter((l) => !l.startsWith('path ')), [], 'the exited one holds no mount, process or cgroup');
    for (const id of ids) await d.docker(['rm', '-f', id]);
    for (const id of ids) assert.deepEqual(await leaksOf(d, id), []);
  });

  // Issue 16 finding 4: a commit interrupted by a crash left the container frozen for good
  // (State.Paused true, exec refused). A pause berthd made for a commit is recorded as such
  // and undone when berthd comes back.
  test('kill -9 of berthd during a commit: the container paused for it runs again after the restart', async (t) => {
    const id = await runDetached(t, ['busybox', 'sh', '-c', 'dd if=/dev/urandom of=/big bs=1M count=120 2>/dev/null; echo written; exec sleep 1000']);
    await waitFor('the container to write its layer', async () => (out(await d.docker(['logs', id])).includes('written') ? true : undefined), { timeoutMs: 60_000 });
    const committing = d.request('POST', `/commit?container=${id}&pause=1`).catch(() => undefined);
    await waitFor('the commit to pause the container', async () => ((await inspectContainer(d, id)).State.Paused ? true : undefined), { timeoutMs: 20_000, intervalMs: 5 });
    await killDaemon();
    await committing;
    await restartDaemon();
    const c = await inspectContainer(d, id);
    assert.equal(c.State.Status, 'running');
    assert.equal(c.State.Paused, false);
    assert.equal(out(await d.docker(['exec', id, 'echo', 'thawed'])).trim(), 'thawed');
    // A pause a user asked for survives a restart as it is.
    await d.docker(['pause', id]);
    await killDaemon();
    await restartDaemon();
    assert.equal((await inspectContainer(d, id)).State.Paused, true);
    await d.docker(['unpause', id]);
  });
});
