import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { blobStream, DEFAULT_RETRY } from './download.js';
import { PartialDownloads } from './partial.js';
import type { RepositoryClient } from './repository.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-partial-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const blob = randomBytes(3 * 1024 * 1024 + 17);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest, size: blob.length };

/** A registry that serves the blob in 64 KiB chunks from the asked offset, recording each offset. */
function fakeRepo(offsets: number[]): RepositoryClient {
  return {
    async openBlob(_digest: string, offset = 0) {
      offsets.push(offset);
      async function* body() { for (let i = offset; i < blob.length; i += 65536) yield blob.subarray(i, Math.min(i + 65536, blob.length)); }
      return { status: offset > 0 ? 206 : 200, headers: {}, body: Readable.from(body()) };
    },
  } as unknown as RepositoryClient;
}

test('an interrupted download keeps its bytes; the next one asks only for the rest and yields the whole blob', async () => {
  const partials = new PartialDownloads(path.join(dir, 'partial'));
  const offsets: number[] = [];
  const first = blobStream(fakeRepo(offsets), desc, () => undefined, DEFAULT_RETRY, undefined, partials);
  let got = 0;
  for await (const c of first) {
    got += (c as Buffer).length;
    if (got >= 1024 * 1024) break; // the client leaves: the stream is destroyed
  }
  await new Promise((r) => setImmediate(r));
  const kept = statSync(path.join(dir, 'partial', digest.replace(':', '-'))).size;
  assert.ok(kept >= 1024 * 1024 && kept < blob.length, `kept ${kept}`);

  const second = blobStream(fakeRepo(offsets), desc, () => undefined, DEFAULT_RETRY, undefined, partials);
  const parts: Buffer[] = [];
  for await (const c of second) parts.push(c as Buffer);
  assert.ok(Buffer.concat(parts).equals(blob), 'the whole blob, in order');
  assert.deepEqual(offsets, [0, kept]);
  assert.equal(existsSync(path.join(dir, 'partial', digest.replace(':', '-'))), false, 'a verified blob keeps no partial file');
});

test('a kept prefix that is wrong fails verification and is dropped', async () => {
  const partials = new PartialDownloads(path.join(dir, 'partial'));
  const file = path.join(dir, 'partial', digest.replace(':', '-'));
  writeFileSync(file, Buffer.alloc(4096, 1));
  const s = blobStream(fakeRepo([]), desc, () => undefined, DEFAULT_RETRY, undefined, partials);
  await assert.rejects((async () => { for await (const _ of s) { /* drain */ } })(), /filesystem layer verification failed/);
  assert.equal(existsSync(file), false);
});

test('prune drops partial downloads untouched for the given age and counts their bytes', async () => {
  const partials = new PartialDownloads(path.join(dir, 'prune'));
  await (await partials.open('sha256:aaaa', 100)).keep();
  const old = path.join(dir, 'prune', 'sha256-old');
  writeFileSync(old, Buffer.alloc(1000));
  const dayAgo = (Date.now() - 25 * 3600 * 1000) / 1000;
  utimesSync(old, dayAgo, dayAgo);
  assert.equal(await partials.prune(24 * 3600 * 1000), 1000);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(path.join(dir, 'prune', 'sha256-aaaa')), true);
});
