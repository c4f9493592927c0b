import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrefix } from './cidr.js';
import { allocateAddress, DOCKER_DEFAULT_POOLS, pickSubnet, planFromBip, planSubnets, validateIpamConfig } from './ipam.js';

const P = (s: string) => parsePrefix(s)!;

test('a new network takes the first pool subnet clear of the host\'s routes and other networks', () => {
  assert.deepEqual(planSubnets([], DOCKER_DEFAULT_POOLS, []), [{ subnet: '172.17.0.0/16', gateway: '172.17.0.1' }]);
  // docker0 holds 172.17, another network 172.18, a host route 172.19.5.0/24.
  const used = [P('172.17.0.0/16'), P('172.18.0.0/16'), P('172.19.5.0/24')];
  assert.deepEqual(planSubnets([], DOCKER_DEFAULT_POOLS, used), [{ subnet: '172.20.0.0/16', gateway: '172.20.0.1' }]);
  // Every /16 taken: the /20s of 192.168 follow, in order.
  const all172 = Array.from({ length: 15 }, (_, i) => P(`172.${17 + i}.0.0/16`));
  assert.equal(pickSubnet(DOCKER_DEFAULT_POOLS, [...all172, P('192.168.0.0/20')]) && '192.168.16.0/20', '192.168.16.0/20');
  assert.deepEqual(planSubnets([], [{ base: '10.5.0.0/16', size: 24 }], [P('10.5.0.0/24'), P('10.5.1.7/32')]), [{ subnet: '10.5.2.0/24', gateway: '10.5.2.1' }]);
  assert.throws(() => planSubnets([], [{ base: '10.5.0.0/24', size: 24 }], [P('10.0.0.0/8')]), { status: 403, message: 'could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network' });
});

test('a requested subnet is refused when it overlaps, with dockerd\'s words; the gateway defaults to the first address', () => {
  assert.deepEqual(planSubnets([{ Subnet: '10.7.0.0/24', IPRange: '10.7.0.128/25' }], DOCKER_DEFAULT_POOLS, []), [{ subnet: '10.7.0.0/24', gateway: '10.7.0.1', ipRange: '10.7.0.128/25' }]);
  assert.deepEqual(planSubnets([{ Subnet: '10.7.0.0/24', Gateway: '10.7.0.254' }], DOCKER_DEFAULT_POOLS, []), [{ subnet: '10.7.0.0/24', gateway: '10.7.0.254' }]);
  assert.throws(() => planSubnets([{ Subnet: '10.7.0.0/24' }], DOCKER_DEFAULT_POOLS, [P('10.7.0.0/16')]), { status: 403, message: 'invalid pool request: Pool overlaps with other one on this address space' });
});

test('IPAM config is validated as moby ValidateIPAM, every problem listed', () => {
  assert.throws(() => validateIpamConfig([{ Subnet: '10.0.0.0/33' }], false), { status: 400, message: 'invalid network config:\ninvalid subnet 10.0.0.0/33: invalid CIDR block notation' });
  assert.throws(() => validateIpamConfig([{ Subnet: '10.0.0.1/24' }], false), { message: 'invalid network config:\ninvalid subnet 10.0.0.1/24: it should be 10.0.0.0/24' });
  assert.throws(() => validateIpamConfig([{ Subnet: '10.0.0.0/24', Gateway: '10.0.1.1' }], false), { message: 'invalid network config:\ninvalid gateway 10.0.1.1: parent subnet 10.0.0.0/24 doesn\'t contain this address' });
  assert.throws(() => validateIpamConfig([{ Subnet: '10.0.0.0/24', Gateway: 'x', IPRange: '10.0.0.0/16' }], false), {
    message: 'invalid network config:\ninvalid ip-range 10.0.0.0/16: CIDR block is bigger than its parent subnet 10.0.0.0/24\ninvalid gateway x: invalid address',
  });
  assert.throws(() => validateIpamConfig([{ Subnet: '10.0.0.0/24', IPRange: '10.1.0.0/25' }], false), { message: 'invalid network config:\ninvalid ip-range 10.1.0.0/25: parent subnet 10.0.0.0/24 doesn\'t contain ip-range' });
  assert.doesNotThrow(() => validateIpamConfig([{ Subnet: '10.0.0.0/24', IPRange: '10.0.0.64/26', Gateway: '10.0.0.1' }], false));
  assert.doesNotThrow(() => validateIpamConfig([{ Subnet: 'fd00::/64' }], false), 'IPv6 configs are skipped while IPv6 is off, as dockerd does');
});

test('addresses: lowest free, never the network, broadcast or gateway; --ip checked against the range', () => {
  const plans = [{ subnet: '10.9.0.0/29', gateway: '10.9.0.1' }];
  assert.equal(allocateAddress(plans, new Set()).address, '10.9.0.2');
  assert.equal(allocateAddress(plans, new Set(['10.9.0.2', '10.9.0.3'])).address, '10.9.0.4');
  assert.throws(() => allocateAddress(plans, new Set(['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6'])), { status: 403 });
  assert.equal(allocateAddress(plans, new Set(), '10.9.0.6').address, '10.9.0.6');
  assert.throws(() => allocateAddress(plans, new Set(['10.9.0.6']), '10.9.0.6'), { status: 403, message: 'Address already in use' });
  assert.throws(() => allocateAddress(plans, new Set(), '10.9.0.1'), { status: 403, message: 'Address already in use' });
  assert.throws(() => allocateAddress(plans, new Set(), '10.9.1.5'), { status: 400, message: 'invalid endpoint settings:\nno configured subnet or ip-range contain the IP address 10.9.1.5' });
  assert.throws(() => allocateAddress(plans, new Set(), '10.9.0.7'), { status: 400 }, 'the broadcast address is not handed out');
  const ranged = [{ subnet: '10.9.0.0/24', gateway: '10.9.0.1', ipRange: '10.9.0.128/25' }];
  assert.equal(allocateAddress(ranged, new Set()).address, '10.9.0.128');
  assert.throws(() => allocateAddress(ranged, new Set(), '10.9.0.5'), { status: 400 });
});

test('bip gives the default bridge its subnet and gateway', () => {
  assert.deepEqual(planFromBip('192.168.50.5/24'), { subnet: '192.168.50.0/24', gateway: '192.168.50.5' });
  assert.deepEqual(planFromBip('192.168.50.0/24'), { subnet: '192.168.50.0/24', gateway: '192.168.50.1' });
});
