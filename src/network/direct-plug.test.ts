import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { aardvarkLine, canPlugDirectly } from './direct-plug.js';
import type { NetavarkOptions } from './netavark.js';

const NET = 'a'.repeat(64);

function opts(o: { dns?: boolean; bridge?: string; ports?: boolean; internal?: boolean; ipv6?: boolean; second?: boolean } = {}): NetavarkOptions {
  const info = {
    name: NET, id: NET, driver: 'bridge' as const, network_interface: o.bridge ?? 'lo', subnets: [{ subnet: '10.9.1.0/24', gateway: '10.9.1.1' }],
    ipv6_enabled: o.ipv6 === true, internal: o.internal === true, dns_enabled: o.dns === true, ipam_options: { driver: 'host-local' as const },
  };
  return {
    container_id: 'c'.repeat(64), container_name: 'web',
    port_mappings: o.ports ? [{ host_ip: '', container_port: 80, host_port: 8080, range: 1, protocol: 'tcp' }] : [],
    networks: {
      [NET]: { static_ips: ['10.9.1.2'], aliases: ['alias', 'cccccccccccc'], interface_name: 'eth0', static_mac: '02:42:0a:09:01:02' },
      ...(o.second ? { other: { static_ips: ['10.9.2.2'], aliases: [], interface_name: 'eth1' } } : {}),
    },
    network_info: { [NET]: info, ...(o.second ? { other: { ...info, name: 'other', id: 'other' } } : {}) },
  };
}

test('aardvark-dns line as netavark 1.4 writes it: id, IPv4s, IPv6s (none), names, the container\'s own servers', () => {
  assert.equal(aardvarkLine(opts(), NET, '10.9.1.2'), `${'c'.repeat(64)} 10.9.1.2  web,alias,cccccccccccc\n`);
  assert.equal(aardvarkLine({ ...opts(), dns_servers: ['1.1.1.1', '9.9.9.9'] }, NET, '10.9.1.2'), `${'c'.repeat(64)} 10.9.1.2  web,alias,cccccccccccc 1.1.1.1,9.9.9.9\n`);
});

test('plugged directly only where netavark would find everything in place: no port, one IPv4 network with its rules made, a bridge, aardvark-dns running', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-plug-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const d = { configDir: dir };
  const made = () => true;
  // `lo` stands in for a bridge that is missing: /sys/class/net/lo/bridge does not exist.
  assert.equal(canPlugDirectly(d, opts(), made), false, 'no bridge');
  const withBridge = (o: Parameters<typeof opts>[0] = {}) => ({ ...opts(o), network_info: { ...opts(o).network_info, [NET]: { ...opts(o).network_info[NET]!, network_interface: 'lo' } } });
  // Every other condition, each on its own, with a "bridge" faked by a check that says yes.
  const cases: Array<[string, NetavarkOptions, (n: string) => boolean]> = [
    ['ports', opts({ ports: true }), made], ['internal', opts({ internal: true }), made], ['IPv6', opts({ ipv6: true }), made],
    ['two networks', opts({ second: true }), made], ['rules not made', opts(), () => false], ['DNS without aardvark-dns', opts({ dns: true }), made],
  ];
  for (const [what, o, rules] of cases) assert.equal(canPlugDirectly(d, o, rules), false, what);
  assert.equal(canPlugDirectly(d, withBridge(), made), false, 'lo is no bridge');
  mkdirSync(path.join(dir, 'aardvark-dns'));
  writeFileSync(path.join(dir, 'aardvark-dns', NET), '10.9.1.1\n');
  writeFileSync(path.join(dir, 'aardvark-dns', 'aardvark.pid'), String(process.pid));
  assert.equal(canPlugDirectly(d, opts({ dns: true }), made), false, 'still no bridge');
});
