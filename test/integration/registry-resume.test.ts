// Issue 16, finding 7: a pull cut by a kill -9 of berthd (or a client that left) goes on from
// the bytes already fetched when it is run again: the proxy in front of the registry sees a
// Range request for the rest of the layer, and the image is whole.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../src/util/index.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { umociImage } from '../helpers/fixtures.js';
import { seedImage, startFaultProxy, startRegistry, type FaultProxy, type TestRegistry } from '../helpers/registry.js';

async function partialBytes(d: TestDaemon): Promise<number> {
  const dir = path.join(d.dataRoot, 'distribution', 'partial');
  let total = 0;
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) total += (await fsp.stat(path.join(dir, name))).size;
  return total;
}

describe('resumable pulls', needsDocker, () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let d: TestDaemon;
  let dir: string;
  before(async () => {
    const layout = (await umociImage()).layout;
    reg = await startRegistry('resume');
    await seedImage(`oci:${layout}:v1`, `${reg.host}/umoci/busybox:v1`);
    proxy = await startFaultProxy(reg.url);
    d = await startDaemon('registry-resume', [], { config: { 'insecure-registries': [proxy.host] } });
    dir = d.dir;
  });
  after(async () => {
    await d?.stop();
    await proxy?.stop();
    await reg?.stop();
  });

  test('kill -9 of berthd mid-layer: the next pull asks only for the missing bytes', async () => {
    proxy.set('stall');
    proxy.blobGets.length = 0;
    // The pull stalls half-way through each large layer; berthd has kept what came.
    const req = http.request({ socketPath: d.socket, method: 'POST', path: `/images/create?fromImage=${proxy.host}/umoci/busybox&tag=v1` });
    req.on('error', () => undefined);
    req.on('response', (res) => { res.resume(); res.on('error', () => undefined); });
    req.end();
    // The proxy stalls each layer over 4 KiB at its half: wait until berthd has kept all of those halves.
    const manifest = await (await fetch(`${reg.url}/v2/umoci/busybox/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } })).json() as { layers: Array<{ size: number }> };
    const halves = manifest.layers.filter((l) => l.size > 4096).reduce((n, l) => n + Math.floor(l.size / 2), 0);
    const kept = await waitFor(`berthd to keep the first ${halves} bytes of the layers`, async () => {
      const n = await partialBytes(d);
      return n >= halves ? n : undefined;
    }, { timeoutMs: 30_000 });
    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGKILL');
    await exited;
    req.destroy();

    proxy.set('none');
    proxy.blobGets.length = 0;
    d = await startDaemon('registry-resume', [], { dir });
    const before = await partialBytes(d);
    assert.ok(before >= kept, `kept ${before} bytes across the restart`);
    const r = await d.docker(['pull', `${proxy.host}/umoci/busybox:v1`]);
    assert.match(r.stdout.toString(), /Downloaded newer image/);
    const ranged = proxy.blobGets.filter((g) => g.range);
    assert.ok(ranged.length > 0, `a Range request resumed the layer: ${JSON.stringify(proxy.blobGets)}`);
    const resumedFrom = ranged.map((g) => Number(/bytes=(\d+)-/.exec(g.range!)![1]));
    assert.ok(resumedFrom.every((n) => n > 0), JSON.stringify(ranged));
    assert.equal(await partialBytes(d), 0, 'nothing is kept once the layers are verified');
    // The image is whole: it runs.
    const run = await d.docker(['run', '--rm', '--network', 'none', `${proxy.host}/umoci/busybox:v1`, 'cat', '/hello']);
    assert.equal(run.stdout.toString(), 'hello from layer two\n');
    // The figures for the closing note: bytes asked for on the second pull against the layer's size.
    for (const g of ranged) {
      const size = Number((await fetch(`${reg.url}${g.path}`, { method: 'HEAD' })).headers.get('content-length'));
      const from = Number(/bytes=(\d+)-/.exec(g.range!)![1]);
      assert.ok(from < size);
      process.stdout.write(`# resumed pull: layer of ${size} bytes, second pull fetched ${size - from} (${Math.round((100 * (size - from)) / size)}%)\n`);
    }
  });
});
