import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ImageRecord } from '../image/index.js';
import { silentLogger } from '../util/index.js';
import { BuildCache, type BuildCacheDeps } from './cache.js';

const KEY = 'a'.repeat(64);
const ID = `sha256:${'b'.repeat(64)}`;

function cacheIn(dir: string, images: Set<string>): BuildCache {
  const store = {
    get: (id: string) => (images.has(id) ? { id, layers: [] } as unknown as ImageRecord : undefined),
    list: () => [...images].map((id) => ({ id, layers: [] }) as unknown as ImageRecord),
    namesOf: () => ({ tags: [], digests: [] }),
  };
  return new BuildCache({
    dir, store: store as unknown as BuildCacheDeps['store'], content: { size: async () => 10 } as unknown as BuildCacheDeps['content'],
    snapshots: {} as BuildCacheDeps['snapshots'], images: { remove: async () => { images.delete(ID); return []; } }, logger: silentLogger(),
  });
}

test('the step cache answers from memory, writes use counts in a batch that df waits for, and forgets what prune removed', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'build-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const images = new Set([ID]);
  const cache = cacheIn(dir, images);
  assert.equal(await cache.lookup(KEY), undefined, 'no record yet');
  await cache.save(KEY, ID, '/bin/sh -c #(nop) COPY file:x in / ');
  assert.equal(await cache.lookup(KEY), ID, 'a miss read before is not remembered past the save');
  assert.equal(await cache.lookup(KEY), ID);
  // df writes the counts first, then reads the records from disk.
  const [entry] = await cache.usage();
  assert.equal(entry!.UsageCount, 2);
  assert.equal((JSON.parse(await fsp.readFile(path.join(dir, `${KEY}.json`), 'utf8')) as { usageCount: number }).usageCount, 2);
  // A restarted daemon reads the record from its file.
  assert.equal(await cacheIn(dir, images).lookup(KEY), ID);
  // A record whose image is gone is a miss.
  assert.equal(await cacheIn(dir, new Set()).lookup(KEY), undefined);
  const pruned = await cache.prune({ all: true, filters: new Map() });
  assert.deepEqual(pruned.CachesDeleted, [KEY.slice(0, 25)]);
  images.add(ID);
  assert.equal(await cache.lookup(KEY), undefined, 'a pruned record is not answered from memory');
  await cache.usage();
  assert.deepEqual(await fsp.readdir(dir), [], 'nor written back by a later count');
});
