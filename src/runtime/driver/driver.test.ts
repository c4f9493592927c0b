import assert from 'node:assert/strict';
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { exec, silentLogger, waitFor } from '../../util/index.js';
import { ExitWatcher, type ExitEvent } from './exit-watcher.js';
import { CONMON, RUNC, makeFixture, skipReason } from './fixture.js';
import { readLog } from './log-reader.js';
import { isProcessAlive, readProcStat } from '../../sys/index.js';
import { readPidFile } from './proc.js';
import { OciRuntimeError } from './runtime-error.js';

const skip = await skipReason();

function watch(t: TestContext, dir: string): { watcher: ExitWatcher; events: ExitEvent[] } {
  const watcher = new ExitWatcher({ dir, logger: silentLogger() });
  const events: ExitEvent[] = [];
  watcher.on('exit', (e) => events.push(e));
  t.after(() => watcher.stop());
  return { watcher, events };
}

test('create + start: output in the k8s-file log, exit code in the exit file, one ExitWatcher event', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const { watcher, events } = watch(t, fx.exitDir);
  await watcher.start();

  const t0 = performance.now();
  const c = await fx.create(['sh', '-c', 'echo out; echo err >&2; exit 3']);
  const t1 = performance.now();
  await fx.driver.start(c.id, 'runc');
  t.diagnostic(`create ${(t1 - t0).toFixed(1)} ms, start ${(performance.now() - t1).toFixed(1)} ms`);
  assert.ok(c.pid > 0 && c.conmonPid > 0);

  const ev = await waitFor('exit event', () => events.find((e) => e.id === c.id));
  assert.equal(ev.exitCode, 3);
  assert.deepEqual(await watcher.readExit(c.id), { exitCode: 3, finishedAt: ev.finishedAt });
  assert.equal((await readFile(join(c.persistDir, 'exit'), 'utf8')).trim(), '3');

  const log = (await readFile(c.logPath, 'utf8')).split('\n');
  assert.match(log[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d stdout F out$/);
  assert.match(log[1]!, /^\S+ stderr F err$/);
  assert.deepEqual(log.slice(2), ['']);
  const entries = [];
  for await (const e of readLog(c.logPath)) entries.push([e.stream, e.line.toString()]);
  assert.deepEqual(entries, [['stdout', 'out\n'], ['stderr', 'err\n']]);

  // A watcher started later (berthd restarted) finds the exit once, by its scan.
  const later = watch(t, fx.exitDir);
  await later.watcher.start();
  assert.deepEqual(later.events.filter((e) => e.id === c.id).map((e) => e.exitCode), [3]);
  assert.equal(events.filter((e) => e.id === c.id).length, 1);
  assert.deepEqual(await fx.driver.state(c.id, 'runc'), { status: 'stopped', pid: 0 });
});

test('a missing executable: create rejects with runc\'s own message and leaves nothing behind', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const b = await fx.bundle(['nosuch']);
  const err = await fx.driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'runc', logPath: b.logPath }).catch((e: unknown) => e);
  assert.ok(err instanceof OciRuntimeError, String(err));
  assert.equal(err.message, 'runc create failed: unable to start container process: exec: "nosuch": executable file not found in $PATH');
  assert.equal(await fx.driver.state(b.id, 'runc'), undefined);
  const conmonPid = Number(await readFile(join(b.bundleDir, 'conmon.pid'), 'utf8'));
  await waitFor('conmon gone', async () => ((await isProcessAlive(conmonPid)) ? undefined : true));
});

test('a create past its deadline rejects, and its conmon and container are gone', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const b = await fx.bundle(['sleep', '1000']);
  await assert.rejects(
    fx.driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'runc', logPath: b.logPath, timeoutMs: 1 }),
    { status: 500, message: 'conmon did not report the container\'s pid within 1 ms' },
  );
  // No pid file: the deadline passed before conmon was even spawned.
  const conmonPid = await readPidFile(join(b.bundleDir, 'conmon.pid'));
  if (conmonPid !== undefined) await waitFor('conmon gone', async () => ((await isProcessAlive(conmonPid)) ? undefined : true));
  assert.equal(await fx.driver.state(b.id, 'runc'), undefined);
});

test('a non-executable entrypoint: the message says permission denied (docker maps it to 126)', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const b = await fx.bundle(['/etc/passwd']);
  await assert.rejects(
    fx.driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'runc', logPath: b.logPath }),
    (e: unknown) => e instanceof OciRuntimeError && /permission denied/.test(e.message),
  );
});

test('kill SIGTERM: tini forwards it to sleep, the exit code is 143', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['/sbin/tini', '--', 'sleep', '1000']);
  await fx.driver.start(c.id, 'runc');
  assert.deepEqual(await fx.driver.state(c.id, 'runc'), { status: 'running', pid: c.pid });
  await fx.driver.kill(c.id, 'runc', 'SIGTERM');
  assert.equal((await fx.waitExit(c.id)).exitCode, 143);
  await assert.rejects(fx.driver.kill(c.id, 'runc', 'TERM'), { status: 409, message: 'container not running' });
  await assert.rejects(fx.driver.kill(c.id, 'runc', 'TERM; rm -rf /'), { status: 400 });
});

