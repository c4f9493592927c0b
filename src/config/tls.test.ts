import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { activatedFds, fdsFor, loadConfig, parseDaemonHost, takeBoolFlags, TCP_WITHOUT_TLSVERIFY } from './index.js';

function withConfig(json: unknown): { file: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cfg-'));
  const file = path.join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify(json));
  test.after?.(() => rmSync(dir, { recursive: true, force: true }));
  return { file, dir };
}

test('-H parses as dockerd does: default ports by TLS, fd://N, canonical forms', () => {
  assert.deepEqual(parseDaemonHost('tcp://127.0.0.1:2399', false), { proto: 'tcp', hostname: '127.0.0.1', port: 2399 });
  assert.deepEqual(parseDaemonHost('tcp://0.0.0.0', true), { proto: 'tcp', hostname: '0.0.0.0', port: 2376 });
  assert.deepEqual(parseDaemonHost('tcp://', false), { proto: 'tcp', hostname: '127.0.0.1', port: 2375 });
  assert.deepEqual(parseDaemonHost('tcp://[::1]:7', true), { proto: 'tcp', hostname: '::1', port: 7 });
  assert.deepEqual(parseDaemonHost('fd://', false), { proto: 'fd' });
  assert.deepEqual(parseDaemonHost('fd://4', false), { proto: 'fd', fd: 4 });
  assert.deepEqual(parseDaemonHost('unix:///tmp/x.sock', false), { proto: 'unix', path: '/tmp/x.sock' });
  assert.throws(() => parseDaemonHost('fd://x', false), { message: 'failed to parse systemd fd address: should be a number: x' });
  assert.throws(() => parseDaemonHost('tcp://1.2.3.4:5/path', false), { message: 'invalid bind address (1.2.3.4:5/path): should not contain a path element' });
  assert.throws(() => parseDaemonHost('udp://1.2.3.4:5', false), { message: 'Invalid bind address format: udp://1.2.3.4:5' });
});

test('--tls and --tlsverify follow dockerd: tlsverify set at all turns TLS on; --tls alone verifies', () => {
  const { file, dir } = withConfig({});
  const base = { configFile: file, hosts: ['tcp://127.0.0.1:1'] };
  const verify = loadConfig({ ...base, tlsVerify: true });
  assert.deepEqual(verify.tls, { verifyClient: true, caFile: path.join(dir, 'ca.pem'), certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') });
  assert.equal(loadConfig({ ...base, tls: true }).tls?.verifyClient, true);
  const noVerify = loadConfig({ ...base, tlsVerify: false });
  assert.equal(noVerify.tls?.verifyClient, false, '--tlsverify=false still serves TLS');
  assert.equal(loadConfig({ ...base, tls: false }).tls, undefined);
  assert.equal(loadConfig({ ...base, tlsVerify: true }, { DOCKER_CERT_PATH: '/certs' }).tls?.caFile, '/certs/ca.pem');
  assert.equal(loadConfig({ ...base, tlsVerify: true, tlsCaCert: '/a/ca.crt' }).tls?.caFile, '/a/ca.crt');
  assert.deepEqual(loadConfig({ ...base, hosts: ['tcp://127.0.0.1', 'unix:///tmp/b.sock', 'tcp://127.0.0.1:2376'], tlsVerify: true }).hosts, ['tcp://127.0.0.1:2376', 'unix:///tmp/b.sock']);
});

test('plain tcp:// is refused unless --tls=false or --tlsverify=false says so', () => {
  const { file } = withConfig({});
  assert.throws(() => loadConfig({ configFile: file, hosts: ['tcp://127.0.0.1:2375'] }), { status: 400, message: `invalid host "tcp://127.0.0.1:2375": ${TCP_WITHOUT_TLSVERIFY}` });
  assert.match(TCP_WITHOUT_TLSVERIFY, /gives root access on this machine/);
  assert.equal(loadConfig({ configFile: file, hosts: ['tcp://127.0.0.1:2375'], tls: false }).tls, undefined);
  assert.deepEqual(loadConfig({ configFile: file, hosts: ['fd://'] }).listens, [{ proto: 'fd' }]);
});

test('daemon.json tls keys, and the flag/file conflict', () => {
  const { file } = withConfig({ hosts: ['tcp://127.0.0.1:9'], tlsverify: true, tlscacert: '/x/ca.pem', tlscert: '/x/c.pem', tlskey: '/x/k.pem' });
  assert.deepEqual(loadConfig({ configFile: file }).tls, { verifyClient: true, caFile: '/x/ca.pem', certFile: '/x/c.pem', keyFile: '/x/k.pem' });
  assert.throws(() => loadConfig({ configFile: file, tlsVerify: true }), { message: /specified both as a flag and in the configuration file: tlsverify/ });
  const { file: bad } = withConfig({ tls: 'yes' });
  assert.throws(() => loadConfig({ configFile: bad }), { message: 'invalid daemon configuration: "tls" must be a boolean' });
});

test('boolean flags keep "false" apart from absent', () => {
  assert.deepEqual(takeBoolFlags(['--tls=false', '-H', 'x', '--tlsverify'], ['tls', 'tlsverify']), { rest: ['-H', 'x'], values: { tls: false, tlsverify: true } });
  assert.deepEqual(takeBoolFlags(['--tlscacert', 'a'], ['tls']).values, {});
  assert.throws(() => takeBoolFlags(['--tls=maybe'], ['tls']), { message: 'invalid argument "maybe" for "--tls" flag: strconv.ParseBool: parsing "maybe": invalid syntax' });
});

test('socket activation: LISTEN_PID must be ours; fd://N must have been passed', () => {
  assert.deepEqual(activatedFds({ LISTEN_PID: '42', LISTEN_FDS: '2' }, 42), [3, 4]);
  assert.deepEqual(activatedFds({ LISTEN_PID: '41', LISTEN_FDS: '2' }, 42), []);
  assert.deepEqual(activatedFds({ LISTEN_FDS: '2' }, 42), []);
  assert.deepEqual(fdsFor({}, [3, 4]), [3, 4]);
  assert.deepEqual(fdsFor({ fd: 4 }, [3, 4]), [4]);
  assert.throws(() => fdsFor({ fd: 5 }, [3, 4]), { message: 'too few socket activated files passed in by systemd' });
  assert.throws(() => fdsFor({}, []), { message: 'no sockets found via socket activation: make sure the service was started by systemd' });
});
