import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { exec, silentLogger } from '../../src/util/index.js';
import { importBusybox, out } from '../helpers/containers.js';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';

/**
 * The default bridge keeps its subnet across restarts, unless something else on the host took
 * it while berthd was down (dockerd's docker0 started meanwhile on the same /16, a new LAN):
 * then, as dockerd makes its default bridge anew at each start, berthd picks a free one rather
 * than putting a second route to the same subnet on the host.
 */
test('a default bridge subnet taken on the host while berthd was down is given up for a free one', async (t) => {
  const tag = randomBytes(3).toString('hex');
  const bridge = `bs${tag}`;
  const squatter = `sq${tag}`;
  const config = { bridge, 'default-address-pools': [{ base: '10.236.0.0/16', size: 24 }] };
  let d: TestDaemon | undefined = await startDaemon('default-bridge-subnet', [], { config });
  const dir = d.dir;
  t.after(async () => {
    await d?.stop();
    await exec('ip', ['link', 'del', squatter], { allowFailure: true });
    await exec('ip', ['link', 'del', bridge], { allowFailure: true });
    await removeIdleNetavarkChains(silentLogger());
  });
  const subnet = async (): Promise<string> => out(await d!.docker(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', 'bridge'])).trim();
  const ipOfRun = async (): Promise<string> => out(await d!.docker(['run', '--rm', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0 | awk \'{print $4}\''])).trim();

  await importBusybox(d);
  const first = await subnet();
  assert.match(first, /^10\.236\.\d+\.0\/24$/);
  const prefix = first.replace(/\.0\/24$/, '');
  assert.equal(await ipOfRun(), `${prefix}.2/24`);

  // A restart with nothing else on the subnet keeps it.
  const restart = async (): Promise<void> => {
    const exited = once(d!.proc, 'exit');
    d!.proc.kill('SIGTERM');
    await exited;
    d = await startDaemon('default-bridge-subnet', [], { dir, config });
  };
  await restart();
  assert.equal(await subnet(), first);

  // berthd down (its idle bridge goes with it); meanwhile another device takes the subnet.
  const exited = once(d.proc, 'exit');
  d.proc.kill('SIGTERM');
  await exited;
  assert.ok(!existsSync(`/sys/class/net/${bridge}`), 'a stopped berthd leaves no idle bridge');
  await exec('ip', ['link', 'add', squatter, 'type', 'bridge']);
  await exec('ip', ['addr', 'add', `${prefix}.1/24`, 'dev', squatter]);
  await exec('ip', ['link', 'set', squatter, 'up']);
  d = await startDaemon('default-bridge-subnet', [], { dir, config });
  const second = await subnet();
  assert.notEqual(second, first);
  assert.match(second, /^10\.236\.\d+\.0\/24$/);
  assert.equal(await ipOfRun(), `${second.replace(/\.0\/24$/, '')}.2/24`);
  assert.match(d.log(), /the default bridge's subnet is used elsewhere on the host now/);
  // The host has one route to the old subnet: the other device's.
  const routes = out(await exec('ip', ['-4', 'route', 'show', first]));
  assert.equal(routes.trim().split('\n').length, 1, routes);
  assert.match(routes, new RegExp(`dev ${squatter}`));
});
