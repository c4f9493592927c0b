import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

/**
 * /etc/hosts and /etc/resolv.conf as the flags make them (issue 12): `--add-host` (with
 * `host-gateway`, the default bridge's gateway), `--hostname`/`--domainname`, `--dns`,
 * `--dns-search`, `--dns-option`, on the default bridge and on a user network.
 */
describe('/etc/hosts and /etc/resolv.conf from the network flags', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  const bridges = [`be${tag}`];
  const flags = ['--add-host', 'extra.example:192.0.2.7', '--add-host', 'gw.example:host-gateway', '--hostname', 'h1', '--domainname', 'dom.example',
    '--dns', '192.0.2.53', '--dns-search', 'search.example', '--dns-option', 'ndots:2'];
  const show = ['sh', '-c', 'cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname'];

  before(async () => {
    d = await startDaemon('network-etc', [], { config: { bridge: `be${tag}`, 'default-address-pools': [{ base: '10.241.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const lines = (text: string) => text.split('\n').filter(Boolean);

  test('on the default bridge', async (t) => {
    const id = out(await d.docker(['run', '-d', ...flags, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, id));
    const [hosts, resolv, hostname] = out(await d.docker(['exec', id, ...show])).split('---\n');
    assert.deepEqual(lines(hosts!).slice(-3), ['192.0.2.7\textra.example', '10.241.0.1\tgw.example', '10.241.0.2\th1.dom.example h1']);
    assert.deepEqual(lines(resolv!).filter((l) => !l.startsWith('#')), ['nameserver 192.0.2.53', 'search search.example', 'options ndots:2']);
    assert.equal(hostname, 'h1\n');
  });

  test('on a user network: aardvark-dns answers, with --dns as its upstream', async (t) => {
    const net = `u-${tag}`;
    bridges.push(`br-${out(await d.docker(['network', 'create', net])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }));
    const id = out(await d.docker(['run', '-d', '--network', net, ...flags, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, id));
    const [hosts, resolv] = out(await d.docker(['exec', id, ...show])).split('---\n');
    assert.deepEqual(lines(hosts!).slice(-3), ['192.0.2.7\textra.example', '10.241.0.1\tgw.example', '10.241.1.2\th1.dom.example h1']);
    assert.deepEqual(lines(resolv!), ['nameserver 10.241.1.1', 'search search.example', 'options ndots:2']);
    // aardvark-dns's entry for the container names its upstream servers (netavark's config format).
    const entry = await fsp.readFile(path.join(d.dir, 'exec', 'netavark', 'aardvark-dns', out(await d.docker(['network', 'inspect', '-f', '{{.Id}}', net])).trim()), 'utf8');
    assert.match(entry, new RegExp(`^${id} 10\\.241\\.1\\.2 +[^ ]+ +192\\.0\\.2\\.53$`, 'm'));
  });

  test('a bad --add-host is dockerd\'s 400 at create', async () => {
    // The docker CLI checks the flag itself: the daemon's words through the API.
    const bad = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { ExtraHosts: ['x:not-an-ip'] } }), { 'Content-Type': 'application/json' });
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { message: 'invalid IP address in add-host: "not-an-ip"' }]);
    assert.equal(out(await d.docker(['ps', '-aq'])).trim(), '', 'nothing created');
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.241.' });
  });
});
