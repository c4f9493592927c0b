import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_HOST, parseHost, selectHost } from './host.js';

describe('daemon host selection', () => {
  it('prefers -H, then BERTH_HOST, then DOCKER_HOST, then the default', () => {
    const env = { BERTH_HOST: 'unix:///b.sock', DOCKER_HOST: 'unix:///d.sock' };
    assert.equal(selectHost(['unix:///h.sock'], env), 'unix:///h.sock');
    assert.equal(selectHost([], env), 'unix:///b.sock');
    assert.equal(selectHost([], { DOCKER_HOST: 'unix:///d.sock' }), 'unix:///d.sock');
    assert.equal(selectHost([], {}), DEFAULT_HOST);
    assert.equal(selectHost([], { BERTH_HOST: '', DOCKER_HOST: '' }), 'unix:///run/berth.sock');
  });

  it('refuses more than one -H, as docker does', () => {
    assert.throws(() => selectHost(['unix:///a', 'unix:///b'], {}), { message: 'Specify only one -H' });
  });

  it('parses unix and tcp hosts', () => {
    assert.deepEqual(parseHost('unix:///run/berth.sock'), { proto: 'unix', socketPath: '/run/berth.sock', host: 'unix:///run/berth.sock' });
    assert.deepEqual(parseHost('tcp://10.0.0.1:2376'), { proto: 'tcp', hostname: '10.0.0.1', port: 2376, host: 'tcp://10.0.0.1:2376' });
    assert.deepEqual(parseHost('tcp://example.com'), { proto: 'tcp', hostname: 'example.com', port: 2375, host: 'tcp://example.com' });
    assert.throws(() => parseHost('ssh://x'), { message: 'Invalid bind address format: ssh://x' });
    assert.deepEqual(parseHost('somehost'), { proto: 'tcp', hostname: 'somehost', port: 2375, host: 'tcp://somehost' });
  });
});
