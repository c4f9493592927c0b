import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDaemonJson, defaults } from './index.js';

test('daemon.json uses Docker\'s key names', () => {
  const c = applyDaemonJson(defaults(), {
    'data-root': '/srv/berth', 'registry-mirrors': ['http://127.0.0.1:5000'], 'insecure-registries': ['127.0.0.1:5000'],
    'default-runtime': 'crun', runtimes: { kata: { path: '/usr/bin/kata', runtimeArgs: ['--x'] } }, 'log-opts': { 'max-size': '10m' },
    'max-concurrent-downloads': 5, 'live-restore': true,
  });
  assert.equal(c.dataRoot, '/srv/berth');
  assert.equal(c.defaultRuntime, 'crun');
  assert.deepEqual(c.runtimes.kata, { path: '/usr/bin/kata', runtimeArgs: ['--x'] });
  assert.equal(c.maxConcurrentDownloads, 5);
  assert.deepEqual(c.logOpts, { 'max-size': '10m' });
});

test('daemon.json errors name the key', () => {
  assert.throws(() => applyDaemonJson(defaults(), { 'no-such-key': 1 }), { status: 400, message: "the following directives don't match any configuration option: no-such-key" });
  assert.throws(() => applyDaemonJson(defaults(), { 'data-root': 5 }), { message: 'invalid daemon configuration: "data-root" must be a string' });
  assert.throws(() => applyDaemonJson(defaults(), { 'default-runtime': 'nope' }), { message: /default-runtime "nope" is not a configured runtime/ });
  assert.throws(() => applyDaemonJson(defaults(), { 'live-restore': false }), { message: /live-restore cannot be turned off/ });
  assert.throws(() => applyDaemonJson(defaults(), { 'max-concurrent-uploads': 0 }), { message: /"max-concurrent-uploads" must be a positive integer/ });
  assert.throws(() => applyDaemonJson(defaults(), []), { message: /must hold a JSON object/ });
});

test('network keys: default-address-pools, bip and bridge with Docker\'s names, each checked', () => {
  const d = defaults();
  assert.deepEqual(d.defaultAddressPools[0], { base: '172.17.0.0/16', size: 16 });
  assert.deepEqual(d.defaultAddressPools.at(-1), { base: '192.168.0.0/16', size: 20 });
  assert.equal(d.bridge, 'berth0');
  const c = applyDaemonJson(d, { 'default-address-pools': [{ base: '10.99.0.0/16', size: 24 }], bip: '10.98.0.1/24', bridge: 'bt0' });
  assert.deepEqual(c.defaultAddressPools, [{ base: '10.99.0.0/16', size: 24 }]);
  assert.equal(c.bip, '10.98.0.1/24');
  assert.equal(c.bridge, 'bt0');
  assert.throws(() => applyDaemonJson(d, { 'default-address-pools': [{ base: '10.99.0.0/33', size: 24 }] }), { status: 400, message: 'invalid daemon configuration: "default-address-pools[0].base": invalid CIDR address: 10.99.0.0/33' });
  assert.throws(() => applyDaemonJson(d, { 'default-address-pools': [{ base: '10.99.0.0/16', size: 8 }] }), { message: 'invalid daemon configuration: "default-address-pools[0].size": 8 must be between 16 and 32' });
  assert.throws(() => applyDaemonJson(d, { 'default-address-pools': [{ base: '10.99.0.0/16' }] }), { message: /"default-address-pools\[0\]" needs "base" \(string\) and "size" \(number\)/ });
  assert.throws(() => applyDaemonJson(d, { bip: '10.98.0.1' }), { message: 'invalid daemon configuration: "bip": invalid CIDR address: 10.98.0.1' });
  assert.throws(() => applyDaemonJson(d, { bridge: 'a-name-far-too-long' }), { message: /"bridge": invalid interface name "a-name-far-too-long"/ });
  assert.equal(d.ipForward, true);
  assert.equal(applyDaemonJson(d, { 'ip-forward': false }).ipForward, false);
  assert.throws(() => applyDaemonJson(d, { 'ip-forward': 'no' }), { message: 'invalid daemon configuration: "ip-forward" must be a boolean' });
});
