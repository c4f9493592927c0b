import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { test } from 'node:test';
import { exec, waitFor } from '../../util/index.js';
import { isAbsent } from './files.js';
import { dockerCliStats } from './fixtures.js';
import {
  detectCgroupLayout, freezerState, listPids, oomKillCount, readCgroupStats, removeCgroup, toDockerStats, topOutput,
} from './index.js';

const layout = detectCgroupLayout();
const skip = process.getuid?.() !== 0
  ? 'needs root to create cgroups'
  : layout.version !== 1
    ? 'host is cgroup v2-only; this test drives the v1 hierarchy (v2 parsing is covered by fixtures)'
    : false;
if (skip) console.log(`# skipping the host cgroup test: ${skip}`);

test('a real v1 cgroup: stats, pids, top and removal on this host', { skip }, async (t) => {
  const name = `berth-cgtest-${randomBytes(4).toString('hex')}`;
  const cgroupsPath = `/${name}`;
  const dirs = ['memory', 'cpu', 'cpuacct', 'pids', 'freezer']
    .filter((c) => existsSync(`${layout.root}/${c}`))
    .map((c) => `${layout.root}/${c}/${name}`);
  const stop = new AbortController();
  let sleeper: Promise<unknown> | undefined;
  t.after(async () => {
    stop.abort();
    await sleeper?.catch((err: Error) => { if (err.name !== 'AbortError') throw err; });
    for (const dir of dirs) await rmdir(dir).catch((err) => { if (!isAbsent(err)) throw err; });
  });
  for (const dir of dirs) await mkdir(dir);

  // The shell joins the cgroups, then execs sleep: the sleep's PID is the one written, and
  // its memory is charged to the new memory cgroup (v1 does not move charges that predate a move).
  const script = 'set -e; for f in "$@"; do echo $$ > "$f"; done; exec sleep 30';
  sleeper = exec('sh', ['-c', script, 'sh', ...dirs.map((d) => `${d}/cgroup.procs`)], {
    signal: stop.signal, timeoutMs: 60_000, allowFailure: true,
  });
  const pid = await waitFor('sleep running inside the test cgroup', async () => {
    const pids = await listPids(layout, cgroupsPath);
    const comm = pids.length === 1 ? (await readFile(`/proc/${pids[0]}/comm`, 'utf8')).trim() : '';
    return comm === 'sleep' ? pids[0] : undefined;
  });

  const raw = await readCgroupStats(layout, cgroupsPath);
  assert.ok(raw);
  assert.ok((raw.memory.usageBytes ?? 0) > 0, `memory usage ${raw.memory.usageBytes}`);
  assert.equal(raw.pids.current, 1);
  assert.equal(typeof raw.cpu.totalNs, 'number');
  const json = JSON.parse(JSON.stringify(toDockerStats(raw, undefined, { id: name, name, memTotal: 2 ** 33, ncpu: 2 })));
  const cli = dockerCliStats(json);
  assert.equal(cli.pids, 1);
  assert.ok(cli.memory > 0 && cli.memoryLimit > 0);
  assert.equal(await freezerState(layout, cgroupsPath), existsSync(`${layout.root}/freezer`) ? 'THAWED' : undefined);
  assert.equal(await oomKillCount(layout, cgroupsPath), 0);

  const ef = await topOutput([pid], '-ef');
  assert.equal(ef.Processes.length, 1);
  assert.equal(ef.Processes[0]![1], String(pid));
  assert.equal(ef.Processes[0]![7], 'sleep 30');
  assert.deepEqual(await topOutput([pid], '-o pid,comm'), { Titles: ['PID', 'COMMAND'], Processes: [[String(pid), 'sleep']] });

  // A cgroup that still holds a process is left alone and reported.
  await assert.rejects(removeCgroup(layout, cgroupsPath), { status: 500, message: /^cgroup still has processes: .*berth-cgtest-/ });
  for (const dir of dirs) assert.equal(existsSync(dir), true, `${dir} kept while busy`);

  stop.abort();
  await assert.rejects(sleeper, { name: 'AbortError' });
  assert.deepEqual(await listPids(layout, cgroupsPath), []);
  await removeCgroup(layout, cgroupsPath);
  for (const dir of dirs) assert.equal(existsSync(dir), false, `${dir} removed`);
  assert.equal(await readCgroupStats(layout, cgroupsPath), undefined);
  await removeCgroup(layout, cgroupsPath); // idempotent
});
