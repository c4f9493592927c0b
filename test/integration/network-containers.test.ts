import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hostAddress, assertNothingLeft } from '../helpers/network.js';

interface Inspected {
  NetworkSettings: { IPAddress: string; Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>; Networks: Record<string, { IPAddress: string; Gateway: string; NetworkID: string; DNSNames: string[] | null }> };
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${host}:${port}`)));
    req.on('error', reject);
  });
}

/** HTTP from busybox httpd, serving `text` on port 80. */
const HTTPD = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

/**
 * Real containers on real bridges through the docker CLI: two containers on a user network
 * fetch from each other by name, a published port answers on 127.0.0.1 and the host's other
 * address, inspect shows the endpoint, and removal leaves no veth, bridge, rule or DNS server.
 */
describe('containers on networks', () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  /** This file's bridges: the leak check looks at what this daemon owns (others share the host). */
  const bridges = [`bt${tag}`];

  before(async () => {
    d = await startDaemon('network-containers', [], { config: { bridge: `bt${tag}`, 'default-address-pools': [{ base: '10.234.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  /** The network's /24 in the pool, as its first three octets ("10.234.1"). */
  const subnet24 = async (net: string): Promise<string> => {
    const subnet = out(await d.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', net])).trim();
    assert.match(subnet, /^10\.234\.\d+\.0\/24$/);
    return subnet.replace(/\.0\/24$/, '');
  };
  const inspect = async (id: string): Promise<Inspected> => (JSON.parse(out(await d.docker(['inspect', id]))) as Inspected[])[0]!;

  test('two containers on a user network fetch from each other by name', async (t) => {
    bridges.push(`br-${out(await d.docker(['network', 'create', `app-${tag}`])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', `app-${tag}`], { allowFailure: true }));
    const web = out(await d.docker(['run', '-d', '--name', `web-${tag}`, '--network', `app-${tag}`, 'busybox', ...HTTPD(`hi-${tag}`)])).trim();
    t.after(() => removeContainers(d, web));
    const ins = await inspect(web);
    const ep = ins.NetworkSettings.Networks[`app-${tag}`]!;
    // The first free /24 of the pool (another engine on the host may hold some): .1 and .2 of it.
    const net24 = await subnet24(`app-${tag}`);
    assert.equal(ep.IPAddress, `${net24}.2`);
    assert.equal(ep.Gateway, `${net24}.1`);
    assert.deepEqual(ep.DNSNames, [`web-${tag}`, web.slice(0, 12)]);
    const got = await waitFor('web to answer by name', async () => {
      const r = await d.docker(['run', '--rm', '--network', `app-${tag}`, 'busybox', 'wget', '-qO-', `http://web-${tag}/`], { allowFailure: true });
      return r.code === 0 ? out(r).trim() : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.equal(got, `hi-${tag}`);
    const resolv = out(await d.docker(['exec', web, 'cat', '/etc/resolv.conf']));
    assert.equal(resolv, `nameserver ${net24}.1\n`);
    assert.match(out(await d.docker(['exec', web, 'cat', '/etc/hosts'])), new RegExp(`${net24.replace(/\./g, '\\.')}\\.2\\s+${web.slice(0, 12)}`));
    const unknown = await d.docker(['run', '--rm', '--network', 'nope', 'busybox', 'true'], { allowFailure: true });
    assert.equal(unknown.code, 125);
    assert.match(unknown.stderr, /network nope not found/);
  });

  test('eight containers started together on one network all get their interface and resolve each other by name', async (t) => {
    // The first setup makes the bridge and aardvark-dns's file; the next ones share netavark (ADR 20, 2026-12-08).
    const net = `many-${tag}`;
    const bridge = `br-${out(await d.docker(['network', 'create', net])).trim().slice(0, 12)}`;
    bridges.push(bridge);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }));
    const names = Array.from({ length: 8 }, (_, i) => `many${i}-${tag}`);
    const ids = await Promise.all(names.map(async (name) => out(await d.docker(['run', '-d', '--name', name, '--network', net, 'busybox', 'sleep', '300'])).trim()));
    t.after(() => removeContainers(d, ...ids));
    const ips = await Promise.all(ids.map(async (id) => (await inspect(id)).NetworkSettings.Networks[net]!.IPAddress));
    assert.equal(new Set(ips).size, 8, `eight addresses: ${ips.join(' ')}`);
    // Its MAC is set (NET_ADDR_SET), so it does not follow its lowest port's as containers come and go.
    assert.equal(readFileSync(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8').trim(), '3');
    for (const [i, id] of ids.entries()) {
      assert.match(out(await d.docker(['exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])), new RegExp(`inet ${ips[i]!.replace(/\./g, '\\.')}/24`));
    }
    // Every name answered, by one of them: no line of aardvark-dns's file was lost.
    for (const [i, name] of names.entries()) {
      const r = await d.docker(['exec', ids[0]!, 'nslookup', name], { allowFailure: true });
      assert.match(out(r), new RegExp(`Address: ${ips[i]!.replace(/\./g, '\\.')}`), `${name}: ${out(r)}${r.stderr}`);
    }
    // Removed together, then one more: the network still works (teardowns wait for the setups).
    await Promise.all(ids.slice(1).map((id) => d.docker(['rm', '-f', id])));
    const last = out(await d.docker(['run', '-d', '--name', `many-last-${tag}`, '--network', net, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, last));
    const r = await d.docker(['exec', ids[0]!, 'nslookup', `many-last-${tag}`], { allowFailure: true });
    assert.match(out(r), new RegExp(`Address: ${(await inspect(last)).NetworkSettings.Networks[net]!.IPAddress.replace(/\./g, '\\.')}`), out(r) + r.stderr);
    const gone = await d.docker(['exec', ids[0]!, 'nslookup', names[1]!], { allowFailure: true });
    assert.doesNotMatch(out(gone), /Address: 10\.234\./, 'a removed container\'s name no longer answers');
    assert.doesNotMatch(d.log(), /aardvark-dns did not come back/, 'every reload of aardvark-dns was seen');
  });

  test('a published port answers on 127.0.0.1 and on the host\'s address; a taken one fails the start', async (t) => {
    const web = out(await d.docker(['run', '-d', '-p', '80', 'busybox', ...HTTPD(`pub-${tag}`)])).trim();
    t.after(() => removeContainers(d, web));
    const ins = await inspect(web);
    const binding = ins.NetworkSettings.Ports['80/tcp']![0]!;
    assert.equal(binding.HostIp, '0.0.0.0');
    assert.equal(ins.NetworkSettings.IPAddress, `${await subnet24('bridge')}.2`, 'the default bridge\'s endpoint in the top-level fields');
    const port = Number(binding.HostPort);
    const body = await waitFor('httpd to answer on 127.0.0.1', () => httpGet('127.0.0.1', port).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(body.trim(), `pub-${tag}`);
    assert.equal((await httpGet(await hostAddress(), port)).trim(), `pub-${tag}`);
    const clash = await d.docker(['run', '-d', '--name', `clash-${tag}`, '-p', `${port}:80`, 'busybox', 'sleep', '60'], { allowFailure: true });
    t.after(() => d.docker(['rm', '-f', `clash-${tag}`], { allowFailure: true }));
    assert.equal(clash.code, 125);
    assert.match(clash.stderr, new RegExp(`Bind for 0\\.0\\.0\\.0:${port} failed: port is already allocated`));
  });

  test('a container plugged in without netavark gets the interface netavark gives the first one', async (t) => {
    // The first container of a network is set up by netavark (it makes the bridge and its
    // rules); the next ones, publishing no port, by berth itself (ADR 20, 2026-12-08 "second
    // pass"). Both must look the same from inside, on the bridge and to aardvark-dns.
    const net = `plug-${tag}`;
    const bridge = `br-${out(await d.docker(['network', 'create', '-o', 'com.docker.network.driver.mtu=1400', net])).trim().slice(0, 12)}`;
    bridges.push(bridge);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }));
    const names = [`plug1-${tag}`, `plug2-${tag}`];
    const ids: string[] = [];
    t.after(() => removeContainers(d, ...ids));
    for (const name of names) ids.push(out(await d.docker(['run', '-d', '--name', name, '--network', net, 'busybox', 'sleep', '1000'])).trim());
    const view = async (id: string) => {
      const ep = (await inspect(id)).NetworkSettings.Networks[net]!;
      const text = out(await d.docker(['exec', id, 'sh', '-c', [
        'ip -o link show lo', 'ip -o link show eth0', 'ip -o -4 addr show', 'ip route',
        'cat /proc/sys/net/ipv6/conf/eth0/autoconf /proc/sys/net/ipv6/conf/default/autoconf /proc/sys/net/ipv6/conf/eth0/disable_ipv6',
      ].join('; ')]));
      const mac = (JSON.parse(out(await d.docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', id]))) as Record<string, { MacAddress: string }>)[net]!.MacAddress;
      // Interface indexes and the peer's differ from container to container; the rest must not.
      return text.replace(new RegExp(`${ep.IPAddress.replace(/\./g, '\\.')}(?!\\d)`, 'g'), '<ip>').split(mac).join('<mac>').replace(/^\d+: /gm, '').replace(/eth0@if\d+/g, 'eth0@if<peer>');
    };
    const [first, second] = [await view(ids[0]!), await view(ids[1]!)];
    assert.match(first, /eth0@if<peer>: <BROADCAST,MULTICAST,UP,LOWER_UP[^>]*> mtu 1400 .*link\/ether <mac>/);
    assert.match(first, /default via 10\.234\.\d+\.1 dev eth0 +metric 100/);
    assert.equal(second, first);
    // On the host: both ends on the bridge, up, with the network's MTU; the second one is berth's (named vb…).
    const ports = readdirSync(`/sys/class/net/${bridge}/brif`).sort();
    assert.equal(ports.length, 2, `ports of ${bridge}: ${ports.join(', ')}`);
    assert.ok(ports.some((p) => p.startsWith('vb')), `one port made by berth: ${ports.join(', ')}`);
    for (const p of ports) {
      assert.equal(readFileSync(`/sys/class/net/${p}/mtu`, 'utf8').trim(), '1400', p);
      assert.equal(readFileSync(`/sys/class/net/${p}/operstate`, 'utf8').trim(), 'up', p);
    }
    // aardvark-dns answers for both, each asking for the other; once the second is removed, not for it.
    for (const [from, to] of [[names[0]!, names[1]!], [names[1]!, names[0]!]] as const) {
      assert.equal((await d.docker(['exec', from, 'nslookup', to], { allowFailure: true })).code, 0, `${from} resolves ${to}`);
    }
    await removeContainers(d, ids[1]!);
    assert.notEqual((await d.docker(['exec', names[0]!, 'nslookup', names[1]!], { allowFailure: true })).code, 0, `${names[1]} is not resolved after its removal`);
    assert.equal((await d.docker(['exec', names[0]!, 'nslookup', names[0]!], { allowFailure: true })).code, 0, 'the first one still resolves itself');
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.234.' });
  });
});
