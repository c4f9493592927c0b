import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { EventBus } from '../events/index.js';
import type { RuntimeDriver } from '../runtime/driver/index.js';
import { makeZombie } from '../sys/proc-fixture.js';
import { silentLogger } from '../util/index.js';
import { ExecService, type ExecRecord } from './exec.js';
import type { ContainerRecord } from './record.js';
import { ContainerStore } from './store.js';

/**
 * Regression (issue 11): restore judged an exec's conmon alive with kill(pid, 0), which a
 * zombie passes (PID 1 here reaps only every ~2 s). An exec whose conmon is a zombie and that
 * left no exit file must be recorded as ended (-1), not re-adopted as running forever.
 */
test('restore: an exec whose conmon is a zombie is recorded as ended, not re-adopted', async (t) => {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-exec-restore-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const store = new ContainerStore(path.join(dir, 'containers'), path.join(dir, 'exec'), silentLogger());
  await store.init();
  const rec = { id: 'c'.repeat(64), name: '/restored', state: { status: 'running' } } as unknown as ContainerRecord;
  await fsp.mkdir(store.paths(rec.id).dir, { recursive: true });
  await store.add(rec);
  const conmonPid = await makeZombie(t);
  const execId = 'e'.repeat(64);
  const saved: ExecRecord = {
    id: execId, containerId: rec.id, running: true, exitCode: null, pid: 4242, isStarted: true, conmonPid,
    config: { AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false, Env: [], Cmd: ['sleep', '1000'], Privileged: false, User: '', WorkingDir: '', DetachKeys: '' },
  };
  await fsp.mkdir(path.join(store.paths(rec.id).dir, 'execs'), { recursive: true });
  await fsp.writeFile(path.join(store.paths(rec.id).dir, 'execs', `${execId}.json`), JSON.stringify(saved));
  const events = new EventBus();
  const execs = new ExecService({ store, driver: {} as RuntimeDriver, events, logger: silentLogger(), attributes: () => ({}) });
  await execs.restore(rec);
  const inspect = execs.inspect(execId);
  assert.equal(inspect.Running, false);
  assert.equal(inspect.ExitCode, -1);
  assert.equal(inspect.Pid, 0);
  const onDisk = JSON.parse(await fsp.readFile(path.join(store.paths(rec.id).dir, 'execs', `${execId}.json`), 'utf8')) as ExecRecord;
  assert.equal(onDisk.running, false);
  assert.equal(onDisk.exitCode, -1);
  assert.deepEqual(events.since(0).map((m) => [m.Action, m.Actor.Attributes.exitCode]), [['exec_die', '-1']]);
});
