// The container state machine in-process, without root: ContainerService over a real
// ContainerStore in a temp dir, a FakeDriver and fake preparers. Sequences and races that
// the real runtime makes rare happen here on purpose, hundreds of times.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { InternalError } from '../errors/index.js';
import type { ContainerRecord } from './record.js';
import type { ContainerService } from './service.js';
import { containerHarness, type Harness } from './testing.js';

const harnesses: Harness[] = [];
// The daemon's server keeps its event loop alive; restart timers are unref'd, so the tests must.
const keepAlive = setInterval(() => undefined, 60_000);
after(() => {
  clearInterval(keepAlive);
  for (const h of harnesses) h.close();
});

async function harness(): Promise<Harness> {
  const h = await containerHarness();
  harnesses.push(h);
  return h;
}

async function inspectState(svc: ContainerService, id: string): Promise<{ Status: string; ExitCode: number; FinishedAt: string; Running: boolean; Restarting: boolean }> {
  return (await svc.inspect(id)).State as never;
}

test('store.update refuses a change made without the container lock', async () => {
  const h = await harness();
  const id = await h.add('nolock');
  await assert.rejects(h.store.update(id, (c) => ({ ...c, name: '/x' })), InternalError);
  const renamed = await h.store.withLock(id, () => h.store.update(id, (c) => ({ ...c, restartCount: 5 })));
  assert.equal(renamed.restartCount, 5);
  const onDisk = JSON.parse(readFileSync(h.store.paths(id).record, 'utf8')) as ContainerRecord;
  assert.equal(onDisk.restartCount, 5);
});

test('start, exit: the code and FinishedAt are recorded and the run is released', async () => {
  const h = await harness();
  const id = await h.add('one');
  await h.svc.start(id);
  assert.equal((await inspectState(h.svc, id)).Status, 'running');
  const exited = h.svc.wait(id, 'not-running', AbortSignal.timeout(5000));
  h.driver.exit(id, 3);
  assert.deepEqual(await exited, { StatusCode: 3, Error: null });
  const s = await inspectState(h.svc, id);
  assert.equal(s.Status, 'exited');
  assert.equal(s.ExitCode, 3);
  assert.notEqual(s.FinishedAt, '0001-01-01T00:00:00Z');
  assert.deepEqual(h.preparer.log, ['prepare /one', 'release /one']);
  assert.equal(h.driver.has(id), false, 'runtime state deleted');
  assert.equal(existsSync(path.join(path.dirname(h.store.paths(id).run), '..', 'exits', id)), false, 'exit file consumed');
});

test('kill (SIGKILL) answers once the exit is recorded: inspect shows it and a plain rm works at once', async () => {
  const h = await harness();
  for (let i = 0; i < 50; i++) {
    const id = await h.add(`k${i}`);
    await h.svc.start(id);
    await h.svc.kill(id);
    const s = await inspectState(h.svc, id);
    assert.equal(s.Running, false);
    assert.equal(s.ExitCode, 137);
    await h.svc.remove(id);
    assert.equal(h.store.get(id), undefined);
  }
});

test('a restart policy makes the exit `restarting` before waiters hear of it; rm needs force', async () => {
  const h = await harness();
  const id = await h.add('always', { RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
  await h.svc.start(id);
  const waited = h.svc.wait(id, 'next-exit', AbortSignal.timeout(5000));
  h.driver.exit(id, 1);
  assert.equal((await waited).StatusCode, 1);
  const s = await inspectState(h.svc, id);
  assert.equal(s.Status, 'restarting');
  assert.equal(s.Restarting, true);
  await assert.rejects(h.svc.remove(id), (err: Error) => {
    assert.match(err.message, /cannot remove container "\/always": container is restarting: stop the container before removing or force remove/);
    return (err as { status?: number }).status === 409;
  });
  await h.store.waitUntil(id, (r) => r.state.status === 'running', AbortSignal.timeout(5000));
  assert.equal(h.store.get(id)!.restartCount, 1);
  await h.svc.remove(id, { force: true });
  assert.equal(h.store.get(id), undefined);
});

test('stop and kill of a restarting container stop it where it stands', async () => {
  const h = await harness();
  for (const op of ['stop', 'kill', 'rm'] as const) {
    const id = await h.add(`r-${op}`, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 0 } });
    await h.svc.start(id);
    const waited = h.svc.wait(id, 'next-exit', AbortSignal.timeout(5000));
    h.driver.exit(id, 2);
    await waited;
    assert.equal(h.store.get(id)!.state.status, 'restarting');
    if (op === 'stop') await h.svc.stop(id);
    else if (op === 'kill') await h.svc.kill(id);
    else { await h.svc.remove(id, { force: true }); assert.equal(h.store.get(id), undefined); continue; }
    const s = await inspectState(h.svc, id);
    assert.equal(s.Status, 'exited');
    assert.equal(s.ExitCode, 2);
    assert.equal(h.store.get(id)!.state.hasBeenManuallyStopped, true);
  }
});

