import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { exec, setSpawner, spawnChild } from '../util/index.js';
import { posixSpawner } from './spawn.js';

/** exec() through posix_spawn behaves as it does through Node's spawn. */
test('posix_spawn backend: output, input, exit codes, signals, cwd, env, PATH lookup, ENOENT, extra fds', async (t) => {
  const previous = setSpawner(posixSpawner);
  t.after(() => { setSpawner(previous); });
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-spawn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  assert.equal((await exec('echo', ['hello', 'world'])).stdout.toString(), 'hello world\n');
  assert.equal((await exec('cat', [], { input: 'from stdin' })).stdout.toString(), 'from stdin');
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
  assert.equal((await exec('cat', [], { input: big })).stdout.length, big.length, 'large input and output both flow');
  assert.deepEqual((await exec('sh', ['-c', 'echo oops >&2; exit 3'], { allowFailure: true })).code, 3);
  await assert.rejects(exec('sh', ['-c', 'echo bad >&2; exit 2']), /exit status 2: bad/);
  const killed = await exec('sh', ['-c', 'kill -TERM $$'], { allowFailure: true });
  assert.deepEqual([killed.code, killed.signal], [null, 'SIGTERM']);
  assert.equal((await exec('pwd', [], { cwd: dir })).stdout.toString(), `${dir}\n`);
  assert.equal((await exec('sh', ['-c', 'echo $FOO'], { env: { PATH: '/usr/bin:/bin', FOO: 'bar' } })).stdout.toString(), 'bar\n');
  // Node ignores SIGPIPE; the child gets the default back (yes dies of it when its reader goes).
  assert.equal((await exec('sh', ['-c', 'yes | head -c 3'])).stdout.toString(), 'y\ny');
  assert.match((await exec('cat', ['/proc/self/status'])).stdout.toString(), /^SigIgn:\s+0+$/m, 'no signal ignored, glibc\'s own 32 and 33 included');
  assert.match((await exec('cat', ['/proc/self/status'])).stdout.toString(), /^SigBlk:\s+0+$/m, 'no signal blocked');
  await assert.rejects(exec('no-such-tool-anywhere', []), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
  const timedOut = await exec('sleep', ['30'], { timeoutMs: 50, allowFailure: true });
  assert.equal(timedOut.signal, 'SIGTERM');

  // conmon's way: extra fds 3 and 4, its own session, a reaped exit.
  const child = spawnChild({ file: 'sh', args: ['-c', 'read x <&4; echo "got $x $(ps -o sid= -p $$ | tr -d " ") $$" >&3'], env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], isDetached: true });
  child.stdio[4]!.end('ping\n');
  let line = '';
  child.stdio[3]!.on('data', (c: Buffer) => { line += c.toString(); });
  const exit = await child.exited;
  await new Promise((resolve) => { if (child.stdio[3]!.closed) resolve(undefined); else child.stdio[3]!.once('close', resolve); });
  assert.deepEqual(exit, { code: 0, signal: null });
  const [, word, sid, pid] = line.trim().split(' ');
  assert.equal(word, 'ping');
  assert.equal(sid, pid, 'a session leader');
  assert.equal(Number(pid), child.pid);
  assert.ok(child.hasExited);
  for (const s of child.stdio) s?.destroy();
});
