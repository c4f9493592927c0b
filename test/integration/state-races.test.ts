// Issue 11: state changes lost to races, and Docker's synchronous semantics, with real runc
// and the real docker CLI. Each test names what broke before the ownership rule (ADR 0011).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, leaksOf, out, removeContainers } from '../helpers/containers.js';

describe('container state under races (issue 11)', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('races');
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  // Broke: rename saved a record read before its lock over the exit recorded meanwhile, so
  // about half of these stayed `Up` with no process, and stop/rm -f hung.
  test('run -d then rename at once: every exit (code 0) is recorded and a plain rm works', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 20; i++) {
      const id = out(await d.docker(['run', '-d', '--name', `rn${i}`, 'busybox', 'echo', 'hi'])).trim();
      await d.docker(['rename', `rn${i}`, `rn${i}b`]);
      const waited = await d.docker(['wait', `rn${i}b`], { timeoutMs: 15_000 });
      assert.equal(out(waited).trim(), '0', `rn${i}b: docker wait`);
      const c = await inspectContainer(d, id);
      assert.equal(c.Name, `/rn${i}b`);
      assert.equal(c.State.Running, false);
      assert.equal(c.State.ExitCode, 0);
      assert.notEqual(c.State.FinishedAt, '0001-01-01T00:00:00Z');
      await d.docker(['rm', `rn${i}b`]);
    }
  });

  // Broke: kill answered before the exit was recorded: inspect said Running and rm failed.
  test('kill (SIGKILL) then inspect at once shows the end, and a plain rm succeeds', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 10; i++) {
      const id = out(await d.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
      await d.docker(['kill', id]);
      const c = await inspectContainer(d, id);
      assert.equal(c.State.Running, false, `round ${i}: Running after kill`);
      assert.equal(c.State.Status, 'exited');
      assert.equal(c.State.ExitCode, 137);
      await d.docker(['rm', id]);
      assert.deepEqual(await leaksOf(d, id), []);
    }
    // The raw API as clients send it: the 204 comes after the exit.
    const id = out(await d.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
    const killed = await d.request('POST', `/containers/${id}/kill`);
    assert.equal(killed.status, 204);
    const state = (JSON.parse((await d.request('GET', `/containers/${id}/json`)).body) as { State: { Running: boolean; ExitCode: number } }).State;
    assert.deepEqual([state.Running, state.ExitCode], [false, 137]);
    assert.equal((await d.request('DELETE', `/containers/${id}`)).status, 204);
  });

  // Broke: the exit was recorded as `exited` first, so `wait` then `rm` removed a container
  // whose restart was due; dockerd shows it `restarting` and refuses.
  test('--restart always: after its exit it is restarting, rm without -f is refused, rm -f works', { timeout: 60_000 }, async (t) => {
    const id = out(await d.docker(['run', '-d', '--restart', 'always', 'busybox', 'sh', '-c', 'exit 3'])).trim();
    t.after(() => removeContainers(d, id));
    const waited = await d.docker(['wait', id], { timeoutMs: 15_000 });
    assert.equal(out(waited).trim(), '3');
    const rm = await d.docker(['rm', id], { allowFailure: true });
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /container is (restarting|running): stop the container before removing or force remove/);
    const c = await inspectContainer(d, id);
    assert.ok(c.State.Restarting || c.State.Running, `state after rm refusal: ${c.State.Status}`);
    await d.docker(['rm', '-f', id]);
    assert.equal((await d.request('GET', `/containers/${id}/json`)).status, 404);
  });

  // Every mutating operation against a container exiting at that moment; none may lose the
  // exit (code and FinishedAt), and stop / rm -f must return.
  test('rename, update, pause, kill, restart, inspect, exec raced against exits', { timeout: 120_000 }, async () => {
    const ops: Array<[string, (id: string, i: number) => Promise<unknown>]> = [
      ['rename', (id, i) => d.request('POST', `/containers/${id}/rename?name=race-renamed-${i}`)],
      ['update', (id) => d.request('POST', `/containers/${id}/update`, JSON.stringify({ CpuShares: 512 }), { 'Content-Type': 'application/json' })],
      ['pause', (id) => d.request('POST', `/containers/${id}/pause`)],
      ['kill', (id) => d.request('POST', `/containers/${id}/kill?signal=SIGUSR1`)],
      ['restart', (id) => d.request('POST', `/containers/${id}/restart?t=0`)],
      ['inspect', (id) => d.request('GET', `/containers/${id}/json`)],
      ['exec', (id) => d.request('POST', `/containers/${id}/exec`, JSON.stringify({ Cmd: ['true'] }), { 'Content-Type': 'application/json' })],
    ];
    for (let i = 0; i < 42; i++) {
      const [name, op] = ops[i % ops.length]!;
      const code = 10 + (i % 50);
      // The process exits by itself a few milliseconds after it starts, while the op arrives.
      const id = out(await d.docker(['run', '-d', 'busybox', 'sh', '-c', `usleep ${(i % 4) * 2000}; exit ${code}`])).trim();
      await op(id, i);
      const stopped = await d.request('POST', `/containers/${id}/stop?t=1`);
      assert.ok([204, 304].includes(stopped.status), `${name} #${i}: stop answered ${stopped.status}`);
      const c = await inspectContainer(d, id);
      assert.equal(c.State.Running, false, `${name} #${i}: still running`);
      assert.notEqual(c.State.FinishedAt, '0001-01-01T00:00:00Z', `${name} #${i}: FinishedAt`);
      if (name !== 'restart' && name !== 'pause') assert.equal(c.State.ExitCode, code, `${name} #${i}: exit code`);
      const rm = await d.request('DELETE', `/containers/${id}?force=1`);
      assert.equal(rm.status, 204, `${name} #${i}: rm -f answered ${rm.status} ${rm.body}`);
      assert.deepEqual(await leaksOf(d, id), [], `${name} #${i}: leaks`);
    }
  });
});
