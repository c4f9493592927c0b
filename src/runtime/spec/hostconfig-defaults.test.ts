// What `docker inspect` shows in HostConfig after create (moby adaptContainerSettings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyHostConfigDefaults } from './hostconfig-defaults.js';
import { defaultMaskedPaths, defaultReadonlyPaths } from './defaults.js';

test('an empty HostConfig on cgroup v1', () => {
  assert.deepEqual(applyHostConfigDefaults({}, { isCgroup2: false }), {
    ShmSize: 67108864, IpcMode: 'private', CgroupnsMode: 'host', OomKillDisable: false,
    MaskedPaths: defaultMaskedPaths(), ReadonlyPaths: defaultReadonlyPaths(),
  });
});

test('memory swap doubles memory; swappiness -1 is unset; cgroup v2 namespaces cgroups', () => {
  const hc = applyHostConfigDefaults({ Memory: 1000, MemorySwappiness: -1 }, { isCgroup2: true });
  assert.equal(hc.MemorySwap, 2000);
  assert.equal(hc.MemorySwappiness, null);
  assert.equal(hc.CgroupnsMode, 'private');
  assert.equal(applyHostConfigDefaults({ Memory: 1000, MemorySwap: -1 }, { isCgroup2: true }).MemorySwap, -1);
});

test('privileged: no default masks; on v1 the host cgroup namespace; given values stay', () => {
  const hc = applyHostConfigDefaults({ Privileged: true }, { isCgroup2: false, cgroupnsMode: 'private' });
  assert.equal(hc.MaskedPaths, undefined);
  assert.equal(hc.CgroupnsMode, 'host');
  assert.equal(applyHostConfigDefaults({ Privileged: true }, { isCgroup2: true }).CgroupnsMode, 'private');
  const given = { ShmSize: 1, IpcMode: 'shareable', CgroupnsMode: 'private' as const, MaskedPaths: [] };
  assert.deepEqual(applyHostConfigDefaults(given, { isCgroup2: false }), { ...given, OomKillDisable: false, ReadonlyPaths: defaultReadonlyPaths() });
});
