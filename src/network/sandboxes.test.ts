import assert from 'node:assert/strict';
import { test } from 'node:test';
import { macFromIpv4 } from './sandboxes.js';

// Regression (issue 14): a random MAC per start left the host's neighbour entry pointing at the
// old interface after a restart-policy restart; the MAC must follow the address, as dockerd's.
test('macFromIpv4: 02:42 and the address bytes, as libnetwork GenerateMACFromIP', () => {
  assert.equal(macFromIpv4('172.17.0.2'), '02:42:ac:11:00:02');
  assert.equal(macFromIpv4('10.237.210.77'), '02:42:0a:ed:d2:4d');
  assert.equal(macFromIpv4('192.168.255.254'), '02:42:c0:a8:ff:fe');
});
