import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, out, removeContainers, runToExit } from '../helpers/containers.js';

/** Lines of `docker logs` as numbers, and the places where they are not consecutive. */
function sequence(text: string): { nums: number[]; gaps: string[] } {
  const nums = text.trim().split('\n').map(Number);
  const gaps = nums.slice(1).flatMap((n, i) => (n === nums[i]! + 1 ? [] : [`${nums[i]} -> ${n}`]));
  return { nums, gaps };
}

/**
 * Log drivers as dockerd has them: json-file (rotation, compression), local (its defaults),
 * none (nothing kept, `docker logs` refused as docker refuses it), the daemon's log-driver and
 * log-opts defaults, checks on drivers and options, and logs that survive a berthd restart.
 */
describe('log drivers through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('log-drivers', [], { config: { 'log-opts': { 'max-size': '64k', 'max-file': '4' } } });
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });


  test('none: output still reaches an attached client; nothing is kept; docker logs says what docker says', async (t) => {
    t.after(() => removeContainers(d, 'ln'));
    assert.equal(out(await d.docker(['run', '--name', 'ln', '--log-driver', 'none', 'busybox', 'echo', 'hello'])), 'hello\n');
    const c = await inspectContainer(d, 'ln');
    assert.equal((c as unknown as { LogPath: string }).LogPath, '');
    assert.deepEqual((c as unknown as { HostConfig: { LogConfig: unknown } }).HostConfig.LogConfig, { Type: 'none', Config: {} });
    assert.ok(!(await fsp.readdir(path.join(d.dataRoot, 'containers', c.Id))).some((f) => f.includes('-json.log')), 'no log file');
    const r = await d.docker(['logs', 'ln'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'Error response from daemon: configured logging driver does not support reading');
    const api = await d.request('GET', `/containers/${c.Id}/logs?stdout=1`);
    assert.equal(api.status, 501);
  });

  test('unknown drivers and options are refused at create with dockerd\'s messages; nothing is created', async () => {
    const before = out(await d.docker(['ps', '-aq'])).split('\n').filter(Boolean).length;
    for (const [args, message] of [
      [['--log-driver', 'bogus'], "logger: no log driver named 'bogus' is registered"],
      [['--log-opt', 'foo=1'], "unknown log opt 'foo' for json-file log driver"],
      [['--log-driver', 'local', '--log-opt', 'tag=x'], "unknown log opt 'tag' for log driver local"],
      [['--log-driver', 'local', '--log-opt', 'max-file=1'], 'compression cannot be enabled when max file count is 1'],
      [['--log-opt', 'mode=sometimes'], 'logger: logging mode not supported: sometimes'],
    ] as Array<[string[], string]>) {
      const r = await d.docker(['run', '--rm', ...args, 'busybox', 'true'], { allowFailure: true });
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, new RegExp(`Error response from daemon: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), args.join(' '));
    }
    assert.equal(out(await d.docker(['ps', '-aq'])).split('\n').filter(Boolean).length, before);
  });

  test('the daemon\'s log-opts apply to json-file containers, under their own options', async (t) => {
    const a = await runToExit(d, t, ['busybox', 'true']);
    assert.deepEqual((await inspectContainer(d, a) as unknown as { HostConfig: { LogConfig: unknown } }).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '64k', 'max-file': '4' } });
    const b = await runToExit(d, t, ['--log-opt', 'max-file=2', 'busybox', 'true']);
    assert.deepEqual((await inspectContainer(d, b) as unknown as { HostConfig: { LogConfig: unknown } }).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-file': '2', 'max-size': '64k' } });
    const c = await runToExit(d, t, ['--log-driver', 'local', 'busybox', 'true']);
    assert.deepEqual((await inspectContainer(d, c) as unknown as { HostConfig: { LogConfig: unknown } }).HostConfig.LogConfig, { Type: 'local', Config: {} });
  });

  test('rotation with compress under a 50 MB writer, max-size 1m, max-file 3: the last files kept, gzipped, docker logs one contiguous tail', async (t) => {
    // 50 MB of numbered lines, 8 bytes and a newline each.
    const id = await runToExit(d, t, ['--log-opt', 'max-size=1m', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'sh', '-c', 'seq 10000000 15555555']);
    const dir = path.join(d.dataRoot, 'containers', id);
    const files = (await fsp.readdir(dir)).filter((f) => f.includes('-json.log')).sort();
    assert.deepEqual(files.map((f) => f.slice(id.length)), ['-json.log.1.gz', '-json.log.2.gz'].concat(files.some((f) => f.endsWith('-json.log')) ? ['-json.log'] : []).sort());
    for (const f of files) {
      const st = await fsp.stat(path.join(dir, f));
      assert.ok(st.size <= 1024 * 1024, `${f}: ${st.size} bytes`);
    }
    const text = out(await d.docker(['logs', id], { timeoutMs: 120_000 }));
    const { nums, gaps } = sequence(text);
    assert.equal(nums.at(-1), 15555555, 'the newest line is kept');
    assert.deepEqual(gaps, [], 'one contiguous tail');
    assert.ok(nums.length > 20_000, `a rotated megabyte at least: ${nums.length} lines`);
    const tail = out(await d.docker(['logs', '--tail', '3', id]));
    assert.equal(tail, '15555553\n15555554\n15555555\n');
    // A --tail reaching into the compressed files is contiguous too.
    const deep = sequence(out(await d.docker(['logs', '--tail', String(nums.length - 5), id])));
    assert.deepEqual(deep.gaps, []);
    assert.equal(deep.nums[0], nums[5]);
  });

  test('local: rotated and compressed by default (20m × 5), LogPath empty, docker logs reads it', async (t) => {
    const id = await runToExit(d, t, ['--log-driver', 'local', 'busybox', 'seq', '1', '5000']);
    const c = await inspectContainer(d, id);
    assert.equal((c as unknown as { LogPath: string }).LogPath, '');
    const { nums, gaps } = sequence(out(await d.docker(['logs', id])));
    assert.equal(nums.length, 5000);
    assert.deepEqual(gaps, []);
    assert.equal(out(await d.docker(['logs', '--tail', '2', id])), '4999\n5000\n');
  });

  test('logs are the same across a berthd restart, rotated files included', async (t) => {
    const id = await runToExit(d, t, ['--log-opt', 'max-size=16k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'busybox', 'seq', '1', '20000']);
    const before = out(await d.docker(['logs', '-t', id]));
    await d.proc.kill('SIGKILL');
    await new Promise((resolve) => d.proc.once('exit', resolve));
    d = await startDaemon('log-drivers', [], { dir: d.dir });
    assert.equal(out(await d.docker(['logs', '-t', id])), before);
    assert.ok(existsSync(path.join(d.dataRoot, 'containers', id, `${id}-json.log.1.gz`)));
  });
});
