import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { attach, type AttachStreams } from './attach.js';
import { waitExitFile } from './exit-watcher.js';
import { makeFixture, skipReason } from './fixture.js';
import { isProcessAlive } from '../../sys/index.js';
import { OciRuntimeError } from './runtime-error.js';

const skip = await skipReason();

const baseProcess = { env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], cwd: '/', user: { uid: 0, gid: 0 } };

test('exec through conmon: attached before it runs, stdin, separate streams, exit code in <execDir>/exit', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sleep', '1000']);
  await fx.driver.start(c.id, 'runc');

  let streams: AttachStreams | undefined;
  let outputs: Promise<[string, string]> | undefined;
  const ex = await fx.driver.exec({
    id: c.id, execId: 'exec1', runtime: 'runc', execDir: join(fx.dir, 'exec1'), hasStdin: true,
    process: { ...baseProcess, args: ['sh', '-c', 'echo exec-out; echo exec-err >&2; read line; echo "got $line"; exit 5'] },
    beforeStart: async ({ attachPath }) => {
      streams = await attach(attachPath);
      outputs = Promise.all([text(streams.stdout as Readable), text(streams.stderr as Readable)]);
    },
  });
  assert.ok(ex.pid > 0 && ex.pid !== c.pid);
  assert.equal(ex.exitPath, join(fx.dir, 'exec1', 'exit'));
  streams!.stdin.end('input\n');
  assert.deepEqual(await outputs, ['exec-out\ngot input\n', 'exec-err\n']);
  assert.equal((await waitExitFile(ex.exitPath, { signal: AbortSignal.timeout(10_000) })).exitCode, 5);
  assert.ok(await isProcessAlive(c.pid), 'the container itself keeps running');
});

test('exec of a missing binary rejects with the runtime\'s message', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sleep', '1000']);
  await fx.driver.start(c.id, 'runc');
  const err = await fx.driver.exec({
    id: c.id, execId: 'exec2', runtime: 'runc', execDir: join(fx.dir, 'exec2'), process: { ...baseProcess, args: ['nosuch'] },
  }).catch((e: unknown) => e);
  assert.ok(err instanceof OciRuntimeError, String(err));
  assert.match(err.message, /exec: "nosuch": executable file not found in \$PATH/);
});

test('a detached exec (no beforeStart) runs and records its exit', { skip }, async (t) => {
  const fx = await makeFixture(t);
  const c = await fx.create(['sleep', '1000']);
  await fx.driver.start(c.id, 'runc');
  const ex = await fx.driver.exec({
    id: c.id, execId: 'exec3', runtime: 'runc', execDir: join(fx.dir, 'exec3'), logPath: join(fx.dir, 'exec3.log'),
    process: { ...baseProcess, args: ['sh', '-c', 'echo detached; exit 7'] },
  });
  assert.equal((await waitExitFile(ex.exitPath, { signal: AbortSignal.timeout(10_000) })).exitCode, 7);
});
