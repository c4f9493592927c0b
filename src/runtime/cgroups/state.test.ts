import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeTree, removeTree } from './fixtures.js';
import { detectCgroupLayout, freezerState, listPids, oomKillCount, readCgroupStats, type CgroupLayout } from './index.js';

async function tree(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<string> {
  const root = await makeTree(files);
  t.after(() => removeTree(root));
  return root;
}

test('detectCgroupLayout tells v2-only hosts by cgroup.controllers at the root', async (t) => {
  const v2 = await tree(t, { 'cgroup.controllers': 'cpu memory pids\n' });
  const hybrid = await tree(t, { 'memory/cgroup.procs': '', 'unified/cgroup.controllers': 'hugetlb\n' });
  assert.deepEqual(detectCgroupLayout(v2), { version: 2, root: v2 });
  assert.deepEqual(detectCgroupLayout(hybrid), { version: 1, root: hybrid });
});

test('listPids walks the container\'s cgroup and its sub-cgroups (v1 pids controller first)', async (t) => {
  const root = await tree(t, {
    'pids/berth/abc/cgroup.procs': '101\n100\n',
    'pids/berth/abc/inner/cgroup.procs': '102\n',
    'memory/berth/abc/cgroup.procs': '999\n',
  });
  assert.deepEqual(await listPids({ version: 1, root }, '/berth/abc'), [100, 101, 102]);
  assert.deepEqual(await listPids({ version: 1, root }, '/berth/gone'), []);
});

test('listPids falls back to the memory hierarchy, and reads v2 directories', async (t) => {
  const v1 = await tree(t, { 'memory/berth/abc/cgroup.procs': '7\n' });
  const v2 = await tree(t, { 'berth/abc/cgroup.procs': '8\n9\n', 'berth/abc/cgroup.controllers': '' });
  assert.deepEqual(await listPids({ version: 1, root: v1 }, '/berth/abc'), [7]);
  assert.deepEqual(await listPids({ version: 2, root: v2 }, '/berth/abc'), [8, 9]);
});

test('freezerState reads v1 freezer.state and v2 cgroup.freeze with cgroup.events', async (t) => {
  const v1 = await tree(t, { 'freezer/berth/a/freezer.state': 'FROZEN\n', 'freezer/berth/b/freezer.state': 'THAWED\n' });
  const v2 = await tree(t, {
    'berth/a/cgroup.freeze': '1\n', 'berth/a/cgroup.events': 'populated 1\nfrozen 1\n',
    'berth/b/cgroup.freeze': '1\n', 'berth/b/cgroup.events': 'populated 1\nfrozen 0\n',
    'berth/c/cgroup.freeze': '0\n', 'berth/c/cgroup.events': 'populated 1\nfrozen 0\n',
  });
  const l1: CgroupLayout = { version: 1, root: v1 };
  const l2: CgroupLayout = { version: 2, root: v2 };
  assert.equal(await freezerState(l1, '/berth/a'), 'FROZEN');
  assert.equal(await freezerState(l1, '/berth/b'), 'THAWED');
  assert.equal(await freezerState(l1, '/berth/gone'), undefined);
  assert.equal(await freezerState(l2, '/berth/a'), 'FROZEN');
  assert.equal(await freezerState(l2, '/berth/b'), 'FREEZING');
  assert.equal(await freezerState(l2, '/berth/c'), 'THAWED');
  assert.equal(await freezerState(l2, '/berth/gone'), undefined);
});

test('oomKillCount reads oom_kill from v1 memory.oom_control and v2 memory.events', async (t) => {
  const v1 = await tree(t, { 'memory/berth/a/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n' });
  const v2 = await tree(t, { 'berth/a/memory.events': 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 1\noom_group_kill 0\n' });
  assert.equal(await oomKillCount({ version: 1, root: v1 }, '/berth/a'), 2);
  assert.equal(await oomKillCount({ version: 2, root: v2 }, '/berth/a'), 1);
  assert.equal(await oomKillCount({ version: 2, root: v2 }, '/berth/gone'), 0);
});

test('a cgroupsPath with ".." stays inside the hierarchy', async (t) => {
  const root = await tree(t, {
    'memory/escape/cgroup.procs': '1\n', // what "/../../escape" would reach if joined naively
    'memory/x/escape/cgroup.procs': '2\n',
  });
  // Resolved as if the hierarchy root were "/": "/../../escape" is "/escape" below root/memory.
  assert.deepEqual(await listPids({ version: 1, root }, '/../../escape'), [1]);
  assert.deepEqual(await listPids({ version: 1, root }, 'x/../../../x/escape'), [2]);
  await assert.rejects(readCgroupStats({ version: 1, root }, '/x/..'), { status: 500, message: 'cgroupsPath "/x/.." names the root cgroup' });
});
