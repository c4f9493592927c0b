import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isNetavarkBusy, ruleArgs } from './firewall.js';

test('netavark\'s shared chains are idle with only their fixed rules; any per-network chain or forward rule keeps them', () => {
  const idle = [
    { name: 'filter' as const, chains: ['INPUT', 'FORWARD', 'NETAVARK_FORWARD'], rules: ['-A FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD'] },
    { name: 'nat' as const, chains: ['NETAVARK-HOSTPORT-DNAT', 'NETAVARK-HOSTPORT-MASQ', 'NETAVARK-HOSTPORT-SETMARK'], rules: [
      '-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT',
      '-A NETAVARK-HOSTPORT-MASQ -m comment --comment "netavark portfw masq mark" -m mark --mark 0x2000/0x2000 -j MASQUERADE',
      '-A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000/0x2000',
    ] },
  ];
  assert.equal(isNetavarkBusy(idle), false);
  assert.equal(isNetavarkBusy([{ ...idle[0]!, rules: [...idle[0]!.rules, '-A NETAVARK_FORWARD -s 10.1.0.0/24 -j ACCEPT'] }, idle[1]!]), true);
  assert.equal(isNetavarkBusy([idle[0]!, { ...idle[1]!, chains: [...idle[1]!.chains, 'NETAVARK-0FC5C1FB21D33'] }]), true);
});

test('a saved rule splits back into iptables arguments, quoted comments whole', () => {
  assert.deepEqual(ruleArgs('-A FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD'), ['-A', 'FORWARD', '-m', 'comment', '--comment', 'netavark firewall plugin rules', '-j', 'NETAVARK_FORWARD']);
});
