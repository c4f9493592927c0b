import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contains6, formatIpv6, formatPrefix6, masked6, overlaps6, parseIpv6, parsePrefix6 } from './cidr6.js';

test('IPv6 text round-trips to RFC 5952 form', () => {
  for (const [input, want] of [
    ['fd00::2', 'fd00::2'], ['FD42:0:0:0:0:0:0:1', 'fd42::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], ['::', '::'], ['::ffff:1.2.3.4', '::ffff:102:304'],
  ] as const) assert.equal(formatIpv6(parseIpv6(input)!), want, input);
  for (const bad of ['fd00::1::2', '1.2.3.4', 'fd00::g', 'fe80::1%eth0', '']) assert.equal(parseIpv6(bad), undefined, bad);
});

test('IPv6 prefixes: masking, containment, overlap', () => {
  const p = parsePrefix6('fd42:1:2:3::5/64')!;
  assert.equal(formatPrefix6(masked6(p)), 'fd42:1:2:3::/64');
  assert.ok(contains6(p, parseIpv6('fd42:1:2:3:ffff::1')!));
  assert.ok(!contains6(p, parseIpv6('fd42:1:2:4::1')!));
  assert.ok(overlaps6(parsePrefix6('fd42::/16')!, p));
  assert.ok(!overlaps6(parsePrefix6('fd43::/16')!, p));
  assert.equal(parsePrefix6('fd42::/129'), undefined);
});
