import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortBindings, portMapOf } from './ports.js';

test('PortBindings become port requests: host ip, protocols, free ports, ranges', () => {
  assert.deepEqual(parsePortBindings({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] }), [{ hostIp: '0.0.0.0', hostPort: 8080, hostPortEnd: 8080, containerPort: 80, protocol: 'tcp' }]);
  assert.deepEqual(parsePortBindings({ '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }], '9/tcp': null }), [
    { hostIp: '127.0.0.1', hostPort: 0, hostPortEnd: 0, containerPort: 53, protocol: 'udp' },
    { hostIp: '0.0.0.0', hostPort: 0, hostPortEnd: 0, containerPort: 9, protocol: 'tcp' },
  ]);
  // -p 8000-8010:80: any free port of the range.
  assert.deepEqual(parsePortBindings({ '80/tcp': [{ HostPort: '8000-8010' }] }), [{ hostIp: '0.0.0.0', hostPort: 8000, hostPortEnd: 8010, containerPort: 80, protocol: 'tcp' }]);
  // A range key maps one to one onto a host range of the same length.
  assert.deepEqual(parsePortBindings({ '80-81/sctp': [{ HostPort: '9080-9081' }] }).map((r) => [r.containerPort, r.hostPort, r.hostPortEnd, r.protocol]), [[80, 9080, 9080, 'sctp'], [81, 9081, 9081, 'sctp']]);
  assert.deepEqual(parsePortBindings({ '80/tcp': [{ HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }] }).map((r) => `${r.hostIp}:${r.hostPort}`), ['0.0.0.0:8080', '127.0.0.1:8081']);
});

test('bad port specs are dockerd\'s 400s', () => {
  assert.throws(() => parsePortBindings({ 'abc/tcp': [] }), { status: 400, message: 'invalid port specification: "abc"' });
  assert.throws(() => parsePortBindings({ '80/tcp': [{ HostPort: '70000' }] }), { status: 400, message: 'invalid port specification: "70000"' });
  assert.throws(() => parsePortBindings({ '80/tcp': [{ HostPort: '9-8' }] }), { message: 'invalid port specification: "9-8"' });
  assert.throws(() => parsePortBindings({ '80/icmp': [] }), { message: 'invalid proto: icmp' });
  assert.throws(() => parsePortBindings({ '80/tcp': [{ HostIp: '300.1.1.1', HostPort: '1' }] }), { message: 'invalid IP address: 300.1.1.1' });
  assert.throws(() => parsePortBindings({ '80-82/tcp': [{ HostPort: '90-91' }] }), { message: 'invalid ranges specified for container and host Ports: 80-82 and 90-91' });
  assert.throws(() => parsePortBindings({ '80/tcp': [{ HostIp: '::1', HostPort: '1' }] }), { status: 501 });
});

test('NetworkSettings.Ports lists each binding under its container port; exposed-only ports are null', () => {
  assert.deepEqual(portMapOf([{ hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 8081, containerPort: 80, protocol: 'tcp' }], ['80/tcp', '443/tcp']), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '8081' }],
    '443/tcp': null,
  });
});
