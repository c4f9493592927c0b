import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers, unixSeconds } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { assertNothingLeft } from '../helpers/network.js';

/**
 * Network events on /events as dockerd sends them (moby daemon/events.go
 * LogNetworkEventWithAttributes): Actor.ID is the network's id, Attributes name and type, plus
 * container on connect and disconnect. dockerd sends connect at every start of an attached
 * container and disconnect when it stops or leaves, besides `network connect/disconnect`.
 */
describe('network events', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  const bridges = [`bv${tag}`];

  before(async () => {
    d = await startDaemon('network-events', [], { config: { bridge: `bv${tag}`, 'default-address-pools': [{ base: '10.245.0.0/16', size: 24 }] } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  test('create, connect, disconnect, destroy with dockerd\'s attributes, replayed with --since/--until --filter type=network', async (t) => {
    const since = unixSeconds(Date.now() - 1000);
    const name = `ev-${tag}`;
    const netId = out(await d.docker(['network', 'create', name])).trim();
    bridges.push(`br-${netId.slice(0, 12)}`);
    t.after(() => d.docker(['network', 'rm', name], { allowFailure: true }));
    const a = out(await d.docker(['run', '-d', '--network', name, 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, a));
    const b = out(await d.docker(['run', '-d', '--network', 'none', 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, b));
    const c = out(await d.docker(['run', '-d', 'busybox', 'sleep', '600'])).trim();
    t.after(() => removeContainers(d, c));
    await d.docker(['network', 'connect', name, c]);
    await d.docker(['network', 'disconnect', name, c]);
    await d.docker(['rm', '-f', a]);
    await d.docker(['network', 'rm', name]);
    const until = unixSeconds(Date.now() + 500);

    const r = await d.docker(['events', '--since', since, '--until', until, '--filter', 'type=network', '--filter', `network=${netId}`,
      '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{json .Actor.Attributes}}']);
    assert.deepEqual(out(r).trim().split('\n'), [
      `network create ${netId} {"name":"${name}","type":"bridge"}`,
      `network connect ${netId} {"container":"${a}","name":"${name}","type":"bridge"}`,
      `network connect ${netId} {"container":"${c}","name":"${name}","type":"bridge"}`,
      `network disconnect ${netId} {"container":"${c}","name":"${name}","type":"bridge"}`,
      `network disconnect ${netId} {"container":"${a}","name":"${name}","type":"bridge"}`,
      `network destroy ${netId} {"name":"${name}","type":"bridge"}`,
    ]);
    // By name, and by event; the default bridge's own connect for c is a network event too.
    const byName = await d.docker(['events', '--since', since, '--until', until, '--filter', `network=${name}`, '--filter', 'event=destroy', '--format', '{{.Action}} {{.Actor.Attributes.name}}']);
    assert.equal(out(byName), `destroy ${name}\n`);
    const bridge = await d.docker(['events', '--since', since, '--until', until, '--filter', 'type=network', '--filter', 'network=bridge', '--format', '{{.Action}} {{.Actor.Attributes.container}}']);
    assert.equal(out(bridge), `connect ${c}\n`, 'the none container joins nothing, so it has no network event');
    // The raw API: the same message with scope local and dockerd's time fields.
    const raw = await d.request('GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['network'], event: ['create'], network: [netId] }))}`);
    assert.equal(raw.status, 200);
    const msg = JSON.parse(raw.body.trim()) as Record<string, unknown>;
    assert.deepEqual({ ...msg, time: 0, timeNano: 0 }, { Type: 'network', Action: 'create', Actor: { ID: netId, Attributes: { name, type: 'bridge' } }, scope: 'local', time: 0, timeNano: 0 });
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges, subnetPrefix: '10.245.' });
  });
});
