import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { removeIdleNetavarkChains } from '../../src/network/index.js';
import { silentLogger, waitFor } from '../../src/util/index.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { fetchTcp, assertNothingLeft } from '../helpers/network.js';

type Bindings = Record<string, Array<{ HostIp: string; HostPort: string }> | null>;
interface Inspected {
  Config: { ExposedPorts: Record<string, object> | null };
  HostConfig: { PortBindings: Bindings | null; PublishAllPorts: boolean };
  NetworkSettings: { Ports: Bindings; Networks: Record<string, { IPAMConfig: unknown; IPAddress: string; Gateway: string; IPPrefixLen: number }> };
}

/** Two consecutive TCP ports nothing listens on, the first one the kernel picked. */
async function freeTcpPair(): Promise<number> {
  const listen = (port: number) => new Promise<net.Server | undefined>((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(undefined));
    srv.listen(port, () => resolve(srv));
  });
  for (let i = 0; i < 20; i++) {
    const a = await listen(0);
    const port = (a!.address() as net.AddressInfo).port;
    const b = port < 65535 ? await listen(port + 1) : undefined;
    await Promise.all([a, b].map((srv) => new Promise((r) => (srv ? srv.close(r) : r(undefined)))));
    if (b) return port;
  }
  throw new Error('no two consecutive free ports');
}

/** A TCP server on `port` that answers `text` (busybox nc in a loop). */
const SERVE = (port: number, text: string) => ['sh', '-c', `while true; do echo ${text} | nc -l -p ${port}; done`];

/**
 * What inspect, ps and `docker port` show of published and exposed ports, as dockerd fills
 * them (issue 12): `-P` with the image's EXPOSE, `-p 80` on a free port, `-p ip:host:container`,
 * `--expose` without publishing, and a stopped container.
 */
