import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { natChainOf } from '../../src/network/bridge-options.js';
import { exec, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

/**
 * The host's Debian package mirror, from apt's deb822 sources (never written down here): the
 * first http:// URI with its first suite, as the URL of that suite's Release file.
 */
async function mirrorReleaseUrl(): Promise<string | undefined> {
  const dir = '/etc/apt/sources.list.d';
  const files = (await fsp.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sources')).sort();
  for (const f of files) {
    for (const stanza of (await fsp.readFile(path.join(dir, f), 'utf8')).split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      const uri = field('URIs').find((u) => u.startsWith('http://'));
      const suite = field('Suites')[0];
      if (uri && suite) return `${uri.replace(/\/$/, '')}/dists/${suite}/Release`;
    }
  }
  return undefined;
}

/** Whether the host itself gets an answer from `url` (any status) within the time given. */
function hostReaches(url: string, timeoutMs = 10_000): Promise<string | true> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => { res.resume(); resolve(true); });
    req.setTimeout(timeoutMs, () => { req.destroy(); resolve(`no answer within ${timeoutMs} ms`); });
    req.on('error', (err) => resolve(err.message));
  });
}

/**
 * The packet counters of the MASQUERADE rules in netavark's NAT chain of the network with this
 * id. Found by the network's id, not by its subnet: another daemon on the host (a test of
 * another checkout run at the same time, with the same fixed pool) may have a network on the
 * same subnet, whose jump from POSTROUTING would come first.
 */
async function masqueradedPackets(networkId: string): Promise<number> {
  const chain = natChainOf(networkId);
  const lines = (await exec('iptables-save', ['-c', '-t', 'nat'])).stdout.toString().split('\n');
  return lines.filter((l) => l.includes(`-A ${chain} `) && l.endsWith('-j MASQUERADE'))
    .reduce((n, l) => n + Number(/^\[(\d+):/.exec(l)?.[1] ?? 0), 0);
}

/** The packet counter of berth's RETURN rule (enable_ip_masquerade=false) in the network's NAT chain; undefined when it is not there. */
async function returnedPackets(networkId: string): Promise<number | undefined> {
  const chain = natChainOf(networkId);
  const rules = (await exec('iptables-save', ['-c', '-t', 'nat'])).stdout.toString().split('\n');
  const returned = rules.find((l) => l.includes('berth: enable_ip_masquerade=false') && l.includes(`-A ${chain} `));
  return returned === undefined ? undefined : Number(/^\[(\d+):/.exec(returned)?.[1] ?? 0);
}

const networkIdOf = async (d: TestDaemon, name: string) => (JSON.parse((await d.request('GET', `/networks/${name}`)).body) as { Id: string }).Id;

/**
 * Outbound NAT (issue 12): a container on the default bridge fetches the Release file of the
 * host's Debian mirror with busybox wget, through the masquerade rule of the bridge's subnet.
 * Skipped, with the reason, when the host has no mirror configured or cannot reach it itself.
 */
describe('outbound NAT', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  const bridges = [`bn${tag}`];
  let d: TestDaemon;
  let url: string | undefined;
  let unreachable: string | undefined;

  before(async () => {
    url = await mirrorReleaseUrl();
    const reach = url ? await hostReaches(url) : 'no http:// mirror in /etc/apt/sources.list.d/*.sources';
    if (reach !== true) unreachable = `the host cannot reach its package mirror: ${reach}`;
    d = await startDaemon('network-nat', [], { config: { bridge: bridges[0], 'default-address-pools': [{ base: '10.246.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  test('a container on the default bridge fetches from the package mirror, masqueraded', async (t) => {
    if (unreachable || !url) { t.skip(unreachable); return; }
    const bridgeId = await networkIdOf(d, 'bridge');
    const before = await masqueradedPackets(bridgeId);
    const r = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', `timeout 30 wget -q -O /tmp/r '${url}' && head -c 2000 /tmp/r`], { allowFailure: true, timeoutMs: 60_000 });
    assert.equal(r.code, 0, `wget failed: ${r.stderr}`);
    assert.match(out(r), /^(Origin|Label|Suite|Codename):/m, 'a Release file');
    assert.ok(await masqueradedPackets(bridgeId) > before, 'the connection went through the bridge\'s MASQUERADE rule');
  });

  test('with enable_ip_masquerade=false the same fetch does not go through MASQUERADE', async (t) => {
    if (unreachable || !url) { t.skip(unreachable); return; }
    const net = `nomasq-${tag}`;
    await d.docker(['network', 'create', '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', net]);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }).then(() => undefined));
    const netId = await networkIdOf(d, net);
    // Leaving unmasqueraded, from a private address, the fetch may fail or not (the host's
    // upstream may translate it): what is checked is that berth did not masquerade it.
    const id = out(await d.docker(['run', '-d', '--network', net, 'busybox', 'timeout', '10', 'wget', '-q', '-O', '/dev/null', url])).trim();
    t.after(() => removeContainers(d, id));
    // An unanswered connection may outlive wget's timeout: the first packets are what count.
    await waitFor('the connection attempt to be counted by the network\'s RETURN rule', async () => ((await returnedPackets(netId) ?? 0) > 0 ? true : undefined), { timeoutMs: 30_000 });
    assert.equal(await masqueradedPackets(netId), 0);
  });

  test('nothing is left after the daemon stops', async () => {
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.246.' });
  });
});
