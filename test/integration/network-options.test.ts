import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { natChainOf } from '../../src/network/bridge-options.js';
import { importBusybox, out, removeContainers, waitForLogs } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

interface NetInspect { Id: string; Options: Record<string, string>; IPAM: { Config: Array<{ Subnet: string; Gateway: string }> } }

/**
 * The bridge driver options dockerd honours (issue 12): `enable_icc=false` (the containers on
 * the network do not reach each other, but do reach the gateway), `enable_ip_masquerade=false`,
 * `bridge.name`, `driver.mtu`; and a bad boolean refused with dockerd's words.
 */
describe('bridge network options', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  const bridges = [`bo${tag}`];
  let d: TestDaemon;

  before(async () => {
    d = await startDaemon('network-options', [], { config: { bridge: bridges[0], 'default-address-pools': [{ base: '10.247.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  const inspectNet = async (name: string) => (JSON.parse(out(await d.docker(['network', 'inspect', name]))) as NetInspect[])[0]!;
  const ipOf = async (c: string) => out(await d.docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', c])).trim();
  /** A container serving `text` over HTTP on the network; its address once it serves. */
  async function web(t: { after: (fn: () => Promise<void>) => void }, net: string, text: string): Promise<string> {
    const id = out(await d.docker(['run', '-d', '--network', net, 'busybox', 'sh', '-c', `mkdir /www && echo ${text} > /www/index.html && echo up && exec httpd -f -p 80 -h /www`])).trim();
    t.after(() => removeContainers(d, id));
    await waitForLogs(d, id, /up/);
    return ipOf(id);
  }
  const fetchFrom = (net: string, url: string) => d.docker(['run', '--rm', '--network', net, 'busybox', 'timeout', '5', 'wget', '-qO-', url], { allowFailure: true });

  test('enable_icc=false: containers do not reach each other, but reach the gateway; with icc they do', async (t) => {
    const iso = `iso-${tag}`;
    const open = `open-${tag}`;
    await d.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=false', iso]);
    t.after(() => d.docker(['network', 'rm', iso], { allowFailure: true }).then(() => undefined));
    await d.docker(['network', 'create', open]);
    t.after(() => d.docker(['network', 'rm', open], { allowFailure: true }).then(() => undefined));
    assert.equal((await inspectNet(iso)).Options['com.docker.network.bridge.enable_icc'], 'false');

    const isoIp = await web(t, iso, `iso-${tag}`);
    const openIp = await web(t, open, `open-${tag}`);
    const reached = await fetchFrom(open, `http://${openIp}/`);
    assert.deepEqual([reached.code, out(reached).trim()], [0, `open-${tag}`], reached.stderr);
    const blocked = await fetchFrom(iso, `http://${isoIp}/`);
    assert.notEqual(blocked.code, 0, `a container on an icc=false network reached another: ${out(blocked)}`);
    const gateway = (await inspectNet(iso)).IPAM.Config[0]!.Gateway;
    const ping = await d.docker(['run', '--rm', '--network', iso, 'busybox', 'ping', '-c', '1', '-W', '5', gateway], { allowFailure: true });
    assert.equal(ping.code, 0, `the gateway answers: ${ping.stderr}`);
  });

  test('enable_ip_masquerade=false puts a RETURN before netavark\'s MASQUERADE; the default keeps it', async (t) => {
    const net = `nomasq-${tag}`;
    await d.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', net]);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }).then(() => undefined));
    await d.docker(['run', '--rm', '--network', net, 'busybox', 'true']);
    const { Id } = await inspectNet(net);
    const rules = (await exec('iptables', ['-t', 'nat', '-S', natChainOf(Id)])).stdout.toString().split('\n').filter((l) => l.startsWith('-A '));
    assert.match(rules[0]!, /-j RETURN$/, rules.join('\n'));
    assert.ok(rules.some((l) => l.endsWith('-j MASQUERADE')), 'netavark\'s rule is still there, after it');
    // A second container does not add it twice.
    await d.docker(['run', '--rm', '--network', net, 'busybox', 'true']);
    const again = (await exec('iptables', ['-t', 'nat', '-S', natChainOf(Id)])).stdout.toString().split('\n').filter((l) => l.endsWith('-j RETURN'));
    assert.equal(again.length, 1);
    await d.docker(['run', '--rm', 'busybox', 'true']);
    const bridgeId = (await inspectNet('bridge')).Id;
    const plain = (await exec('iptables', ['-t', 'nat', '-S', natChainOf(bridgeId)])).stdout.toString();
    assert.doesNotMatch(plain, /-j RETURN/);
  });

  test('bridge.name names the device; driver.mtu sets the MTU inside the container', async (t) => {
    const net = `named-${tag}`;
    const dev = `bx${tag}`;
    await d.docker(['network', 'create', '-o', `com.docker.network.bridge.name=${dev}`, '-o', 'com.docker.network.driver.mtu=1280', net]);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }).then(() => undefined));
    const mtu = await d.docker(['run', '--rm', '--network', net, 'busybox', 'cat', '/sys/class/net/eth0/mtu']);
    assert.equal(out(mtu).trim(), '1280');
    await fsp.access(`/sys/class/net/${dev}`);
    await d.docker(['network', 'rm', net]);
    await assert.rejects(fsp.access(`/sys/class/net/${dev}`), 'the bridge goes with its network');
  });

  test('a bad boolean is refused with dockerd\'s words and nothing is made', async () => {
    const r = await d.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_icc=maybe', `bad-${tag}`], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /failed to parse com\.docker\.network\.bridge\.enable_icc value: maybe \(strconv\.ParseBool: parsing "maybe": invalid syntax\)/);
    assert.equal((await d.docker(['network', 'ls', '-q', '--filter', `name=bad-${tag}`])).stdout.toString().trim(), '');
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.247.' });
  });
});
