import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { NetworkStore } from './store.js';
import type { NetworkRecord } from './types.js';

const ID = 'a'.repeat(64);

function record(endpoints: string[]): NetworkRecord {
  return {
    id: ID, name: 'n', driver: 'bridge', created: '', bridge: 'br-aaaaaaaaaaaa', subnets: [], ipamConfig: [], ipamDriver: 'default', ipamOptions: null,
    internal: false, attachable: false, enableIPv6: false, options: {}, labels: {}, isPredefined: false, dnsEnabled: true,
    endpoints: Object.fromEntries(endpoints.map((c) => [c, { containerId: c, containerName: c, endpointId: c, ipAddress: '', macAddress: '', aliases: [], dnsNames: [] }])),
  };
}

/** A store in a temporary directory holding one saved network with no endpoints. */
async function savedStore(t: { after: (fn: () => Promise<void>) => void }): Promise<{ dir: string; store: NetworkStore; rec: NetworkRecord }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-netstore-'));
  t.after(() => fsp.rm(dir, { recursive: true, force: true }));
  const store = new NetworkStore(dir);
  await store.init();
  const rec = record([]);
  await store.saveNetwork(rec);
  return { dir, store, rec };
}

test('saves of one network that come together share writes, and the last state is what is on disk', async (t) => {
  const { dir, store, rec } = await savedStore(t);
  const file = path.join(dir, `${ID}.json`);
  // Each write goes through a temp file of its own name.
  const temps = new Set<string>();
  const watcher = watch(dir, (_event, name) => { if (name?.startsWith('.tmp-')) temps.add(name); });
  t.after(() => watcher.close());
  const saves = Array.from({ length: 20 }, (_, i) => {
    rec.endpoints[`c${i}`] = record([`c${i}`]).endpoints[`c${i}`]!;
    return store.saveNetwork(rec);
  });
  await Promise.all(saves);
  const onDisk = JSON.parse(readFileSync(file, 'utf8')) as NetworkRecord;
  assert.equal(Object.keys(onDisk.endpoints).length, 20, 'every endpoint written');
  // Two writes at most: the one that began first, and one for everyone who came during it.
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(temps.size >= 1 && temps.size <= 2, `one or two writes for twenty saves, not ${temps.size}`);
});

test('a network deleted while a write is queued stays deleted', async (t) => {
  const { dir, store, rec } = await savedStore(t);
  const a = store.saveNetwork(rec);
  const b = store.saveNetwork(rec);
  await store.deleteNetwork(ID);
  await Promise.all([a, b]);
  assert.equal(existsSync(path.join(dir, `${ID}.json`)), false);
  assert.equal(store.networks.has(ID), false);
});
