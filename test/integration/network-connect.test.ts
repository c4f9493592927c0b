import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

interface Endpoint { IPAddress: string; MacAddress: string; NetworkID: string; Aliases: string[] | null; DNSNames: string[] | null; IPAMConfig: { IPv4Address?: string; LinkLocalIPs?: string[] } | null }
interface Inspected { NetworkSettings: { Networks: Record<string, Endpoint> } }

/** busybox httpd serving `text` on port 80. */
const HTTPD = (text: string) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];

/**
 * `docker network connect`/`disconnect` of running and stopped containers and
 * NetworkingConfig at create (issue 12), through the real docker CLI, with dockerd's words
 * for what is refused, and nothing left on the host afterwards.
 */
describe('network connect and disconnect', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  /** Bridges of this file's networks: the default one's and each created network's `br-<id>`. */
  const bridges = [`bc${tag}`];

  before(async () => {
    d = await startDaemon('network-connect', [], { config: { bridge: `bc${tag}`, 'default-address-pools': [{ base: '10.237.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const inspect = async (id: string): Promise<Inspected> => (JSON.parse(out(await d.docker(['inspect', id]))) as Inspected[])[0]!;
  const network = async (t: { after: (fn: () => Promise<unknown>) => void }, name: string, args: string[] = []) => {
    bridges.push(`br-${out(await d.docker(['network', 'create', ...args, name])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', name], { allowFailure: true }));
  };
  /** wget from a throwaway container on `net`: the body, or undefined when it fails. */
  const fetchFrom = async (net: string, host: string) => {
    const r = await d.docker(['run', '--rm', '--network', net, 'busybox', 'timeout', '5', 'wget', '-qO-', `http://${host}/`], { allowFailure: true });
    return r.code === 0 ? out(r).trim() : undefined;
  };

  test('a running container joins a user network with an alias, is reached there, and leaves it', async (t) => {
    const net = `front-${tag}`;
    await network(t, net);
    const web = out(await d.docker(['run', '-d', '--name', `web-${tag}`, 'busybox', ...HTTPD(`hi-${tag}`)])).trim();
    t.after(() => removeContainers(d, web));
    assert.equal(await fetchFrom(net, `web-${tag}`), undefined, 'not on the network yet');

    await d.docker(['network', 'connect', '--alias', `www-${tag}`, net, `web-${tag}`]);
    const ins = await inspect(web);
    assert.deepEqual(Object.keys(ins.NetworkSettings.Networks), ['bridge', net]);
    const ep = ins.NetworkSettings.Networks[net]!;
    assert.match(ep.IPAddress, /^10\.237\.\d+\.2$/);
    assert.deepEqual(ep.Aliases, [`www-${tag}`]);
    assert.deepEqual(ep.DNSNames, [`web-${tag}`, `www-${tag}`, web.slice(0, 12)]);
    assert.match(out(await d.docker(['exec', web, 'ip', '-o', '-4', 'addr', 'show', 'eth1'])), new RegExp(`inet ${ep.IPAddress.replace(/\./g, '\\.')}/24`));
    assert.match(out(await d.docker(['exec', web, 'cat', '/etc/hosts'])), new RegExp(`${ep.IPAddress.replace(/\./g, '\\.')}\\s+${web.slice(0, 12)}`), 'its new address in its /etc/hosts');
    assert.equal(await fetchFrom(net, `www-${tag}`), `hi-${tag}`, 'reached by its alias');
    assert.equal(await fetchFrom(net, `web-${tag}`), `hi-${tag}`, 'and by its name');

    const again = await d.docker(['network', 'connect', net, web], { allowFailure: true });
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`endpoint with name web-${tag} already exists in network ${net}`));

    await d.docker(['network', 'disconnect', net, web]);
    assert.deepEqual(Object.keys((await inspect(web)).NetworkSettings.Networks), ['bridge']);
    const eth1 = await d.docker(['exec', web, 'ip', 'link', 'show', 'eth1'], { allowFailure: true });
    assert.notEqual(eth1.code, 0, 'eth1 is gone');
    assert.equal(await fetchFrom(net, `www-${tag}`), undefined, 'no longer reached there');
    const notThere = await d.docker(['network', 'disconnect', net, web], { allowFailure: true });
    assert.equal(notThere.code, 1);
    assert.match(notThere.stderr, new RegExp(`container ${web} is not connected to network ${net}`));
  });

  test('a created container is connected before its start, with --ip; a stopped one is disconnected; -f takes a removed network off', async (t) => {
    const a = `a-${tag}`;
    const b = `b-${tag}`;
    await network(t, a);
    await network(t, b, ['--subnet', '10.237.200.0/24']);
    const c = out(await d.docker(['create', '--name', `c-${tag}`, '--network', a, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, c));
    await d.docker(['network', 'connect', '--ip', '10.237.200.50', b, c]);
    const created = (await inspect(c)).NetworkSettings.Networks;
    assert.deepEqual(Object.keys(created), [a, b]);
    assert.deepEqual(created[b]!.IPAMConfig, { IPv4Address: '10.237.200.50' });
    assert.equal(created[b]!.IPAddress, '', 'no address before the start');

    await d.docker(['start', c]);
    const started = (await inspect(c)).NetworkSettings.Networks;
    assert.equal(started[b]!.IPAddress, '10.237.200.50');
    assert.match(out(await d.docker(['exec', c, 'ip', '-o', '-4', 'addr', 'show', 'eth1'])), /inet 10\.237\.200\.50\/24/);
    await d.docker(['stop', '-t', '0', c]);

    await d.docker(['network', 'disconnect', b, c]);
    const notThere = await d.docker(['network', 'disconnect', b, c], { allowFailure: true });
    assert.match(notThere.stderr, new RegExp(`container ${c} is not connected to the network ${b}`));
    await d.docker(['start', c]);
    assert.deepEqual(Object.keys((await inspect(c)).NetworkSettings.Networks), [a]);
    await d.docker(['stop', '-t', '0', c]);

    // A stopped container keeps a network that is removed; the start then fails, and -f takes it off.
    const gone = `gone-${tag}`;
    await network(t, gone);
    const goneId = out(await d.docker(['network', 'inspect', '-f', '{{.Id}}', gone])).trim();
    await d.docker(['network', 'connect', gone, c]);
    await d.docker(['network', 'rm', gone]);
    const fails = await d.docker(['start', c], { allowFailure: true });
    assert.notEqual(fails.code, 0);
    // dockerd looks the network up by the id it recorded, and names that.
    assert.match(fails.stderr, new RegExp(`network ${goneId} not found`));
    const withoutForce = await d.docker(['network', 'disconnect', gone, c], { allowFailure: true });
    assert.match(withoutForce.stderr, new RegExp(`network ${gone} not found`));
    await d.docker(['network', 'disconnect', '-f', gone, c]);
    await d.docker(['start', c]);
    assert.deepEqual(Object.keys((await inspect(c)).NetworkSettings.Networks), [a]);
  });

  test('run with --network, --network-alias, --ip and --mac-address on a user network', async (t) => {
    const net = `r-${tag}`;
    await network(t, net, ['--subnet', '10.237.210.0/24']);
    const id = out(await d.docker(['run', '-d', '--name', `r-${tag}`, '--network', net, '--network-alias', `ra-${tag}`, '--ip', '10.237.210.77', '--mac-address', '02:42:0a:ed:d2:4d', 'busybox', ...HTTPD(`r-${tag}`)])).trim();
    t.after(() => removeContainers(d, id));
    const ep = (await inspect(id)).NetworkSettings.Networks[net]!;
    assert.equal(ep.IPAddress, '10.237.210.77');
    assert.equal(ep.MacAddress, '02:42:0a:ed:d2:4d');
    assert.deepEqual(ep.Aliases, [`ra-${tag}`]);
    assert.match(out(await d.docker(['exec', id, 'ip', 'link', 'show', 'eth0'])), /link\/ether 02:42:0a:ed:d2:4d/);
    const got = await waitFor('the alias to answer', () => fetchFrom(net, `ra-${tag}`), { timeoutMs: 20_000, intervalMs: 200 });
    assert.equal(got, `r-${tag}`);

    // Two --network flags: the CLI sends both in EndpointsConfig (API 1.44+); eth0 and eth1.
    const other = `r2-${tag}`;
    await network(t, other);
    const two = out(await d.docker(['run', '-d', '--network', net, '--network', other, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, two));
    assert.deepEqual(Object.keys((await inspect(two)).NetworkSettings.Networks).sort(), [net, other].sort());
    assert.match(out(await d.docker(['exec', two, 'ls', '/sys/class/net'])), /^eth0\neth1\nlo\n$/);
  });

  test('what cannot be connected is refused with dockerd\'s words', async (t) => {
    const net = `e-${tag}`;
    await network(t, net, ['--subnet', '10.237.220.0/24']);
    const ip = await d.docker(['run', '--rm', '--ip', '10.237.0.99', 'busybox', 'true'], { allowFailure: true });
    assert.equal(ip.code, 125);
    assert.match(ip.stderr, /invalid endpoint settings:\nuser specified IP address is supported on user defined networks only/);
    // The docker CLI refuses an alias on the default bridge itself: the daemon's words through the API.
    const alias = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { bridge: { Aliases: ['x'] } } } }), { 'Content-Type': 'application/json' });
    assert.deepEqual([alias.status, JSON.parse(alias.body)], [400, { message: 'invalid endpoint settings:\nnetwork-scoped aliases are only supported for user-defined networks' }]);
    const outside = await d.docker(['create', '--network', net, '--ip', '10.9.9.9', 'busybox', 'true'], { allowFailure: true });
    assert.match(outside.stderr, /no configured subnet or ip-range contain the IP address 10\.9\.9\.9/);
    const host = out(await d.docker(['create', '--network', 'host', 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, host));
    const fromHost = await d.docker(['network', 'connect', net, host], { allowFailure: true });
    assert.match(fromHost.stderr, /container sharing network namespace with another container or host cannot be connected to any other network/);
    const plain = out(await d.docker(['create', 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, plain));
    const toHost = await d.docker(['network', 'connect', 'host', plain], { allowFailure: true });
    assert.match(toHost.stderr, /cannot connect container to host network - container must be created in host network mode/);
    const toNone = await d.docker(['network', 'connect', 'none', plain], { allowFailure: true });
    assert.match(toNone.stderr, /container cannot be connected to multiple networks with one of the networks in private \(none\) mode/);
    const noContainer = await d.docker(['network', 'connect', net, `ghost-${tag}`], { allowFailure: true });
    assert.match(noContainer.stderr, new RegExp(`No such container: ghost-${tag}`));
  });

  test('--link-local-ip puts its addresses on the container\'s interface (/16, IPv6 /64), at run and at connect', async (t) => {
    const net = `ll-${tag}`;
    await network(t, net);
    const addrs = async (id: string, dev: string) => out(await d.docker(['exec', id, 'ip', '-o', 'addr', 'show', dev]));
    const c = out(await d.docker(['run', '-d', '--name', `ll-${tag}`, '--network', net, '--link-local-ip', '169.254.10.10', '--link-local-ip', 'fe80::a:10', 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, c));
    const eth0 = await addrs(c, 'eth0');
    assert.match(eth0, /inet 169\.254\.10\.10\/16 /);
    assert.match(eth0, /inet6 fe80::a:10\/64 /);
    assert.deepEqual((await inspect(c)).NetworkSettings.Networks[net]!.IPAMConfig, { LinkLocalIPs: ['169.254.10.10', 'fe80::a:10'] });

    // Connected later to the default bridge, with its own.
    await d.docker(['network', 'connect', '--link-local-ip', '169.254.20.20', 'bridge', c]);
    assert.match(await addrs(c, 'eth1'), /inet 169\.254\.20\.20\/16 /);
    assert.deepEqual((await inspect(c)).NetworkSettings.Networks.bridge!.IPAMConfig, { LinkLocalIPs: ['169.254.20.20'] });
    // Reached on it from another container of the network (same link).
    const ping = await d.docker(['run', '--rm', '--network', net, '--link-local-ip', '169.254.10.11', 'busybox', 'ping', '-c', '1', '-W', '5', '169.254.10.10'], { allowFailure: true });
    assert.equal(ping.code, 0, ping.stderr);

    // A stopped container keeps them in its record and gets them again at its next start.
    await d.docker(['stop', '-t', '0', c]);
    assert.deepEqual((await inspect(c)).NetworkSettings.Networks[net]!.IPAMConfig, { LinkLocalIPs: ['169.254.10.10', 'fe80::a:10'] });
    await d.docker(['start', c]);
    assert.match(await addrs(c, 'eth0'), /inet 169\.254\.10\.10\/16 /);

    const bad = await d.docker(['run', '--rm', '--link-local-ip', 'nope', 'busybox', 'true'], { allowFailure: true });
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid link-local IP address: nope/);
  });

  test('network settings berth cannot honour, or that conflict, are refused with dockerd\'s words', async (t) => {
    const net = `x-${tag}`;
    await network(t, net, ['--subnet', '10.237.230.0/24']);
    const create = async (body: Record<string, unknown>) => {
      const r = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', ...body }), { 'Content-Type': 'application/json' });
      if (r.status === 201) t.after(() => removeContainers(d, (JSON.parse(r.body) as { Id: string }).Id));
      return [r.status, JSON.parse(r.body) as Record<string, unknown>] as const;
    };
    const peer = { NetworkMode: 'container:whatever' };
    assert.deepEqual(await create({ HostConfig: { ...peer, PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } }), [400, { message: 'conflicting options: port publishing and the container type network mode' }]);
    assert.deepEqual(await create({ ExposedPorts: { '80/tcp': {} }, HostConfig: peer }), [400, { message: 'conflicting options: port exposing and the container type network mode' }]);
    assert.deepEqual(await create({ HostConfig: { ...peer, Dns: ['192.0.2.1'] } }), [400, { message: 'conflicting options: dns and the network mode' }]);
    assert.deepEqual(await create({ HostConfig: { ...peer, ExtraHosts: ['a:192.0.2.1'] } }), [400, { message: 'conflicting options: custom host-to-IP mapping and the network mode' }]);
    const ep = (e: Record<string, unknown>) => create({ HostConfig: { NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: e } } });
    assert.deepEqual(await ep({ IPAMConfig: { IPv6Address: 'fd00::5' } }), [400, { message: 'invalid endpoint settings:\nno configured subnet or ip-range contain the IP address fd00::5' }], 'a network without IPv6');
    assert.deepEqual(await ep({ IPAMConfig: { LinkLocalIPs: ['169.254.1.1', 'foo', '0.0.0.0'] } }), [400, { message: 'invalid endpoint settings:\ninvalid link-local IP address: foo\ninvalid link-local IP address: 0.0.0.0' }]);
    assert.deepEqual(await ep({ DriverOpts: { 'com.docker.network.endpoint.sysctls': 'net.ipv4.conf.IFNAME.forwarding=1' } }), [501, { message: 'berth does not support endpoint driver options' }]);
    assert.deepEqual(await ep({ GwPriority: 5 }), [501, { message: 'berth does not support gateway priorities of endpoints' }]);
    const [status, body] = await create({ HostConfig: { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } } });
    assert.deepEqual([status, body.Warnings], [201, ['Published ports are discarded when using host network mode']]);
    const plain = out(await d.docker(['create', 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, plain));
    const driverOpt = await d.docker(['network', 'connect', '--driver-opt', 'com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.forwarding=1', net, plain], { allowFailure: true });
    assert.match(driverOpt.stderr, /berth does not support endpoint driver options/);
  });

  test('Config.NetworkDisabled leaves the container loopback only', async (t) => {
    const r = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', NetworkDisabled: true, Cmd: ['sh', '-c', 'ls /sys/class/net'] }), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 201);
    const id = (JSON.parse(r.body) as { Id: string }).Id;
    t.after(() => removeContainers(d, id));
    assert.equal(out(await d.docker(['start', '-a', id])), 'lo\n');
  });

  test('a connection made before a kill -9 of berthd holds after its restart, and is undone then', async (t) => {
    const net = `k-${tag}`;
    await network(t, net);
    const web = out(await d.docker(['run', '-d', '--name', `k-${tag}`, 'busybox', ...HTTPD(`k-${tag}`)])).trim();
    t.after(() => removeContainers(d, web));
    await d.docker(['network', 'connect', '--alias', `kw-${tag}`, net, web]);
    const before = (await inspect(web)).NetworkSettings.Networks;
    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGKILL');
    await exited;
    d = await startDaemon('network-connect', [], { dir: d.dir });
    const after = (await inspect(web)).NetworkSettings.Networks;
    assert.deepEqual(Object.keys(after), ['bridge', net]);
    assert.deepEqual([after[net]!.IPAddress, after.bridge!.IPAddress], [before[net]!.IPAddress, before.bridge!.IPAddress]);
    assert.equal(await fetchFrom(net, `kw-${tag}`), `k-${tag}`, 'still reached by its alias');
    await d.docker(['network', 'disconnect', net, web]);
    assert.deepEqual(Object.keys((await inspect(web)).NetworkSettings.Networks), ['bridge']);
    assert.notEqual((await d.docker(['exec', web, 'ip', 'link', 'show', 'eth1'], { allowFailure: true })).code, 0, 'eth1 is gone');
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.237.' });
  });
});
