// /etc/hosts and /etc/hostname as dockerd 28 writes them (libnetwork etchosts_test.go and
// sandbox_dns_unix.go behaviour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import { buildHostnameFile, buildHostsFile, parseExtraHosts } from './etc-files.js';

const DEFAULTS = '127.0.0.1\tlocalhost\n'
  + '::1\tlocalhost ip6-localhost ip6-loopback\n'
  + 'fe00::\tip6-localnet\n'
  + 'ff00::\tip6-mcastprefix\n'
  + 'ff02::1\tip6-allnodes\n'
  + 'ff02::2\tip6-allrouters\n';

test('/etc/hostname is the hostname and a newline', () => {
  assert.equal(buildHostnameFile('c0ffee012345'), 'c0ffee012345\n');
});

test('/etc/hosts: defaults, --add-host entries, then the container\'s own address', () => {
  const hosts = buildHostsFile({
    hostname: 'c0ffee012345',
    extraHosts: ['db:10.0.0.5', 'v6host:2001:DB8::0:1', 'bracketed:[::2]'],
    containerIps: ['172.17.0.2'],
  });
  assert.equal(hosts, DEFAULTS
    + '10.0.0.5\tdb\n'
    + '2001:db8::1\tv6host\n'
    + '::2\tbracketed\n'
    + '172.17.0.2\tc0ffee012345\n');
});

test('/etc/hosts: the FQDN first, then the short name', () => {
  assert.equal(buildHostsFile({ hostname: 'web', domainname: 'example.org', containerIps: ['172.18.0.3', 'fd00::3'] }),
    `${DEFAULTS}172.18.0.3\tweb.example.org web\nfd00::3\tweb.example.org web\n`);
  assert.equal(buildHostsFile({ hostname: 'web.example.org', containerIps: ['172.18.0.3'] }),
    `${DEFAULTS}172.18.0.3\tweb.example.org web\n`);
});

test('/etc/hosts without IPv6: no IPv6 lines at all', () => {
  assert.equal(buildHostsFile({ hostname: 'h', extraHosts: ['a:::1', 'b:1.2.3.4'], containerIps: ['fd00::2', '10.1.0.2'], isIpv6Enabled: false }),
    '127.0.0.1\tlocalhost\n1.2.3.4\tb\n10.1.0.2\th\n');
});

test('/etc/hosts with host networking is the host\'s, unless there are extra hosts', () => {
  const host = '127.0.0.1 localhost\n10.0.0.9 myhost\n';
  assert.equal(buildHostsFile({ hostname: 'myhost', hostNetworkHosts: host }), host);
  assert.equal(buildHostsFile({ hostname: 'myhost', hostNetworkHosts: host, extraHosts: ['x:1.1.1.1'] }), `${DEFAULTS}1.1.1.1\tx\n`);
});

test('host-gateway becomes the daemon\'s gateway addresses', () => {
  assert.deepEqual(parseExtraHosts(['host.docker.internal:host-gateway'], ['172.17.0.1', 'fd00::1']), [
    { name: 'host.docker.internal', ip: '172.17.0.1' }, { name: 'host.docker.internal', ip: 'fd00::1' },
  ]);
});

test('bad --add-host entries fail with Docker\'s messages', () => {
  const bad: Array<[string[], string[], string]> = [
    [['nocolon'], [], 'bad format for add-host: "nocolon"'],
    [[':1.2.3.4'], [], 'bad format for add-host: ":1.2.3.4"'],
    [['x:999.1.1.1'], [], 'invalid IP address in add-host: "999.1.1.1"'],
    [['x:host-gateway'], [], 'unable to derive the IP value for host-gateway'],
  ];
  for (const [entries, gateways, message] of bad) {
    assert.throws(() => parseExtraHosts(entries, gateways), (err: unknown) => err instanceof InvalidArgumentError && err.message === message);
  }
});
