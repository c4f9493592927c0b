import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

interface NetStats { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }

/** 200 kB served by busybox httpd on port 80. */
const HTTPD = ['sh', '-c', 'mkdir -p /www && head -c 200000 /dev/zero > /www/big && exec httpd -f -p 80 -h /www'];

/**
 * `GET /containers/{id}/stats` carries `networks` as dockerd's does: one entry per interface of
 * the container's namespace (not lo), with rx/tx bytes, packets, errors and dropped, and
 * `docker stats` shows them as NET I/O.
 */
describe('network stats', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  const bridges = [`bs${tag}`];

  before(async () => {
    d = await startDaemon('network-stats', [], { config: { bridge: `bs${tag}`, 'default-address-pools': [{ base: '10.243.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const networksOf = async (id: string): Promise<Record<string, NetStats> | undefined> => {
    const r = await d.request('GET', `/containers/${id}/stats?stream=false&one-shot=true`);
    assert.equal(r.status, 200, r.body);
    return (JSON.parse(r.body) as { networks?: Record<string, NetStats> }).networks;
  };

  test('bytes and packets grow on both sides after a wget between two containers', async (t) => {
    bridges.push(`br-${out(await d.docker(['network', 'create', `st-${tag}`])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', `st-${tag}`], { allowFailure: true }));
    const web = out(await d.docker(['run', '-d', '--name', `web-${tag}`, '--network', `st-${tag}`, 'busybox', ...HTTPD])).trim();
    t.after(() => removeContainers(d, web));
    const client = out(await d.docker(['run', '-d', '--name', `cli-${tag}`, '--network', `st-${tag}`, 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, client));

    const before = await networksOf(web);
    assert.deepEqual(Object.keys(before ?? {}), ['eth0'], 'one endpoint, no lo');
    const keys = ['rx_bytes', 'rx_packets', 'rx_errors', 'rx_dropped', 'tx_bytes', 'tx_packets', 'tx_errors', 'tx_dropped'];
    assert.deepEqual(Object.keys(before!.eth0!), keys, 'dockerd\'s NetworkStats fields, in its order');

    await waitFor('the client to fetch 200 kB from web by name', async () => {
      const r = await d.docker(['exec', client, 'wget', '-qO', '/dev/null', `http://web-${tag}/big`], { allowFailure: true });
      return r.code === 0 ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });

    const web1 = (await networksOf(web))!.eth0!;
    assert.ok(web1.tx_bytes - before!.eth0!.tx_bytes >= 200_000, `web sent the file: ${JSON.stringify({ before: before!.eth0, after: web1 })}`);
    assert.ok(web1.rx_packets > before!.eth0!.rx_packets, 'web received the request');
    const cli1 = (await networksOf(client))!.eth0!;
    assert.ok(cli1.rx_bytes >= 200_000, `the client received the file: ${JSON.stringify(cli1)}`);

    // A container: sharer reports its peer's interfaces, as dockerd resolves the sandbox through
    // the chain of container: modes (getNetworkSandboxID).
    const sharer = out(await d.docker(['run', '-d', '--network', `container:web-${tag}`, 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, sharer));
    const shared = (await networksOf(sharer))!.eth0!;
    assert.ok(shared.tx_bytes >= web1.tx_bytes, `the sharer counts web's eth0: ${JSON.stringify(shared)}`);

    // The docker CLI sums networks into NET I/O (rx / tx): web has sent ≥ 200 kB.
    const netIo = out(await d.docker(['stats', '--no-stream', '--format', '{{.NetIO}}', web])).trim();
    const m = /^([\d.]+)([kMG]?)B \/ ([\d.]+)([kMG]?)B$/.exec(netIo);
    assert.ok(m, `NET I/O as docker stats prints it: ${netIo}`);
    const bytes = (n: string, unit: string) => Number(n) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 }[unit] ?? NaN);
    assert.ok(bytes(m[3]!, m[4]!) >= 200_000, `NET I/O tx: ${netIo}`);
    assert.ok(bytes(m[1]!, m[2]!) > 0, `NET I/O rx: ${netIo}`);
    // berth's CLI sums them the same way.
    const berthIo = out(await d.berth(['stats', '--no-stream', '--format', '{{.NetIO}}', web])).trim();
    const b = /^([\d.]+)([kMG]?)B \/ ([\d.]+)([kMG]?)B$/.exec(berthIo);
    assert.ok(b && bytes(b[3]!, b[4]!) >= 200_000, `berth stats NET I/O: ${berthIo}`);
  });

  test('a container without networks (none, host) has no networks key; NET I/O is 0B / 0B', async (t) => {
    const none = out(await d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, none));
    const host = out(await d.docker(['run', '-d', '--network', 'host', 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, host));
    assert.equal(await networksOf(none), undefined);
    assert.equal(await networksOf(host), undefined);
    assert.equal(out(await d.docker(['stats', '--no-stream', '--format', '{{.NetIO}}', none])).trim(), '0B / 0B');
    assert.equal(out(await d.berth(['stats', '--no-stream', '--format', '{{.NetIO}}', none])).trim(), '0B / 0B');
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.243.' });
  });
});