test('a failure at each start step undoes what was made and records the error', async () => {
  const h = await harness();
  const id = await h.add('fails');
  h.preparer.failPrepare = new Error('mount: no space left on device');
  await assert.rejects(h.svc.start(id), /no space left/);
  assert.deepEqual(h.preparer.log, ['prepare /fails', 'release /fails']);
  assert.equal(h.store.get(id)!.state.status, 'created');
  assert.match(h.store.get(id)!.state.error, /no space left/);

  h.preparer.log.length = 0;
  h.driver.failNext.set('create', new Error('exec: "nosuch": executable file not found in $PATH'));
  await assert.rejects(h.svc.start(id), /executable file not found/);
  assert.equal(h.store.get(id)!.state.exitCode, 127);
  assert.deepEqual(h.preparer.log, ['prepare /fails', 'release /fails']);

  h.preparer.log.length = 0;
  h.driver.failNext.set('start', new Error('runc start: permission denied'));
  await assert.rejects(h.svc.start(id), /permission denied/);
  assert.equal(h.store.get(id)!.state.exitCode, 126);
  assert.equal(h.driver.has(id), false, 'the created runtime container was deleted');
  assert.deepEqual(h.preparer.log, ['prepare /fails', 'release /fails']);

  await h.svc.start(id);
  assert.equal(h.store.get(id)!.state.status, 'running');
  await h.svc.remove(id, { force: true });
});

test('every mutating operation raced against an exit at that moment: no exit is lost, stop and rm -f return', async () => {
  const h = await harness();
  const ops: Array<[string, (id: string, i: number) => Promise<unknown>]> = [
    ['rename', (id, i) => h.svc.rename(id, `renamed-${i}`)],
    ['update', (id) => h.svc.update(id, { RestartPolicy: { Name: 'no' }, CpuShares: 512 })],
    ['pause', (id) => h.svc.pause(id)],
    ['kill', (id) => h.svc.kill(id, 'SIGUSR1')],
    ['restart', (id) => h.svc.restart(id, { timeoutS: 0 })],
    ['inspect', (id) => h.svc.inspect(id)],
    ['stop', (id) => h.svc.stop(id, { timeoutS: 0 })],
  ];
  for (let i = 0; i < 210; i++) {
    const [name, op] = ops[i % ops.length]!;
    const id = await h.add(`race${i}`);
    await h.svc.start(id);
    const code = i % 100;
    const delay = i % 3;
    const exit = new Promise<void>((resolve) => {
      const fire = () => { h.driver.exit(id, code); resolve(); };
      if (delay === 0) fire(); else if (delay === 1) queueMicrotask(fire); else setImmediate(fire);
    });
    await Promise.allSettled([op(id, i), exit]);
    // Whatever the operation did, the container ends stopped with an exit recorded.
    await h.svc.stop(id, { timeoutS: 0 }).catch(() => undefined);
    const rec = await h.store.waitUntil(id, (r) => r.state.status === 'exited', AbortSignal.timeout(5000));
    assert.ok(rec, `${name} #${i}: container gone`);
    assert.notEqual(rec.state.finishedAt, '0001-01-01T00:00:00Z', `${name} #${i}: FinishedAt recorded`);
    if (name !== 'restart' && name !== 'stop') assert.equal(rec.state.exitCode, code, `${name} #${i}: exit code ${code} recorded`);
    if (name === 'rename') assert.equal(rec.name, `/renamed-${i}`);
    const onDisk = JSON.parse(readFileSync(h.store.paths(id).record, 'utf8')) as ContainerRecord;
    assert.equal(onDisk.state.status, 'exited', `${name} #${i}: the record on disk is the final one`);
    await h.svc.remove(id, { force: true });
    assert.equal(h.store.get(id), undefined);
  }
});
