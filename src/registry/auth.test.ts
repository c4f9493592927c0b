import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAuthHeader, parseChallenges, TokenCache } from './auth.js';
import { RegistryResponseError, responseError } from './errors.js';
import { parseCidr, RegistryHosts } from './hosts.js';
import { humanSize, progressBar } from './progress.js';
import { splitSearchTerm } from './search.js';

test('WWW-Authenticate challenges parse with quoted commas', () => {
  const [c] = parseChallenges('Bearer realm="http://127.0.0.1:1/token",service="reg",scope="repository:a/b:pull,push"');
  assert.equal(c!.scheme, 'bearer');
  assert.deepEqual(c!.params, { realm: 'http://127.0.0.1:1/token', service: 'reg', scope: 'repository:a/b:pull,push' });
  assert.equal(parseChallenges('Basic realm="x"')[0]!.scheme, 'basic');
  assert.deepEqual(parseChallenges(undefined), []);
});

test('X-Registry-Auth decodes base64url and std base64, and the auth field', () => {
  const json = JSON.stringify({ username: 'u', password: 'p?>', serveraddress: 'h' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64url')), { username: 'u', password: 'p?>', serveraddress: 'h' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(json).toString('base64')), { username: 'u', password: 'p?>', serveraddress: 'h' });
  assert.deepEqual(decodeAuthHeader(Buffer.from(JSON.stringify({ auth: Buffer.from('a:b:c').toString('base64') })).toString('base64')), { auth: Buffer.from('a:b:c').toString('base64'), username: 'a', password: 'b:c' });
  assert.deepEqual(decodeAuthHeader('%%%'), {});
  assert.deepEqual(decodeAuthHeader(undefined), {});
});

test('tokens expire from the cache', () => {
  const c = new TokenCache();
  c.set('k', 't', 1000);
  assert.equal(c.get('k', 999), 't');
  assert.equal(c.get('k', 1000), undefined);
});

test('registry errors read as distribution words them', () => {
  assert.equal(responseError(404, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')).message, 'manifest unknown: manifest unknown');
  assert.equal(responseError(401, Buffer.from('')).message, 'unauthorized: authentication required');
  assert.equal(responseError(502, Buffer.from('<html>')).message, 'received unexpected HTTP status: 502 Bad Gateway');
  assert.equal(new RegistryResponseError(503, []).isRetryable, true);
  assert.equal(new RegistryResponseError(404, []).isRetryable, false);
});

test('insecure registries: names, CIDRs, and loopback by default', async () => {
  const hosts = new RegistryHosts({ registryMirrors: [], insecureRegistries: ['reg.test:5000', '10.0.0.0/8'], certsDir: '/nonexistent' });
  assert.equal(await hosts.isInsecure('reg.test:5000'), true);
  assert.equal(await hosts.isInsecure('10.1.2.3:5000'), true);
  assert.equal(await hosts.isInsecure('127.0.0.1:5000'), true);
  assert.equal(await hosts.isInsecure('[::1]:5000'), true);
  assert.equal(await hosts.isInsecure('192.168.1.1:5000'), false);
  assert.equal(await hosts.isInsecure('docker.io'), false);
  const eps = await hosts.endpoints('10.1.2.3:5000');
  assert.deepEqual(eps.map((e) => e.url.href), ['https://10.1.2.3:5000/', 'http://10.1.2.3:5000/']);
  assert.equal(eps[0]!.tls.skipVerify, true);
  assert.equal(parseCidr('1.2.3.4'), undefined);
});

test('mirrors come first for docker.io pulls only', async () => {
  const hosts = new RegistryHosts({ registryMirrors: ['http://127.0.0.1:5001/'], insecureRegistries: [], certsDir: '/nonexistent' });
  const pull = await hosts.endpoints('docker.io');
  assert.equal(pull[0]!.url.href, 'http://127.0.0.1:5001/');
  assert.equal(pull[0]!.isMirror, true);
  assert.equal(pull.length, 2);
  assert.equal((await hosts.endpoints('docker.io', { isPush: true })).length, 1);
  assert.equal((await hosts.endpoints('127.0.0.1:5000')).some((e) => e.isMirror), false);
});

test('progress text matches docker\'s', () => {
  assert.equal(humanSize(525), '525B');
  assert.equal(humanSize(3_456_789), '3.457MB');
  assert.equal(progressBar(50, 100), `[${'='.repeat(25)}>${' '.repeat(25)}]      50B/100B`);
});

test('search terms name their index', () => {
  assert.deepEqual(splitSearchTerm('busybox'), { index: 'docker.io', remote: 'busybox' });
  assert.deepEqual(splitSearchTerm('user/app'), { index: 'docker.io', remote: 'user/app' });
  assert.deepEqual(splitSearchTerm('127.0.0.1:5000/app'), { index: '127.0.0.1:5000', remote: 'app' });
  assert.deepEqual(splitSearchTerm('localhost/app'), { index: 'localhost', remote: 'app' });
});

test('tee feeds both sides at the slower pace; coalesce joins small chunks', async () => {
  const { Readable } = await import('node:stream');
  const { tee, coalesce } = await import('./download.js');
  const chunks = Array.from({ length: 200 }, (_, i) => Buffer.alloc(10_000, i));
  const [a, b] = tee(Readable.from(chunks), 16_384);
  const read = async (r: AsyncIterable<Buffer>, slowMs: number) => {
    let n = 0;
    for await (const c of r) { n += c.length; if (slowMs) await new Promise((res) => setTimeout(res, slowMs)); }
    return n;
  };
  assert.deepEqual(await Promise.all([read(a, 0), read(b, 1)]), [2_000_000, 2_000_000]);
  const sizes: number[] = [];
  for await (const c of Readable.from(chunks).pipe(coalesce(64_000))) sizes.push((c as Buffer).length);
  assert.equal(sizes.reduce((x, y) => x + y, 0), 2_000_000);
  assert.ok(sizes.slice(0, -1).every((s) => s >= 64_000), JSON.stringify(sizes));
});

test('tee: one side closing early leaves the other reading to the end', async () => {
  const { Readable } = await import('node:stream');
  const { tee } = await import('./download.js');
  const [a, b] = tee(Readable.from(Array.from({ length: 100 }, () => Buffer.alloc(50_000))), 16_384);
  a.destroy();
  let n = 0;
  for await (const c of b) n += (c as Buffer).length;
  assert.equal(n, 5_000_000);
});
