import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { importBusybox, out, removeContainers, waitForLogs } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

interface Inspected { NetworkSettings: { Networks: Record<string, { IPAddress: string; GlobalIPv6Address: string; GlobalIPv6PrefixLen: number; IPv6Gateway: string; IPAMConfig: { IPv6Address?: string } | null }> } }
interface NetInspect { EnableIPv6: boolean; IPAM: { Config: Array<{ Subnet: string; Gateway?: string }> }; Containers: Record<string, { IPv4Address: string; IPv6Address: string }> }

const DISABLE = '/proc/sys/net/ipv6/conf/all/disable_ipv6';
const kernelHasIpv6 = existsSync(DISABLE) && readFileSync(DISABLE, 'utf8').trim() === '0';

/** ip6tables rules that name `text`, in filter and nat. */
async function ip6Rules(text: string): Promise<string[]> {
  const rules: string[] = [];
  for (const t of ['filter', 'nat']) {
    rules.push(...(await exec('ip6tables-save', ['-t', t])).stdout.toString().split('\n').filter((l) => l.includes(text)));
  }
  return rules;
}

/**
 * IPv6 on a user-defined bridge (issue 12): `network create --ipv6 --subnet <ULA>/64`, `--ip6`
 * on run, dual-stack addresses in both inspects, a container reaching its peer over IPv6 by
 * address and by name (aardvark-dns answers AAAA), and the IPv6 rules gone with the network.
 * The subnet is a random one under fd42::/16, away from the host's own fd00::/64.
 */
describe('IPv6 networks', { skip: needsDocker.skip || (kernelHasIpv6 ? false : 'the kernel has no IPv6') }, () => {
  const tag = randomBytes(3).toString('hex');
  const bridges = [`b6${tag}`];
  const g = randomBytes(4).toString('hex');
  // Groups as the daemon prints them: without leading zeros.
  const prefix = `fd42:${g.slice(0, 4).replace(/^0+(?=.)/, '')}:${g.slice(4).replace(/^0+(?=.)/, '')}:1`;
  const subnet6 = `${prefix}::/64`;
  const net = `v6-${tag}`;
  let d: TestDaemon;

  before(async () => {
    d = await startDaemon('network-ipv6', [], { config: { bridge: bridges[0], 'default-address-pools': [{ base: '10.248.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  test('a dual-stack network: addresses in inspect, --ip6, a peer reached over IPv6 by address and name', async (t) => {
    await d.docker(['network', 'create', '--ipv6', '--subnet', subnet6, net]);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }).then(() => undefined));
    const ni = (JSON.parse(out(await d.docker(['network', 'inspect', net]))) as NetInspect[])[0]!;
    assert.equal(ni.EnableIPv6, true);
    assert.deepEqual(ni.IPAM.Config.map((c) => c.Subnet).filter((s) => s.includes(':')), [subnet6]);
    assert.ok(ni.IPAM.Config.some((c) => c.Subnet.startsWith('10.248.')), 'an IPv4 subnet from the pools beside it');

    const web = out(await d.docker(['run', '-d', '--name', `web6-${tag}`, '--network', net, '--ip6', `${prefix}::80`, 'busybox', 'sh', '-c',
      `mkdir /www && echo six-${tag} > /www/index.html && echo up && exec httpd -f -p 80 -h /www`])).trim();
    t.after(() => removeContainers(d, web));
    await waitForLogs(d, web, /up/);
    const ins = (JSON.parse(out(await d.docker(['inspect', web]))) as Inspected[])[0]!.NetworkSettings.Networks[net]!;
    assert.equal(ins.GlobalIPv6Address, `${prefix}::80`);
    assert.equal(ins.GlobalIPv6PrefixLen, 64);
    assert.equal(ins.IPv6Gateway, `${prefix}::1`);
    assert.deepEqual(ins.IPAMConfig, { IPv6Address: `${prefix}::80` });
    assert.match(ins.IPAddress, /^10\.248\./);
    const inNet = (JSON.parse(out(await d.docker(['network', 'inspect', net]))) as NetInspect[])[0]!.Containers[web]!;
    assert.equal(inNet.IPv6Address, `${prefix}::80/64`);
    assert.match(inNet.IPv4Address, /^10\.248\.\d+\.\d+\/24$/);
    const inside = await d.docker(['exec', web, 'ip', '-6', 'addr', 'show', 'eth0']);
    assert.match(out(inside), new RegExp(`inet6 ${prefix}::80/64`));

    const byAddr = await d.docker(['run', '--rm', '--network', net, 'busybox', 'timeout', '10', 'wget', '-qO-', `http://[${prefix}::80]/`], { allowFailure: true });
    assert.deepEqual([byAddr.code, out(byAddr).trim()], [0, `six-${tag}`], byAddr.stderr);
    const ping = await d.docker(['run', '--rm', '--network', net, 'busybox', 'ping', '-6', '-c', '1', '-W', '5', `web6-${tag}`], { allowFailure: true });
    assert.equal(ping.code, 0, `ping -6 by name: ${out(ping)} ${ping.stderr}`);
    assert.match(out(ping), new RegExp(`${prefix}::80`), 'the name resolved to the IPv6 address');
    // A second container gets the lowest free IPv6 address after the gateway.
    const auto = await d.docker(['run', '--rm', '--network', net, 'busybox', 'ip', '-6', 'addr', 'show', 'eth0']);
    assert.match(out(auto), new RegExp(`inet6 ${prefix}::2/64`));
    assert.ok((await ip6Rules(subnet6)).length > 0, 'netavark made IPv6 rules for the subnet');
  });

  test('bad IPv6 input is refused with dockerd\'s words', async () => {
    const noV6 = await d.docker(['network', 'create', `plain-${tag}`]);
    assert.equal(noV6.code, 0);
    const r = await d.docker(['run', '--rm', '--network', `plain-${tag}`, '--ip6', `${prefix}::9`, 'busybox', 'true'], { allowFailure: true });
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`no configured subnet or ip-range contain the IP address ${prefix}::9`));
    const onDefault = await d.docker(['run', '--rm', '--ip6', `${prefix}::9`, 'busybox', 'true'], { allowFailure: true });
    assert.equal(onDefault.code, 125);
    assert.match(onDefault.stderr, /user specified IP address is supported on user defined networks only/);
    const bad = await d.docker(['network', 'create', '--ipv6', '--subnet', `${prefix}::1/64`, `bad-${tag}`], { allowFailure: true });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`invalid subnet ${prefix}::1/64: it should be ${prefix}::/64`));
    await d.docker(['network', 'rm', `plain-${tag}`]);
  });

  test('after removal nothing of IPv6 is left, and after a stop nothing at all', async () => {
    // The network's removal in t.after may have come before its containers'.
    assert.equal((await d.request('POST', '/networks/prune')).status, 200);
    assert.deepEqual(await ip6Rules(subnet6), []);
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.248.' });
    assert.deepEqual(await ip6Rules('NETAVARK'), [], 'no IPv6 chain of netavark\'s is left (none of another daemon\'s was in use either)');
  });
});
