import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFoundError } from '../errors/index.js';
import { checkEndpointSettings, type NetworkRecord } from '../network/index.js';
import { checkNetworkConflicts, planNetworks, type ContainerNetworks } from './network.js';

function rec(name: string, id: string, isPredefined: boolean, subnet: string): NetworkRecord {
  return {
    id, name, driver: 'bridge', created: '', subnets: [{ subnet, gateway: subnet.replace(/0\/\d+$/, '1') }], ipamConfig: [], ipamDriver: 'default',
    ipamOptions: null, internal: false, attachable: false, enableIPv6: false, options: {}, labels: {}, isPredefined, dnsEnabled: !isPredefined, endpoints: {},
  };
}

const records = [rec('bridge', 'b'.repeat(64), true, '10.0.0.0/24'), rec('front', 'f'.repeat(64), false, '10.1.0.0/24'), rec('back', 'k'.repeat(64), false, '10.2.0.0/24')];
const find = (term: string) => {
  const r = records.find((x) => x.name === term || x.id === term);
  if (!r) throw new NotFoundError(`network ${term} not found`);
  return r;
};
// checkEndpoint as NetworkService's: the real check over the fake's records.
const networks = { find, checkEndpoint: (term: string, e: Parameters<typeof checkEndpointSettings>[1]) => { const r = find(term); checkEndpointSettings(r, e); return r; } } as unknown as ContainerNetworks;

test('planNetworks: the NetworkMode\'s network first, then the other EndpointsConfig entries, with what each asks for', () => {
  assert.deepEqual(planNetworks(networks, {}, { NetworkMode: 'default' }, undefined), { bridge: { networkId: 'b'.repeat(64) } });
  assert.deepEqual(planNetworks(networks, {}, { NetworkMode: 'back' }, { EndpointsConfig: {
    front: { Aliases: ['f'] },
    back: { IPAMConfig: { IPv4Address: '10.2.0.9' }, MacAddress: '02:42:0a:02:00:09' },
  } }), {
    back: { networkId: 'k'.repeat(64), ipv4Address: '10.2.0.9', macAddress: '02:42:0a:02:00:09' },
    front: { networkId: 'f'.repeat(64), aliases: ['f'] },
  });
  assert.deepEqual(planNetworks(networks, { MacAddress: '02:42:0a:00:00:05' }, { NetworkMode: 'bridge' }, undefined), { bridge: { networkId: 'b'.repeat(64), macAddress: '02:42:0a:00:00:05' } }, 'Config.MacAddress of older clients');
  assert.deepEqual(planNetworks(networks, { NetworkDisabled: true }, { NetworkMode: 'default' }, undefined), {});
  assert.equal(planNetworks(networks, {}, { NetworkMode: 'host' }, { EndpointsConfig: { host: {} } }), undefined);
});

test('planNetworks: dockerd\'s refusals', () => {
  assert.throws(() => planNetworks(networks, {}, { NetworkMode: 'default' }, { EndpointsConfig: { bridge: { IPAMConfig: { IPv4Address: '10.0.0.5' } } } }),
    { status: 400, message: 'invalid endpoint settings:\nuser specified IP address is supported on user defined networks only' });
  assert.throws(() => planNetworks(networks, {}, { NetworkMode: 'front' }, { EndpointsConfig: { front: { IPAMConfig: { IPv4Address: '10.9.0.5' } } } }),
    { status: 400, message: 'invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.9.0.5' });
  assert.throws(() => planNetworks(networks, {}, { NetworkMode: 'front' }, { EndpointsConfig: { nope: {} } }), { status: 404, message: 'network nope not found' });
  assert.throws(() => planNetworks(networks, {}, { NetworkMode: 'host' }, { EndpointsConfig: { front: {} } }), { status: 400, message: 'Container cannot be connected to network endpoints: host, front' });
  assert.throws(() => planNetworks(networks, {}, { NetworkMode: 'front' }, { EndpointsConfig: { front: { IPAMConfig: { IPv6Address: 'fd00::1' } } } }),
    { status: 400, message: 'invalid endpoint settings:\nno configured subnet or ip-range contain the IP address fd00::1' }, 'a network without IPv6');
});

test('checkNetworkConflicts: a container: mode refuses what it cannot have; ports on host networking warn', () => {
  const peer = { NetworkMode: 'container:x' };
  assert.throws(() => checkNetworkConflicts({}, { ...peer, PublishAllPorts: true }), { message: 'conflicting options: port publishing and the container type network mode' });
  assert.throws(() => checkNetworkConflicts({ MacAddress: '02:00:00:00:00:01' }, peer), { message: 'conflicting options: mac-address and the network mode' });
  assert.deepEqual(checkNetworkConflicts({}, peer), []);
  assert.deepEqual(checkNetworkConflicts({}, { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '80' }] } }), ['Published ports are discarded when using host network mode']);
});
