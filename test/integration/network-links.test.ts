import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

/**
 * Legacy `--link name:alias` on the default bridge (issue 12): the variables and the /etc/hosts
 * entry dockerd gives the parent, HostConfig.Links in inspect, `docker rm --link`, and the
 * refusals (a child not running, a missing child); on a user network a link is the endpoint's.
 */
describe('legacy links on the default bridge', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  const bridges = [`bl${tag}`];

  before(async () => {
    d = await startDaemon('network-links', [], { config: { bridge: `bl${tag}`, 'default-address-pools': [{ base: '10.242.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  test('the parent gets ALIAS_* variables and a hosts entry; rm --link takes the link away', async (t) => {
    const child = out(await d.docker(['run', '-d', '--name', `db-${tag}`, '--hostname', 'dbhost', '-e', 'DBPASS=secret', '--expose', '5432', '--expose', '6000/udp', 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, child));
    const ip = out(await d.docker(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', child])).trim();
    assert.match(ip, /^10\.242\.0\.\d+$/);
    const parent = out(await d.docker(['create', '--name', `p-${tag}`, '--link', `db-${tag}:db`, 'busybox', 'sh', '-c', 'env | grep ^DB_ | sort; echo ---; tail -n 2 /etc/hosts'])).trim();
    t.after(() => removeContainers(d, parent));
    const [env, hosts] = out(await d.docker(['start', '-a', parent])).split('---\n');
    assert.deepEqual(env!.split('\n').filter(Boolean), [
      'DB_ENV_DBPASS=secret',
      `DB_NAME=/p-${tag}/db`,
      `DB_PORT=tcp://${ip}:5432`,
      `DB_PORT_5432_TCP=tcp://${ip}:5432`,
      `DB_PORT_5432_TCP_ADDR=${ip}`,
      'DB_PORT_5432_TCP_PORT=5432',
      'DB_PORT_5432_TCP_PROTO=tcp',
      `DB_PORT_6000_UDP=udp://${ip}:6000`,
      `DB_PORT_6000_UDP_ADDR=${ip}`,
      'DB_PORT_6000_UDP_PORT=6000',
      'DB_PORT_6000_UDP_PROTO=udp',
    ]);
    assert.equal(hosts!.split('\n')[0], `${ip}\tdb dbhost db-${tag}`);
    assert.equal(out(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}}', parent])).trim(), `["/db-${tag}:/p-${tag}/db"]`);

    await d.docker(['rm', '--link', `/p-${tag}/db`]);
    assert.equal(out(await d.docker(['inspect', '-f', '{{json .HostConfig.Links}}', parent])).trim(), 'null');
    const [envAfter] = out(await d.docker(['start', '-a', parent])).split('---\n');
    assert.equal(envAfter, '', 'no link variables once the link is removed');
    const again = await d.docker(['rm', '--link', `/p-${tag}/db`], { allowFailure: true });
    assert.match(again.stderr, new RegExp(`No such container: p-${tag}/db`));
  });

  test('refusals: a child that is not running, a missing child; links on a user network name the target there', async (t) => {
    const child = out(await d.docker(['create', '--name', `idle-${tag}`, 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, child));
    const parent = out(await d.docker(['create', '--name', `q-${tag}`, '--link', `idle-${tag}:x`, 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, parent));
    const start = await d.docker(['start', parent], { allowFailure: true });
    assert.notEqual(start.code, 0);
    assert.match(start.stderr, new RegExp(`Cannot link to a non running container: /idle-${tag} AS /q-${tag}/x`));
    assert.equal(out(await d.docker(['inspect', '-f', '{{.State.Status}}', parent])).trim(), 'created');

    const missing = await d.docker(['create', '--link', `ghost-${tag}:g`, 'busybox', 'true'], { allowFailure: true });
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, new RegExp(`could not get container for ghost-${tag}`));

    const net = `ln-${tag}`;
    bridges.push(`br-${out(await d.docker(['network', 'create', net])).trim().slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }));
    // On a user network a link is the endpoint's (dockerd's per-container alias), not refused
    // (docker-compose v1 sends them for `links:`): the alias names the target's address there.
    const target = out(await d.docker(['run', '-d', '--name', `t-${tag}`, '--network', net, 'busybox', 'sleep', '300'])).trim();
    t.after(() => removeContainers(d, target));
    const ip = out(await d.docker(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, target])).trim();
    assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
    const hosts = out(await d.docker(['run', '--rm', '--network', net, '--link', `t-${tag}:x`, '--link', `ghost-${tag}:g`, 'busybox', 'cat', '/etc/hosts']));
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+x$`, 'm'));
    assert.doesNotMatch(hosts, /\sg$/m);
    await removeContainers(d, target);
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.242.' });
  });
});