test('pause, resume, ps and update act on the running container', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sleep', '1000']);
  // conmon works in the bundle: the `oom` file it drops into its cwd on an OOM kill stays
  // there (it landed in berthd's cwd, the repository root in tests: issue 17).
  assert.equal(await readlink(`/proc/${c.conmonPid}/cwd`), c.bundleDir);
  await fx.driver.start(c.id, 'runc');
  assert.deepEqual(await fx.driver.ps(c.id, 'runc'), [c.pid]);
  await fx.driver.pause(c.id, 'runc');
  assert.equal((await fx.driver.state(c.id, 'runc'))?.status, 'paused');
  const freezer = `/sys/fs/cgroup/freezer/berth-test/${c.id}/freezer.state`;
  assert.equal((await readFile(freezer, 'utf8')).trim(), 'FROZEN');
  await fx.driver.resume(c.id, 'runc');
  await assert.rejects(fx.driver.resume(c.id, 'runc'), { status: 409, message: 'container not paused' });
  assert.equal((await fx.driver.state(c.id, 'runc'))?.status, 'running');
  assert.equal((await readFile(freezer, 'utf8')).trim(), 'THAWED');

  await fx.driver.update(c.id, 'runc', { pids: { limit: 42 } });
  const pidsMax = await readFile(`/sys/fs/cgroup/pids/berth-test/${c.id}/pids.max`, 'utf8');
  assert.equal(pidsMax.trim(), '42');

  await fx.driver.kill(c.id, 'runc', 9);
  assert.equal((await fx.waitExit(c.id)).exitCode, 137);
  assert.deepEqual(await fx.driver.ps(c.id, 'runc'), [], 'runc ps of a stopped container lists nothing');
  await fx.driver.delete(c.id, 'runc');
  assert.equal(await fx.driver.state(c.id, 'runc'), undefined);
  await fx.driver.delete(c.id, 'runc');
});

test('an OOM kill: exit code 137 and conmon\'s oom file in the persist dir', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sh', '-c', 'x=0123456789abcdef; while true; do x=$x$x; done'], {
    resources: { memory: { limit: 16 * 1024 * 1024 } },
  });
  await fx.driver.start(c.id, 'runc');
  assert.equal((await fx.waitExit(c.id)).exitCode, 137);
  await readFile(join(c.persistDir, 'oom'));
});

test('the container outlives the process that created it: conmon is detached, nothing holds that process', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const b = await fx.bundle(['sleep', '1000']);
  // Another Node process creates and starts the container, prints the pids and must exit by
  // itself: a handle left on conmon would keep it alive past exec()'s deadline.
  const options = { runtimes: { runc: { name: 'runc', path: RUNC, runtimeArgs: [], root: fx.runcRoot } }, conmonPath: CONMON, exitDir: fx.exitDir };
  const script = [
    `import { ConmonDriver } from ${JSON.stringify(new URL('./driver.js', import.meta.url).href)};`,
    `import { silentLogger } from ${JSON.stringify(new URL('../../util/index.js', import.meta.url).href)};`,
    `const d = new ConmonDriver({ ...${JSON.stringify(options)}, logger: silentLogger() });`,
    `const c = await d.create(${JSON.stringify({ id: b.id, bundleDir: b.bundleDir, runtime: 'runc', logPath: b.logPath })});`,
    `await d.start(${JSON.stringify(b.id)}, 'runc');`,
    'console.log(JSON.stringify(c));',
  ].join('\n');
  const res = await exec(process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 15_000 });
  const c = JSON.parse(res.stdout.toString('utf8')) as { pid: number; conmonPid: number };

  const conmon = await readProcStat(c.conmonPid);
  assert.ok(conmon && conmon.state !== 'Z', `conmon ${c.conmonPid} alive`);
  assert.notEqual(conmon.ppid, process.pid);
  assert.equal((await readFile(`/proc/${c.conmonPid}/comm`, 'utf8')).trim(), 'conmon');
  assert.equal((await readProcStat(c.pid))?.ppid, c.conmonPid, 'the container\'s init is conmon\'s child');
  assert.equal((await fx.driver.state(b.id, 'runc'))?.status, 'running');
});

test('an unknown runtime is an invalid argument; crun on this hybrid host fails with its own message', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const b = await fx.bundle(['true']);
  await assert.rejects(fx.driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'kata', logPath: b.logPath }), { status: 400 });
  const isHybrid = await readFile('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').then(() => true, () => false);
  if (!isHybrid) return t.skip('crun\'s hybrid-mode refusal only shows on a hybrid cgroup host');
  await assert.rejects(
    fx.driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'crun', logPath: b.logPath }),
    { message: 'cgroups in hybrid mode not supported, drop all controllers from cgroupv2' },
  );
});
