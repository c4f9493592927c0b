import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger } from '../../src/util/index.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { ownNetState } from '../helpers/network.js';

interface NetworkJson {
  Name: string; Id: string; Driver: string; Scope: string; Internal: boolean; Attachable: boolean; EnableIPv6: boolean;
  IPAM: { Driver: string; Config: Array<Record<string, string>> }; Labels: Record<string, string>; Options: Record<string, string>; Containers: Record<string, unknown>;
}

const text = (r: { stdout: Buffer }) => r.stdout.toString().trim();

/**
 * The network API and commands against a real berthd: the real docker CLI and berth's own
 * `network create/ls/inspect/rm/prune`, dockerd's messages for bad input, records kept across a
 * restart, and nothing left on the host afterwards.
 */
describe('networks through the docker CLI and berth', () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  let dir: string;
  const config = { bridge: `bt${tag}`, 'default-address-pools': [{ base: '10.232.0.0/16', size: 24 }] };

  before(async () => {
    d = await startDaemon('networks', [], { config });
    dir = d.dir;
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const docker = (args: string[]) => d.docker(args, { allowFailure: true });
  const inspect = async (name: string): Promise<NetworkJson> => (JSON.parse(text(await d.docker(['network', 'inspect', name]))) as NetworkJson[])[0]!;

  test('the predefined networks: bridge on its own device and subnet, host, none', async () => {
    const ls = text(await d.docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']));
    assert.deepEqual(ls.split('\n'), ['bridge bridge local', 'host host local', 'none null local']);
    const table = text(await d.docker(['network', 'ls'])).split('\n');
    assert.match(table[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.match(table[1]!, /^[0-9a-f]{12}\s+bridge\s+bridge\s+local$/);
    const bridge = await inspect('bridge');
    assert.deepEqual(bridge.IPAM.Config, [{ Subnet: '10.232.0.0/24', Gateway: '10.232.0.1' }]);
    assert.equal(bridge.Options['com.docker.network.bridge.name'], `bt${tag}`);
    assert.equal(bridge.Options['com.docker.network.bridge.default_bridge'], 'true');
  });

  test('docker network create, ls with filters, inspect, and dockerd\'s refusals', async () => {
    const id = text(await d.docker(['network', 'create', '--subnet', '10.232.50.0/24', '--gateway', '10.232.50.254', '--ip-range', '10.232.50.128/25', '--label', 'team=a', '--internal', `n1-${tag}`]));
    assert.match(id, /^[0-9a-f]{64}$/);
    const n1 = await inspect(`n1-${tag}`);
    assert.equal(n1.Id, id);
    assert.equal(n1.Driver, 'bridge');
    assert.equal(n1.Internal, true);
    assert.deepEqual(n1.IPAM.Config, [{ Subnet: '10.232.50.0/24', IPRange: '10.232.50.128/25', Gateway: '10.232.50.254' }]);
    assert.deepEqual(n1.Labels, { team: 'a' });
    assert.deepEqual(n1.Containers, {});
    assert.equal(n1.Attachable, false);
    await d.docker(['network', 'create', '--attachable', `n2 ${tag}`]);
    assert.deepEqual((await inspect(`n2 ${tag}`)).IPAM.Config, [{ Subnet: '10.232.1.0/24', Gateway: '10.232.1.1' }], 'the next free subnet of the pool; a name with a space');
    assert.equal((await inspect(`n2 ${tag}`)).Attachable, true);
    assert.equal(text(await d.docker(['network', 'ls', '--filter', 'dangling=true', '--format', '{{.Name}}'])), `n1-${tag}\nn2 ${tag}`, 'custom networks without containers');
    assert.equal(text(await d.docker(['network', 'ls', '--filter', 'dangling=false', '--format', '{{.Name}}'])), 'bridge\nhost\nnone');
    assert.equal(text(await d.docker(['network', 'ls', '--filter', 'label=team=a', '--format', '{{.Name}}'])), `n1-${tag}`);
    assert.equal(text(await d.docker(['network', 'ls', '--filter', 'type=custom', '-q'])).split('\n').length, 2);
    assert.equal(text(await d.docker(['network', 'ls', '--filter', `id=${id.slice(0, 10)}`, '--format', '{{.Name}} {{.Internal}} {{.Labels}}'])), `n1-${tag} true team=a`);

    const refusals: Array<[string[], string]> = [
      [['network', 'create', `n1-${tag}`], `Error response from daemon: network with name n1-${tag} already exists`],
      [['network', 'create', '--subnet', '10.232.50.0/25', 'x'], 'Error response from daemon: invalid pool request: Pool overlaps with other one on this address space'],
      [['network', 'create', '--subnet', '10.232.60.0/24', '--gateway', '10.232.61.1', 'x'], 'no matching subnet for gateway 10.232.61.1'],
      [['network', 'create', '--subnet', '10.232.60.1/24', 'x'], 'Error response from daemon: invalid network config:\ninvalid subnet 10.232.60.1/24: it should be 10.232.60.0/24'],
      [['network', 'create', '--subnet', '10.232.60.0/33', 'x'], 'Error response from daemon: invalid network config:\ninvalid subnet 10.232.60.0/33: invalid CIDR block notation'],
      [['network', 'create', '-d', 'overlay2', 'x'], 'Error response from daemon: could not find plugin overlay2 in v1 plugin registry: plugin not found'],
      [['network', 'create', '-d', 'host', 'x'], 'Error response from daemon: only one instance of "host" network is allowed'],
      [['network', 'create', 'bridge'], 'Error response from daemon: operation is not permitted on predefined bridge network'],
      [['network', 'rm', 'bridge'], 'Error response from daemon: bridge is a pre-defined network and cannot be removed'],
      [['network', 'connect', `n1-${tag}`, 'somecontainer'], 'Error response from daemon: No such container: somecontainer'],
    ];
    for (const [args, message] of refusals) {
      const r = await docker(args);
      assert.equal(r.code, 1, args.join(' '));
      // docker 28's `network rm` adds its own "exit status 1" line under the daemon's message.
      assert.equal(r.stderr.trim().replace(/\nexit status 1$/, ''), message, args.join(' '));
    }
    const missing = await docker(['network', 'inspect', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /network nope not found|No such network: nope/);
    assert.deepEqual(text(await d.docker(['network', 'ls', '--format', '{{.Name}}'])).split('\n'), ['bridge', 'host', `n1-${tag}`, `n2 ${tag}`, 'none'], 'nothing half-created');
  });

  test('berth network commands: table, --format, inspect templates, rm with exit codes', async () => {
    assert.match(text(await d.berth(['network', 'create', '--label', 'k=v', `n3-${tag}`])), /^[0-9a-f]{64}$/);
    assert.equal(text(await d.berth(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{index .Labels "k"}}', `n3-${tag}`])), `n3-${tag} bridge v`);
    assert.deepEqual(text(await d.berth(['network', 'ls', '--format', '{{.Name}}', '--filter', 'driver=bridge'])).split('\n'), ['bridge', `n1-${tag}`, `n2 ${tag}`, `n3-${tag}`]);
    const table = text(await d.berth(['network', 'ls'])).split('\n');
    assert.match(table[0]!, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$/);
    assert.equal(table.length, 7);
    const rm = await d.berth(['network', 'rm', `n3-${tag}`, 'nope'], { allowFailure: true });
    assert.equal(rm.code, 1);
    assert.equal(text(rm), `n3-${tag}`);
    assert.match(rm.stderr, /network nope not found/);
    assert.equal((await d.berth(['network', 'rm', '-f', 'nope'], { allowFailure: true })).code, 0);
    const bad = await d.berth(['network', 'create', '--subnet', '10.232.50.0/24', 'y'], { allowFailure: true });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid pool request: Pool overlaps with other one on this address space/);
  });

  test('networks survive a daemon restart with their ids and subnets', async () => {
    const beforeIds = text(await d.docker(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}']));
    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGTERM');
    await exited;
    d = await startDaemon('networks', [], { dir });
    assert.equal(text(await d.docker(['network', 'ls', '--no-trunc', '--format', '{{.ID}} {{.Name}}'])), beforeIds);
    assert.deepEqual((await inspect(`n2 ${tag}`)).IPAM.Config, [{ Subnet: '10.232.1.0/24', Gateway: '10.232.1.1' }]);
  });

  test('prune removes the unused custom networks; nothing is left on the host', async () => {
    const out = text(await d.docker(['network', 'prune', '-f', '--filter', 'label=team=a']));
    assert.equal(out, `Deleted Networks:\nn1-${tag}`);
    const all = text(await d.berth(['network', 'prune', '-f']));
    assert.equal(all, `Deleted Networks:\nn2 ${tag}`);
    assert.deepEqual(text(await d.docker(['network', 'ls', '--format', '{{.Name}}'])).split('\n'), ['bridge', 'host', 'none']);
    // What this daemon owns: other daemons on a shared host change the rest meanwhile.
    assert.deepEqual(await ownNetState(dir, { bridges: [`bt${tag}`], subnetPrefix: '10.232.' }), { links: [], netns: [], rules: [], aardvark: [] });
  });
});