describe('published ports in inspect, ps and docker port', needsDocker, () => {
  const tag = randomBytes(3).toString('hex');
  let d: TestDaemon;
  const image = `exposing-${tag}`;

  before(async () => {
    d = await startDaemon('network-ports', [], { config: { bridge: `bp${tag}`, 'default-address-pools': [{ base: '10.239.0.0/16', size: 24 }] } });
    await importBusybox(d);
    await importBusybox(d, `${image}:latest`, ['CMD ["sh"]', 'EXPOSE 80 7000/udp']);
  });
  after(async () => {
    await d?.stop();
    await removeIdleNetavarkChains(silentLogger());
  });

  const inspect = async (id: string): Promise<Inspected> => (JSON.parse(out(await d.docker(['inspect', id]))) as Inspected[])[0]!;

  test('-P publishes every EXPOSEd port on a free host port', async (t) => {
    const id = out(await d.docker(['run', '-d', '-P', image, ...SERVE(80, `p-${tag}`)])).trim();
    t.after(() => removeContainers(d, id));
    const ins = await inspect(id);
    assert.deepEqual(ins.Config.ExposedPorts, { '80/tcp': {}, '7000/udp': {} });
    assert.deepEqual(ins.HostConfig.PortBindings, {});
    assert.equal(ins.HostConfig.PublishAllPorts, true);
    const tcp = ins.NetworkSettings.Ports['80/tcp']!;
    const udp = ins.NetworkSettings.Ports['7000/udp']!;
    assert.deepEqual(Object.keys(ins.NetworkSettings.Ports).sort(), ['7000/udp', '80/tcp']);
    assert.equal(tcp.length, 1);
    assert.equal(tcp[0]!.HostIp, '0.0.0.0');
    assert.equal(udp[0]!.HostIp, '0.0.0.0');
    const [tp, up] = [Number(tcp[0]!.HostPort), Number(udp[0]!.HostPort)];
    assert.ok(tp > 0 && up > 0 && tp !== up, `two free ports: ${tp}, ${up}`);
    assert.equal(out(await d.docker(['port', id])), `80/tcp -> 0.0.0.0:${tp}\n7000/udp -> 0.0.0.0:${up}\n`);
    assert.equal(out(await d.docker(['port', id, '80'])), `0.0.0.0:${tp}\n`);
    assert.equal(out(await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Ports}}'])).trim(), `0.0.0.0:${tp}->80/tcp, 0.0.0.0:${up}->7000/udp`);
    const body = await waitFor('the published port to answer', () => fetchTcp('127.0.0.1', tp).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(body.trim(), `p-${tag}`);
  });

  test('-p ip:host:container, -p container and --expose; ps and docker port; a stopped container shows no ports', async (t) => {
    const id = out(await d.docker(['run', '-d', '-p', '127.0.0.1::80', '-p', '9000', '--expose', '91', 'busybox', ...SERVE(80, `q-${tag}`)])).trim();
    t.after(() => removeContainers(d, id));
    const ins = await inspect(id);
    assert.deepEqual(ins.Config.ExposedPorts, { '80/tcp': {}, '9000/tcp': {}, '91/tcp': {} });
    assert.deepEqual(ins.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '9000/tcp': [{ HostIp: '', HostPort: '' }] });
    const p80 = ins.NetworkSettings.Ports['80/tcp']![0]!;
    const p9000 = ins.NetworkSettings.Ports['9000/tcp']![0]!;
    assert.equal(p80.HostIp, '127.0.0.1');
    assert.equal(ins.NetworkSettings.Ports['91/tcp'], null, 'exposed, not published: null');
    assert.equal(out(await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Ports}}'])).trim(), `91/tcp, 127.0.0.1:${p80.HostPort}->80/tcp, 0.0.0.0:${p9000.HostPort}->9000/tcp`, 'the CLI puts exposed-only ports first');
    const ep = ins.NetworkSettings.Networks.bridge!;
    assert.deepEqual([ep.IPAMConfig, ep.Gateway, ep.IPPrefixLen], [null, '10.239.0.1', 24]);
    const body = await waitFor('127.0.0.1 to answer', () => fetchTcp('127.0.0.1', Number(p80.HostPort)).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 100 });
    assert.equal(body.trim(), `q-${tag}`);

    await d.docker(['stop', '-t', '0', id]);
    const stopped = await inspect(id);
    assert.deepEqual(stopped.NetworkSettings.Ports, {});
    assert.deepEqual(stopped.HostConfig.PortBindings, ins.HostConfig.PortBindings);
    assert.equal(out(await d.docker(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Ports}}'])).trim(), '');
    assert.equal(out(await d.docker(['port', id])), '');
  });

  test('-p with host and container port ranges publishes each port of the range, reached on 127.0.0.1', async (t) => {
    const base = await freeTcpPair();
    const id = out(await d.docker(['run', '-d', '-p', `${base}-${base + 1}:80-81`, 'busybox', 'sh', '-c', `(${SERVE(80, `r80-${tag}`)[2]}) & ${SERVE(81, `r81-${tag}`)[2]}`])).trim();
    t.after(() => removeContainers(d, id));
    const ins = await inspect(id);
    assert.deepEqual(ins.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: `${base}` }], '81/tcp': [{ HostIp: '', HostPort: `${base + 1}` }] });
    assert.equal(out(await d.docker(['port', id])), `80/tcp -> 0.0.0.0:${base}\n81/tcp -> 0.0.0.0:${base + 1}\n`);
    for (const [port, text] of [[base, `r80-${tag}`], [base + 1, `r81-${tag}`]] as const) {
      const body = await waitFor(`127.0.0.1:${port} to answer`, () => fetchTcp('127.0.0.1', port).catch(() => undefined), { timeoutMs: 20_000, intervalMs: 100 });
      assert.equal(body.trim(), text);
    }
  });

  test('after removal only the default bridge is kept, and after a stop nothing is left on the host', async () => {
    await waitFor('no containers', async () => (out(await d.docker(['ps', '-aq'])).trim() === '' ? true : undefined));
    await assertNothingLeft(d, { bridges: [`bp${tag}`], subnetPrefix: '10.239.' });
  });
});
