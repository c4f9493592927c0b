import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EventBus } from '../../src/events/index.js';
import { NetworkService, type AttachResult } from '../../src/network/index.js';
import { exec, silentLogger, waitFor } from '../../src/util/index.js';
import { scratchDir } from '../helpers/daemon.js';
import { addNetns, fetchTcp, hostAddress, netState, nsExec, ownNetState, serveInNetns } from '../helpers/network.js';

/**
 * NetworkService.attach/detach driven directly, with network namespaces the test makes itself
 * (no containers): two namespaces on one user network reach each other by address and by name
 * through aardvark-dns, reach the host through the bridge, a published port answers on
 * 127.0.0.1 and on the host's other address, a taken port fails leaving nothing, and teardown
 * leaves no bridge, veth, namespace, rule or aardvark-dns behind.
 */
describe('NetworkService attach and detach on real namespaces', () => {
  const tag = randomBytes(3).toString('hex');
  const cleanups: Array<() => Promise<void>> = [];
  let dir: string;
  let svc: NetworkService;
  const ns = { a: `berth-t-${tag}-a`, b: `berth-t-${tag}-b`, c: `berth-t-${tag}-c` };
  const ids = { a: 'a'.repeat(52) + randomBytes(6).toString('hex'), b: 'b'.repeat(52) + randomBytes(6).toString('hex'), c: 'c'.repeat(52) + randomBytes(6).toString('hex') };
  let netId: string;
  let attachedA: AttachResult;
  let attachedB: AttachResult;

  before(async () => {
    dir = await scratchDir('network-attach');
    svc = new NetworkService({
      root: path.join(dir, 'networks'), configDir: path.join(dir, 'netavark'), events: new EventBus(), logger: silentLogger(),
      defaultAddressPools: [{ base: '10.231.0.0/16', size: 24 }], bip: '', defaultBridgeName: `bt${tag}`,
    });
    await svc.init();
    for (const [key, name] of Object.entries(ns)) {
      const remove = await addNetns(name);
      cleanups.push(async () => {
        await svc.detach(ids[key as keyof typeof ids], `/run/netns/${name}`);
        await remove();
      });
    }
    netId = (await svc.create({ Name: `n-${tag}`, Labels: { t: tag } })).Id;
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error('cleanup:', err));
    await svc?.remove(netId).catch(() => undefined);
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test('two namespaces on one user network: addresses, names through aardvark-dns, the host, inspect', async () => {
    attachedA = await svc.attach({
      containerId: ids.a, containerName: `a-${tag}`, netnsPath: `/run/netns/${ns.a}`,
      endpoints: [{ network: `n-${tag}`, aliases: ['web'] }], portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] },
    });
    attachedB = await svc.attach({ containerId: ids.b, containerName: `b-${tag}`, netnsPath: `/run/netns/${ns.b}`, endpoints: [{ network: netId.slice(0, 12) }] });
    const a = attachedA.networks[`n-${tag}`]!;
    const b = attachedB.networks[`n-${tag}`]!;
    assert.equal(a.NetworkID, netId);
    assert.equal(a.Gateway, '10.231.1.1', 'the default bridge took 10.231.0.0/24, the user network the next /24');
    assert.equal(a.IPAddress, '10.231.1.2');
    assert.equal(b.IPAddress, '10.231.1.3');
    assert.equal(a.IPPrefixLen, 24);
    assert.match(a.MacAddress, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    assert.deepEqual(a.Aliases, ['web']);
    assert.deepEqual(a.DNSNames, [`a-${tag}`, 'web', ids.a.slice(0, 12)]);
    assert.equal(attachedA.dnsServer, '10.231.1.1');
    // Inside the namespace: the address, and the route out through the gateway.
    assert.match((await nsExec(ns.a, ['ip', '-4', '-o', 'addr', 'show', 'eth0'])).stdout.toString(), /inet 10\.231\.1\.2\/24/);
    assert.match((await nsExec(ns.a, ['ip', 'route'])).stdout.toString(), /default via 10\.231\.1\.1/);

    await nsExec(ns.b, ['busybox', 'ping', '-c', '1', '-W', '5', a.IPAddress]);
    for (const name of [`a-${tag}`, 'web', ids.a.slice(0, 12)]) {
      const r = await nsExec(ns.b, ['busybox', 'nslookup', name, attachedB.dnsServer!]);
      assert.match(r.stdout.toString(), new RegExp(`Address: ${a.IPAddress.replace(/\./g, '\\.')}`), `${name} resolves to a's address`);
    }
    const host = await hostAddress();
    await nsExec(ns.a, ['busybox', 'ping', '-c', '1', '-W', '5', host]);

    const inspected = svc.inspect(`n-${tag}`);
    assert.deepEqual(inspected.IPAM.Config, [{ Subnet: '10.231.1.0/24', Gateway: '10.231.1.1' }]);
    assert.deepEqual(Object.keys(inspected.Containers).sort(), [ids.a, ids.b].sort());
    assert.equal(inspected.Containers[ids.a]!.IPv4Address, '10.231.1.2/24');
    assert.deepEqual(svc.endpointsOf(ids.b)[`n-${tag}`]?.IPAddress, '10.231.1.3');
    await assert.rejects(svc.remove(`n-${tag}`), { status: 403, message: new RegExp(`^error while removing network: network n-${tag} has active endpoints \\(name:"a-${tag}" id:"[0-9a-f]{12}", name:"b-${tag}" id:"[0-9a-f]{12}"\\)$`) });
  });

  test('a published port answers on 127.0.0.1 and on the host\'s other address', async () => {
    const binding = attachedA.ports['80/tcp']!;
    assert.equal(binding.length, 1);
    assert.equal(binding[0]!.HostIp, '0.0.0.0');
    const port = Number(binding[0]!.HostPort);
    assert.ok(port > 0);
    const stop = await serveInNetns(ns.a, 80, `hello-${tag}`);
    try {
      assert.equal(await fetchTcp('127.0.0.1', port), `hello-${tag}`);
      assert.equal(await fetchTcp(await hostAddress(), port), `hello-${tag}`);
      assert.deepEqual(svc.portsOf(ids.a), { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: String(port) }] });
    } finally {
      await stop();
    }
  });

  test('a taken host port fails with dockerd\'s message and leaves nothing set up', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '0.0.0.0', resolve));
    const taken = (holder.address() as { port: number }).port;
    try {
      // Only rules of this test's subnets: other daemons on the host change theirs meanwhile.
      const ownRules = async () => (await netState(dir)).rules.filter((r) => r.includes('10.231.'));
      const rulesBefore = await ownRules();
      await assert.rejects(svc.attach({
        containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`,
        endpoints: [{ network: `n-${tag}` }], portBindings: { '80/tcp': [{ HostPort: String(taken) }] },
      }), { status: 500, message: new RegExp(`^driver failed programming external connectivity on endpoint c-${tag} \\([0-9a-f]{64}\\): failed to bind host port for 0\\.0\\.0\\.0:${taken}:10\\.231\\.1\\.4:80/tcp: address already in use$`) });
      const aPort = attachedA.ports['80/tcp']![0]!.HostPort!;
      await assert.rejects(svc.attach({
        containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`,
        endpoints: [{ network: `n-${tag}` }], portBindings: { '8080/tcp': [{ HostPort: aPort }] },
      }), { message: new RegExp(`: Bind for 0\\.0\\.0\\.0:${aPort} failed: port is already allocated$`) });
      assert.deepEqual(svc.endpointsOf(ids.c), {});
      assert.deepEqual(Object.keys(svc.inspect(`n-${tag}`).Containers).sort(), [ids.a, ids.b].sort());
      assert.deepEqual((await nsExec(ns.c, ['ip', '-o', 'link', 'show'])).stdout.toString().trim().split('\n').map((l) => l.split(': ')[1]), ['lo']);
      assert.deepEqual(await ownRules(), rulesBefore);
      // The address it was given is free again: the next attach gets it.
      const c = await svc.attach({ containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`, endpoints: [{ network: `n-${tag}`, ipv4Address: '10.231.1.4' }] });
      assert.equal(c.networks[`n-${tag}`]!.IPAddress, '10.231.1.4');
      await assert.rejects(svc.attach({ containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`, endpoints: [{ network: `n-${tag}` }] }),
        { status: 403, message: `endpoint with name c-${tag} already exists in network n-${tag}` });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  test('the default bridge has no DNS server; --ip there is refused', async () => {
    await svc.detach(ids.c);
    await assert.rejects(svc.attach({ containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`, endpoints: [{ network: 'bridge', ipv4Address: '10.231.0.9' }] }),
      { status: 400, message: 'user specified IP address is supported on user defined networks only' });
    const r = await svc.attach({ containerId: ids.c, containerName: `c-${tag}`, netnsPath: `/run/netns/${ns.c}`, endpoints: [{ network: 'bridge' }] });
    assert.equal(r.dnsServer, undefined);
    assert.equal(r.networks.bridge!.Gateway, '10.231.0.1');
    assert.deepEqual(r.networks.bridge!.DNSNames, null);
    assert.ok((await netState(dir)).links.includes(`bt${tag}`), 'the default bridge is its own device');
    await nsExec(ns.c, ['busybox', 'ping', '-c', '1', '-W', '5', '10.231.0.1']);
  });

  test('detach is idempotent and the last one out leaves no bridge, veth, rule or aardvark-dns', async () => {
    for (const id of [ids.a, ids.b, ids.c]) {
      await svc.detach(id);
      await svc.detach(id);
    }
    await svc.remove(`n-${tag}`);
    await assert.rejects(svc.remove(`n-${tag}`), { status: 404, message: `network n-${tag} not found` });
    await assert.rejects(svc.remove('bridge'), { status: 403, message: 'bridge is a pre-defined network and cannot be removed' });
    for (const name of Object.values(ns)) await exec('ip', ['netns', 'del', name]);
    // What this test owns: other daemons on a shared host change the rest meanwhile.
    const now = await waitFor('aardvark-dns to exit and the namespaces to go', async () => {
      const s = await ownNetState(dir, { bridges: [`bt${tag}`, `br-${netId.slice(0, 12)}`], subnetPrefix: '10.231.' });
      const named = (await netState(dir)).netns.filter((n) => n.includes(tag));
      return s.aardvark.length === 0 && named.length === 0 ? { ...s, named } : undefined;
    });
    assert.deepEqual(now, { links: [], netns: [], rules: [], aardvark: [], named: [] });
  });
});
