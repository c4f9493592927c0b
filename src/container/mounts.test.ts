import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidMountMode, parseBind, parseVolumesFrom, tmpfsData, validateMountSpec } from './mounts.js';

test('parseBind: Docker\'s forms of -v (moby ParseMountRaw)', () => {
  assert.deepEqual(parseBind('/data'), { Type: 'volume', Source: '', Destination: '/data', Mode: '', RW: true, Propagation: '', isAnonymous: true, CopyData: true, Driver: undefined });
  assert.deepEqual(parseBind('vol:/data:ro'), { Type: 'volume', Name: 'vol', Source: '', Destination: '/data', Mode: 'ro', RW: false, Propagation: '', CopyData: true, Driver: undefined });
  assert.deepEqual(parseBind('/h:/c'), { Type: 'bind', Source: '/h', Destination: '/c', Mode: '', RW: true, Propagation: 'rprivate', createSource: true });
  assert.deepEqual(parseBind('/h/:/c/:ro,rslave'), { Type: 'bind', Source: '/h', Destination: '/c', Mode: 'ro,rslave', RW: false, Propagation: 'rslave', createSource: true });
  assert.equal(parseBind('vol:/data:nocopy').CopyData, false);
  assert.equal(parseBind('vol:/d', 'local').Driver, 'local');
  for (const mode of ['z', 'Z', 'cached', 'delegated', 'consistent', 'rw,z', 'ro,Z,rprivate']) assert.doesNotThrow(() => parseBind(`/h:/c:${mode}`), mode);
});

test('parseBind: docker\'s errors for malformed specs', () => {
  const msg = (raw: string) => { try { parseBind(raw); } catch (e) { return (e as Error).message; } return 'no error'; };
  assert.equal(msg(':/x'), "invalid volume specification: ':/x'");
  assert.equal(msg('/x:ro'), "invalid volume specification: '/x:ro'", 'a destination with a mode but no source');
  assert.equal(msg('a:b:c:d:e'), "invalid volume specification: 'a:b:c:d:e'");
  assert.equal(msg('/h:/c:rw,ro'), 'invalid mode: rw,ro');
  assert.equal(msg('/h:/c:bogus'), 'invalid mode: bogus');
  assert.equal(msg('vol:rel'), "invalid volume specification: 'vol:rel': invalid mount config for type \"volume\": invalid mount path: 'rel' mount path must be absolute");
  assert.equal(msg('/h:/'), "invalid volume specification: '/h:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'");
  assert.equal(msg('vol:/x:rshared'), "invalid volume specification: 'vol:/x:rshared': invalid mount config for type \"volume\": field BindOptions must not be specified");
});

test('validateMountSpec: --mount checks with dockerd\'s messages', () => {
  const exists = (p: string) => p === '/there';
  const msg = (m: Parameters<typeof validateMountSpec>[0]) => { try { validateMountSpec(m, { bindSourceMustExist: true, exists }); } catch (e) { return (e as Error).message; } return 'ok'; };
  assert.equal(msg({ Type: 'bind', Source: '/there', Target: '/t' }), 'ok');
  assert.equal(msg({ Type: 'bind', Source: '/missing', Target: '/t' }), 'invalid mount config for type "bind": bind source path does not exist: /missing');
  assert.equal(msg({ Type: 'bind', Source: '/missing', Target: '/t', BindOptions: { CreateMountpoint: true } }), 'ok');
  assert.equal(msg({ Type: 'bind', Target: '/t' }), 'invalid mount config for type "bind": field Source must not be empty');
  assert.equal(msg({ Type: 'volume', Target: '' }), 'invalid mount config for type "volume": field Target must not be empty');
  assert.equal(msg({ Type: 'volume', Target: '/t', ReadOnly: true }), 'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes');
  assert.equal(msg({ Type: 'volume', Source: 'v', Target: '/t', VolumeOptions: { Subpath: '../x' } }), 'invalid mount config for type "volume": subpath must be a relative path within the volume');
  assert.equal(msg({ Type: 'tmpfs', Source: 'x', Target: '/t' }), 'invalid mount config for type "tmpfs": field Source must not be specified');
  assert.equal(msg({ Type: 'npipe', Target: '/t' }), 'invalid mount config for type "npipe": mount type unknown');
  assert.equal(msg({ Type: 'bind', Source: '/there', Target: '/t', BindOptions: { Propagation: 'bogus' as 'shared' } }), 'invalid mount config for type "bind": invalid propagation mode: bogus');
});

test('tmpfsData: size with the largest exact suffix, octal mode, ro and exec', () => {
  assert.equal(tmpfsData({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1770 } }), 'mode=1770,size=1m');
  assert.equal(tmpfsData({ Type: 'tmpfs', Target: '/t', ReadOnly: true, TmpfsOptions: { SizeBytes: 1500, Options: [['exec']] } }), 'ro,size=1500,exec');
  assert.equal(tmpfsData({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 3 * 2 ** 30 } }), 'size=3g');
  assert.throws(() => tmpfsData({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { Options: [['suid']] } }), /invalid option: suid/);
});

test('parseVolumesFrom and mount modes', () => {
  assert.deepEqual(parseVolumesFrom('c1'), { container: 'c1', mode: 'rw' });
  assert.deepEqual(parseVolumesFrom('c1:ro'), { container: 'c1', mode: 'ro' });
  assert.throws(() => parseVolumesFrom(''), /cannot be an empty string/);
  assert.throws(() => parseVolumesFrom('c1:rshared'), /invalid mode: rshared/);
  assert.throws(() => parseVolumesFrom('c1:nocopy'), /invalid mode: nocopy/);
  assert.ok(isValidMountMode('ro,z,rslave,nocopy,cached'));
  assert.ok(!isValidMountMode('ro,rw'));
  assert.ok(!isValidMountMode('z,Z'));
});
