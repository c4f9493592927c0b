import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePort, parseServiceVolume } from './short-syntax.js';

const at = 'services.web.ports.0';

describe('ports: short syntax to long', () => {
  it('reads every short form', () => {
    assert.deepEqual(parsePort(80, at), [{ target: 80, protocol: 'tcp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('80', at), [{ target: 80, protocol: 'tcp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('8080:80', at), [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('127.0.0.1:8080:80/udp', at), [{ host_ip: '127.0.0.1', target: 80, published: '8080', protocol: 'udp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('127.0.0.1::80', at), [{ host_ip: '127.0.0.1', target: 80, protocol: 'tcp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('[::1]:8080:80', at), [{ host_ip: '::1', target: 80, published: '8080', protocol: 'tcp', mode: 'ingress' }]);
    assert.deepEqual(parsePort('53/sctp', at), [{ target: 53, protocol: 'sctp', mode: 'ingress' }]);
  });

  it('expands ranges one port each; a host range for one container port stays a range', () => {
    assert.deepEqual(parsePort('8000-8001:80-81', at), [
      { target: 80, published: '8000', protocol: 'tcp', mode: 'ingress' },
      { target: 81, published: '8001', protocol: 'tcp', mode: 'ingress' },
    ]);
    assert.deepEqual(parsePort('3000-3001', at).map((p) => p.target), [3000, 3001]);
    assert.deepEqual(parsePort('9000-9010:80', at), [{ target: 80, published: '9000-9010', protocol: 'tcp', mode: 'ingress' }]);
  });

  it('reads the long form, published as a string', () => {
    assert.deepEqual(parsePort({ target: '80', published: 8080, host_ip: '0.0.0.0', protocol: 'UDP', mode: 'host' }, at),
      [{ target: 80, published: '8080', host_ip: '0.0.0.0', protocol: 'udp', mode: 'host' }]);
  });

  it('refuses bad ports, ranges and protocols', () => {
    assert.throws(() => parsePort('abc', at), { message: `${at}: invalid containerPort: abc` });
    assert.throws(() => parsePort('x:80', at), { message: `${at}: invalid hostPort: x` });
    assert.throws(() => parsePort('70000', at), { message: `${at}: invalid containerPort: 70000` });
    assert.throws(() => parsePort('8000-8002:80-81', at), /invalid ranges/);
    assert.throws(() => parsePort('80/icmp', at), { message: `${at}: invalid proto: icmp` });
  });
});

describe('service volumes: short syntax to long', () => {
  const dir = '/proj';
  const home = '/home/u';
  const vol = (s: unknown): unknown => parseServiceVolume(s, 'services.web.volumes.0', dir, home);

  it('an anonymous volume, a named volume, binds relative, absolute and from ~', () => {
    assert.deepEqual(vol('/data'), { type: 'volume', target: '/data' });
    assert.deepEqual(vol('db:/var/lib/db'), { type: 'volume', source: 'db', target: '/var/lib/db' });
    assert.deepEqual(vol('./html:/usr/share/html'), { type: 'bind', source: '/proj/html', target: '/usr/share/html', bind: { create_host_path: true } });
    assert.deepEqual(vol('../up:/x'), { type: 'bind', source: '/up', target: '/x', bind: { create_host_path: true } });
    assert.deepEqual(vol('/etc/hosts:/h'), { type: 'bind', source: '/etc/hosts', target: '/h', bind: { create_host_path: true } });
    assert.deepEqual(vol('~/cfg:/cfg'), { type: 'bind', source: '/home/u/cfg', target: '/cfg', bind: { create_host_path: true } });
  });

  it('reads ro, rw, nocopy, z/Z and propagation', () => {
    assert.deepEqual(vol('./a:/a:ro,z'), { type: 'bind', source: '/proj/a', target: '/a', read_only: true, bind: { create_host_path: true, selinux: 'z' } });
    assert.deepEqual(vol('./a:/a:rw,rshared'), { type: 'bind', source: '/proj/a', target: '/a', read_only: false, bind: { create_host_path: true, propagation: 'rshared' } });
    assert.deepEqual(vol('db:/d:ro,nocopy'), { type: 'volume', source: 'db', target: '/d', read_only: true, volume: { nocopy: true } });
  });

  it('reads the long form, resolving a relative bind source and tmpfs sizes', () => {
    assert.deepEqual(vol({ type: 'bind', source: './src', target: '/src', read_only: true, bind: { create_host_path: false } }),
      { type: 'bind', source: '/proj/src', target: '/src', read_only: true, bind: { create_host_path: false } });
    assert.deepEqual(vol({ type: 'tmpfs', target: '/tmp', tmpfs: { size: '64m', mode: 1777 } }), { type: 'tmpfs', target: '/tmp', tmpfs: { size: 64 * 1024 * 1024, mode: 1777 } });
    assert.deepEqual(vol({ type: 'volume', source: 'db', target: '/d', volume: { subpath: 'x' } }), { type: 'volume', source: 'db', target: '/d', volume: { subpath: 'x' } });
  });

  it('refuses empty sections and too many colons', () => {
    assert.throws(() => vol('a::/b'), { message: 'invalid spec: a::/b: empty section between colons' });
    assert.throws(() => vol('ab:/b:ro:x'), { message: 'invalid spec: ab:/b:ro:x: too many colons' });
  });
});
