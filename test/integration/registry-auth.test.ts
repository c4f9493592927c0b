import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { berthBin, berthdBin, needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { exec } from '../../src/util/index.js';
import { RegistryHosts } from '../../src/registry/hosts.js';
import { send } from '../../src/registry/transport.js';
import { umociImage } from '../helpers/fixtures.js';
import { makeCerts, seedImage, startRegistry, startSearchStub, startTokenServer, type Certs, type SearchStub, type TestRegistry, type TokenServer } from '../helpers/registry.js';

async function imageCount(d: TestDaemon): Promise<number> {
  return (JSON.parse((await d.request('GET', '/images/json?all=1')).body) as unknown[]).length;
}

async function configJson(d: TestDaemon): Promise<{ auths?: Record<string, { auth?: string }> }> {
  return JSON.parse(await fsp.readFile(path.join(d.dir, 'docker-config', 'config.json'), 'utf8')) as { auths?: Record<string, { auth?: string }> };
}

describe('htpasswd (Basic) registry', needsDocker, () => {
  let reg: TestRegistry;
  let d: TestDaemon;
  let layout: string;
  before(async () => {
    layout = (await umociImage()).layout;
    reg = await startRegistry('basic', { htpasswd: { alice: 's3cret' } });
    await seedImage(`oci:${layout}:v1`, `${reg.host}/private/app:v1`, { creds: 'alice:s3cret' });
    d = await startDaemon('registry-basic');
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
  });

  test('a pull without credentials is refused and stores nothing', async () => {
    const r = await d.docker(['pull', `${reg.host}/private/app:v1`], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `Error response from daemon: Get "http://${reg.host}/v2/private/app/manifests/v1": no basic auth credentials\n`);
    assert.equal(await imageCount(d), 0);
  });

  test('docker login checks through POST /auth and writes docker\'s config.json', async () => {
    const bad = await d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 'wrong\n', allowFailure: true });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`Error response from daemon: login attempt to http://${reg.host.replace(/\./g, '\\.')}/v2/ failed with status: 401 Unauthorized`));
    const ok = await d.docker(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret\n' });
    assert.match(ok.stdout.toString(), /^Login Succeeded$/m);
    const cfg = await configJson(d);
    assert.equal(Buffer.from(cfg.auths?.[reg.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
  });

  test('with the stored credentials docker and berth pull and push', async () => {
    await d.docker(['pull', `${reg.host}/private/app:v1`]);
    await d.docker(['tag', `${reg.host}/private/app:v1`, `${reg.host}/private/copy:v1`]);
    const push = await d.berth(['push', `${reg.host}/private/copy:v1`]);
    assert.match(push.stdout.toString(), /^v1: digest: sha256:/m);
    await d.docker(['rmi', `${reg.host}/private/app:v1`, `${reg.host}/private/copy:v1`]);
    const pull = await d.berth(['pull', `${reg.host}/private/copy:v1`]);
    assert.match(pull.stdout.toString(), /Downloaded newer image/);
  });

  // Regression (issue 11, finding 6): X-Registry-Auth as pulls read it; refusals as dockerd words them.
  test('GET /distribution/{name}/json authenticates with X-Registry-Auth', async () => {
    const path = `/distribution/${reg.host}/private/app:v1/json`;
    const anonymous = await d.request('GET', path);
    assert.deepEqual([anonymous.status, JSON.parse(anonymous.body)], [500, { message: `Head "http://${reg.host}/v2/private/app/manifests/v1": no basic auth credentials` }]);
    const header = (password: string) => ({ 'X-Registry-Auth': Buffer.from(JSON.stringify({ username: 'alice', password, serveraddress: reg.host })).toString('base64url') });
    const wrong = await d.request('GET', path, undefined, header('wrong'));
    assert.deepEqual([wrong.status, JSON.parse(wrong.body)], [401, { message: 'unauthorized: authentication required' }]);
    const ok = await d.request('GET', path, undefined, header('s3cret'));
    assert.equal(ok.status, 200, ok.body);
    const head = await fetch(`${reg.url}/v2/private/app/manifests/v1`, { method: 'HEAD', headers: { Authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const got = JSON.parse(ok.body) as { Descriptor: { digest: string; size: number }; Platforms: Array<{ os: string; architecture: string }> };
    assert.equal(got.Descriptor.digest, head.headers.get('docker-content-digest'));
    assert.equal(got.Descriptor.size, Number(head.headers.get('content-length')));
    assert.deepEqual(got.Platforms.map((p) => `${p.os}/${p.architecture}`), ['linux/amd64']);
  });

  test('berth login and logout edit the same file', async () => {
    const out = await d.berth(['logout', reg.host]);
    assert.equal(out.stdout.toString(), `Removing login credentials for ${reg.host}\n`);
    assert.equal((await configJson(d)).auths?.[reg.host], undefined);
    const login = await d.berth(['login', '-u', 'alice', '--password-stdin', reg.host], { input: 's3cret\n' });
    assert.match(login.stdout.toString(), /^Login Succeeded$/m);
    assert.match(login.stderr, /WARNING! Your credentials are stored unencrypted/);
    assert.equal(Buffer.from((await configJson(d)).auths?.[reg.host]?.auth ?? '', 'base64').toString(), 'alice:s3cret');
  });

  test('a credsStore helper stores and serves the credentials instead of config.json', async () => {
    const dir = await scratchDir('credhelper');
    try {
      const bin = path.join(dir, 'bin');
      const cfgDir = path.join(dir, 'config');
      await fsp.mkdir(bin);
      await fsp.mkdir(cfgDir);
      await fsp.writeFile(path.join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'berthtest' }));
      await fsp.writeFile(path.join(bin, 'docker-credential-berthtest'), [
        '#!/bin/bash',
        `d=${dir}`,
        'case "$1" in',
        '  store) cat > "$d/cred.json" ;;',
        '  get) read -r server; if [ -f "$d/cred.json" ] && grep -qF -- "$server" "$d/cred.json"; then cat "$d/cred.json"; else echo "credentials not found in native keychain"; exit 1; fi ;;',
        '  erase) rm -f "$d/cred.json" ;;',
        'esac', '',
      ].join('\n'), { mode: 0o755 });
      const env = { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, HOME: dir, DOCKER_CONFIG: cfgDir, BERTH_HOST: d.host };
      const berth = (args: string[], input?: string) => exec(process.execPath, [berthBin, ...args], { env, input, timeoutMs: 60_000 });
      const login = await berth(['login', '-u', 'alice', '--password-stdin', reg.host], 's3cret');
      assert.match(login.stdout.toString(), /^Login Succeeded$/m);
      assert.doesNotMatch(login.stderr, /stored unencrypted/);
      assert.deepEqual(JSON.parse(await fsp.readFile(path.join(dir, 'cred.json'), 'utf8')), { ServerURL: reg.host, Username: 'alice', Secret: 's3cret' });
      assert.deepEqual((JSON.parse(await fsp.readFile(path.join(cfgDir, 'config.json'), 'utf8')) as { auths: unknown }).auths, { [reg.host]: {} });
      await d.docker(['rmi', '-f', `${reg.host}/private/copy:v1`], { allowFailure: true });
      const pull = await berth(['pull', `${reg.host}/private/copy:v1`]);
      assert.match(pull.stdout.toString(), /Downloaded newer image/);
      await berth(['logout', reg.host]);
      await assert.rejects(fsp.access(path.join(dir, 'cred.json')));
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('token (Bearer) registry', needsDocker, () => {
  let certs: Certs;
  let certDir: string;
  let tokens: TokenServer;
  let reg: TestRegistry;
  let d: TestDaemon;
  before(async () => {
    const { layout } = await umociImage();
    certDir = await scratchDir('token-certs');
    certs = await makeCerts(certDir);
    tokens = await startTokenServer({ certs, users: { bob: 'hunter2' }, service: 'berth-test-registry', issuer: 'berth-test-issuer' });
    reg = await startRegistry('token', { token: { realm: tokens.realm, service: 'berth-test-registry', issuer: 'berth-test-issuer', rootCertBundle: certs.tokenCert } });
    await seedImage(`oci:${layout}:v1`, `${reg.host}/team/app:v1`, { creds: 'bob:hunter2' });
    d = await startDaemon('registry-token');
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    await tokens?.stop();
    await fsp.rm(certDir, { recursive: true, force: true });
  });

  test('anonymous pull gets no access', async () => {
    const r = await d.docker(['pull', `${reg.host}/team/app:v1`], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: .*(unauthorized|denied|access)/i);
  });

  test('login, pull and push with tokens fetched once per scope and reused', async () => {
    await d.docker(['login', '-u', 'bob', '--password-stdin', reg.host], { input: 'hunter2' });
    const before = tokens.requests.length;
    await d.docker(['pull', `${reg.host}/team/app:v1`]);
    const used = tokens.requests.slice(before);
    assert.ok(used.length >= 1 && used.length <= 2, `token requests for one pull: ${JSON.stringify(used)}`);
    assert.ok(used.every((u) => u.account === 'bob' && u.status === 200));
    assert.ok(used.some((u) => u.scope.includes('repository:team/app:pull')));
    await d.docker(['tag', `${reg.host}/team/app:v1`, `${reg.host}/team/pushed:v1`]);
    const push = await d.docker(['push', `${reg.host}/team/pushed:v1`]);
    assert.match(push.stdout.toString(), /^v1: digest: sha256:/m);
    assert.ok(tokens.requests.some((u) => u.scope.includes('repository:team/pushed:pull,push')));
  });

  test('a wrong password is refused by login', async () => {
    const r = await d.docker(['login', '-u', 'bob', '--password-stdin', reg.host], { input: 'nope', allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: login attempt to .* failed with status: 401 Unauthorized/);
  });
});

describe('TLS registry with a CA and client certificates from certs.d', needsDocker, () => {
  let certDir: string;
  let certs: Certs;
  let reg: TestRegistry;
  let d: TestDaemon;
  let certsD: string;
  before(async () => {
    const { layout } = await umociImage();
    certDir = await scratchDir('tls-certs');
    certs = await makeCerts(certDir);
    reg = await startRegistry('tls', { tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.caCert } });
    // skopeo reads the same layout as docker's certs.d: *.crt CAs, client.cert + client.key.
    certsD = path.join(certDir, 'certs.d');
    const hostDir = path.join(certsD, reg.host);
    await fsp.mkdir(hostDir, { recursive: true });
    await fsp.copyFile(certs.caCert, path.join(hostDir, 'ca.crt'));
    await fsp.copyFile(certs.clientCert, path.join(hostDir, 'client.cert'));
    await fsp.copyFile(certs.clientKey, path.join(hostDir, 'client.key'));
    await seedImage(`oci:${layout}:v1`, `${reg.host}/secure/app:v1`, { certDir: hostDir, tlsVerify: true });
    d = await startDaemon('registry-tls', ['--certs-dir', certsD]);
  });
  after(async () => {
    await d?.stop();
    await reg?.stop();
    await fsp.rm(certDir, { recursive: true, force: true });
  });

  test('pull over TLS presents the client certificate', async () => {
    const r = await d.docker(['pull', `${reg.host}/secure/app:v1`]);
    assert.match(r.stdout.toString(), /Downloaded newer image/);
  });

  test('certs.d is read as docker does, and its CA is what verifies the registry', async () => {
    const hosts = new RegistryHosts({ registryMirrors: [], insecureRegistries: [], certsDir: certsD });
    const verified = await hosts.tlsFor(reg.host, false);
    assert.equal(verified.ca?.length, 1);
    assert.ok(verified.cert && verified.key);
    const ok = await send({ method: 'GET', url: new URL(`${reg.url}/v2/`), tls: verified });
    ok.body.resume();
    assert.equal(ok.status, 200);
    const noCa = { ...verified, ca: [] };
    await assert.rejects(send({ method: 'GET', url: new URL(`${reg.url}/v2/`), tls: noCa }), /self[- ]signed|unable to verify|certificate/i);
  });

  test('without the client certificate the registry refuses the connection', async () => {
    const other = await startDaemon('registry-tls-nocert', ['--certs-dir', path.join(certDir, 'empty')]);
    try {
      const r = await other.docker(['pull', `${reg.host}/secure/app:v1`], { allowFailure: true });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`Error response from daemon: Get "https://${reg.host.replace(/\./g, '\\.')}/v2/": .*(certificate|alert|handshake)`, 'i'));
      assert.equal(await imageCount(other), 0);
    } finally {
      await other.stop();
    }
  });
});

describe('registry mirror for docker.io', needsDocker, () => {
  let mirror: TestRegistry;
  let d: TestDaemon;
  before(async () => {
    const { layout } = await umociImage();
    mirror = await startRegistry('mirror');
    await seedImage(`oci:${layout}:v1`, `${mirror.host}/library/busybox:latest`);
    d = await startDaemon('registry-mirror', [], { config: { 'registry-mirrors': [`http://${mirror.host}`] } });
  });
  after(async () => {
    await d?.stop();
    await mirror?.stop();
  });

  test('docker pull busybox resolves through the mirror', async () => {
    const r = await d.docker(['pull', 'busybox']);
    const out = r.stdout.toString();
    assert.match(out, /^Using default tag: latest$/m);
    assert.match(out, /^latest: Pulling from library\/busybox$/m);
    assert.match(out, /^Status: Downloaded newer image for busybox:latest$/m);
    assert.equal(out.trim().split('\n').at(-1), 'docker.io/library/busybox:latest');
    const img = JSON.parse((await d.docker(['image', 'inspect', 'busybox'])).stdout.toString()) as Array<{ RepoTags: string[]; RepoDigests: string[] }>;
    assert.deepEqual(img[0]!.RepoTags, ['busybox:latest']);
    assert.match(img[0]!.RepoDigests[0]!, /^busybox@sha256:[0-9a-f]{64}$/);
  });

  test('a mirror is not used for other registries, and daemon.json refuses a bad mirror', async () => {
    const r = await d.docker(['pull', '127.0.0.1:1/library/busybox'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /connection refused/);
    const dir = await scratchDir('badmirror');
    try {
      await fsp.writeFile(path.join(dir, 'daemon.json'), JSON.stringify({ 'registry-mirrors': ['ftp://127.0.0.1:1'] }));
      const bad = await exec(process.execPath, [berthdBin, '--config-file', path.join(dir, 'daemon.json'), '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${dir}/s.sock`, '--pidfile', path.join(dir, 'pid')], { allowFailure: true, timeoutMs: 20_000 });
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, 'berthd: invalid mirror: "ftp://127.0.0.1:1" is not a valid URI\n');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('docker search against a registry search API', needsDocker, () => {
  let stub: SearchStub;
  let d: TestDaemon;
  before(async () => {
    stub = await startSearchStub([
      { name: 'tools/alpha', description: 'The first tool, with a description long enough to be cut by docker', star_count: 12, is_official: true },
      { name: 'tools/beta', description: 'second', star_count: 3, is_official: false },
    ]);
    d = await startDaemon('registry-search');
  });
  after(async () => {
    await d?.stop();
    await stub?.stop();
  });

  test('docker search prints docker\'s table, filters and limit', async () => {
    const r = await d.docker(['search', `${stub.host}/tools`]);
    const lines = r.stdout.toString().trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL$/);
    assert.match(lines[1]!, /^tools\/alpha\s+The first tool, with a description long enou…\s+12\s+\[OK\]$/);
    assert.match(lines[2]!, /^tools\/beta\s+second\s+3\s*$/);
    const official = await d.docker(['search', '--filter', 'is-official=true', '--format', '{{.Name}}', `${stub.host}/tools`]);
    assert.equal(official.stdout.toString(), 'tools/alpha\n');
    const stars = await d.berth(['search', '--filter', 'stars=5', '--format', '{{.Name}}:{{.StarCount}}', `${stub.host}/tools`]);
    assert.equal(stars.stdout.toString(), 'tools/alpha:12\n');
    await d.docker(['search', '--limit', '1', `${stub.host}/tools`]);
    assert.ok(stub.queries.includes('tools|n=1'), JSON.stringify(stub.queries));
    const bad = await d.request('GET', `/images/search?term=${stub.host}/x&limit=1000`);
    assert.equal(bad.status, 400);
    assert.match(bad.body, /limit 1000 is outside the range of \[1, 100\]/);
  });
});
