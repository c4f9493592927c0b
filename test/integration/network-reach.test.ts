import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { hostAddress, assertNothingLeft } from '../helpers/network.js';

interface Inspected {
  State: { Pid: number };
  NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>; Networks: Record<string, { IPAddress: string }> };
}

/** HTTP from busybox httpd, serving `text` on `port`. */
const HTTPD = (text: string, port = 80) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p ${port} -h /www`];

/**
 * What a container reaches, and what stays reachable: an internal network cannot reach the host's
 * address while a normal one can; `container:<name>` shares localhost; the default bridge reaches
 * the host's non-loopback address; a published port and the network's addresses and DNS survive
 * a `kill -9` of berthd and its restart (netavark's rules and aardvark-dns are not berthd's
 * processes). Traffic goes only to this host's addresses and the containers started here.
 */
describe('network reach', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  const config = { bridge: `bq${tag}`, 'default-address-pools': [{ base: '10.244.0.0/16', size: 24 }] };
  let d: TestDaemon;
  /** The last test stops the daemon on purpose: nothing brings it back then. */
  let finished = false;
  let dir: string;
  const bridges = [`bq${tag}`];
  /** A server on the host's own address that answers every request with `host-<tag>`. */
  let server: http.Server;
  let hostAddr: string;
  let hostPort: number;
  const peers: string[] = [];

  before(async () => {
    d = await startDaemon('network-reach', [], { config });
    dir = d.dir;
    await importBusybox(d);
    hostAddr = await hostAddress();
    server = http.createServer((req, res) => { peers.push(req.socket.remoteAddress ?? ''); res.end(`host-${tag}\n`); });
    server.listen(0, hostAddr);
    await once(server, 'listening');
    hostPort = (server.address() as AddressInfo).port;
  });
  // Only the current daemon: a killed one shares the directory and must not remove it. One left
  // down by a failure is brought back first, so that stop() removes the containers it kept.
  after(async () => {
    server?.close();
    if (d && !finished && (d.proc.exitCode !== null || d.proc.signalCode !== null)) d = await startDaemon('network-reach', [], { dir });
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });
  /** A test that failed while berthd was down leaves it down: the next one brings it back. */
  beforeEach(async () => {
    if (d && (d.proc.exitCode !== null || d.proc.signalCode !== null)) d = await startDaemon('network-reach', [], { dir });
  });

  const inspect = async (id: string): Promise<Inspected> => (JSON.parse(out(await d.docker(['inspect', id]))) as Inspected[])[0]!;
  const createNetwork = async (t: { after: (fn: () => Promise<unknown>) => void }, name: string, args: string[] = []): Promise<void> => {
    bridges.push(`br-${out(await d.docker(['network', 'create', ...args, name])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', name], { allowFailure: true }));
  };
  /** wget from a fresh container on `network`; its exit code and output. */
  const wgetFrom = async (network: string, url: string) => {
    const r = await d.docker(['run', '--rm', '--network', network, 'busybox', 'timeout', '5', 'wget', '-qO-', url], { allowFailure: true, timeoutMs: 30_000 });
    return { code: r.code, text: out(r).trim(), stderr: r.stderr };
  };

  test('an --internal network cannot reach the host\'s address; a normal network can', async (t) => {
    await createNetwork(t, `open-${tag}`);
    await createNetwork(t, `closed-${tag}`, ['--internal']);
    const url = `http://${hostAddr}:${hostPort}/`;
    const open = await wgetFrom(`open-${tag}`, url);
    assert.deepEqual([open.code, open.text], [0, `host-${tag}`], open.stderr);
    const served = peers.length;
    const closed = await wgetFrom(`closed-${tag}`, url);
    assert.notEqual(closed.code, 0, `wget from the internal network must fail: ${closed.text} ${closed.stderr}`);
    // netavark gives an internal network's containers no default route.
    assert.match(closed.stderr, /can't connect to remote host \(.*\): Network is unreachable/);
    assert.equal(closed.text, '');
    assert.equal(peers.length, served, 'the host\'s server saw no request from the internal network');
  });

  test('--network container:<name> shares localhost', async (t) => {
    const web = out(await d.docker(['run', '-d', '--name', `pod-${tag}`, 'busybox', ...HTTPD(`local-${tag}`, 8080)])).trim();
    t.after(() => removeContainers(d, web));
    const got = await waitFor('httpd to answer on the shared 127.0.0.1', async () => {
      const r = await wgetFrom(`container:pod-${tag}`, 'http://127.0.0.1:8080/');
      return r.code === 0 ? r.text : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    assert.equal(got, `local-${tag}`);
    // The same by id, and the sharer has no interface of its own: it sees the peer's.
    const peerAddr = (await inspect(web)).NetworkSettings.Networks.bridge!.IPAddress;
    const addrs = out(await d.docker(['run', '--rm', '--network', `container:${web}`, 'busybox', 'ip', '-4', '-o', 'addr', 'show', 'eth0']));
    assert.match(addrs, new RegExp(`inet ${peerAddr.replaceAll('.', '\\.')}/`));
  });

  test('outbound: a container on the default bridge reaches the host\'s own non-loopback address', async () => {
    const before = peers.length;
    const r = await wgetFrom('bridge', `http://${hostAddr}:${hostPort}/`);
    assert.deepEqual([r.code, r.text], [0, `host-${tag}`], r.stderr);
    // Delivered locally, so no masquerade: the server sees the container's bridge address.
    assert.equal(peers.length, before + 1);
    assert.match(peers.at(-1)!, /^(::ffff:)?10\.244\.0\.\d+$/);
  });

  test('a published port answers on 127.0.0.1 and the host\'s address before, during and after a kill -9 of berthd; addresses and DNS stay; the network takes new containers and connections', async (t) => {
    await createNetwork(t, `live-${tag}`);
    const web = out(await d.docker(['run', '-d', '--name', `lweb-${tag}`, '--network', `live-${tag}`, '-p', '80', 'busybox', ...HTTPD(`live-${tag}`)])).trim();
    t.after(() => removeContainers(d, web));
    const client = out(await d.docker(['run', '-d', '--name', `lcli-${tag}`, '--network', `live-${tag}`, 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, client));
    const other = out(await d.docker(['run', '-d', 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, other));
    const before = await inspect(web);
    const port = Number(before.NetworkSettings.Ports['80/tcp']![0]!.HostPort);
    const request = (host = '127.0.0.1') => new Promise<string | undefined>((resolve) => {
      http.get({ host, port, path: '/', timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => resolve(body.trim()));
      }).on('error', () => resolve(undefined)).on('timeout', function (this: http.ClientRequest) { this.destroy(); });
    });
    assert.equal(await waitFor('the published port to answer', () => request(), { timeoutMs: 20_000, intervalMs: 100 }), `live-${tag}`);
    assert.equal(await request(hostAddr), `live-${tag}`, 'on the host\'s other address');
    const byName = async () => {
      const r = await d.docker(['exec', client, 'timeout', '5', 'wget', '-qO-', `http://lweb-${tag}/`], { allowFailure: true });
      return r.code === 0 ? out(r).trim() : undefined;
    };
    assert.equal(await waitFor('the client to reach web by name', byName, { timeoutMs: 20_000, intervalMs: 200 }), `live-${tag}`);

    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGKILL');
    await exited;
    assert.equal(await request(), `live-${tag}`, 'the port answers while berthd is down');
    assert.equal(await request(hostAddr), `live-${tag}`, 'on the host\'s other address while berthd is down');

    d = await startDaemon('network-reach', [], { dir });
    assert.equal(await request(), `live-${tag}`, 'the port answers after the restart');
    assert.equal(await request(hostAddr), `live-${tag}`, 'on the host\'s other address after the restart');
    const after = await inspect(web);
    assert.equal(after.State.Pid, before.State.Pid, 'the same container process');
    assert.deepEqual(after.NetworkSettings.Networks[`live-${tag}`]!.IPAddress, before.NetworkSettings.Networks[`live-${tag}`]!.IPAddress);
    assert.deepEqual(after.NetworkSettings.Ports, before.NetworkSettings.Ports);
    assert.equal(await byName(), `live-${tag}`, 'DNS by name after the restart');

    // The network made before the restart takes new containers and connections after it.
    const fresh = await wgetFrom(`live-${tag}`, `http://lweb-${tag}/`);
    assert.deepEqual([fresh.code, fresh.text], [0, `live-${tag}`], fresh.stderr);
    await d.docker(['network', 'connect', `live-${tag}`, other]);
    const connected = await d.docker(['exec', other, 'timeout', '5', 'wget', '-qO-', `http://lweb-${tag}/`], { allowFailure: true });
    assert.deepEqual([connected.code, out(connected).trim()], [0, `live-${tag}`], connected.stderr);
    await d.docker(['network', 'disconnect', `live-${tag}`, other]);
    assert.deepEqual(Object.keys((await inspect(other)).NetworkSettings.Networks), ['bridge']);
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    finished = true;
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.244.' });
  });
});
