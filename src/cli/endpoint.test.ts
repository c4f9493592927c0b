import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { contextId, contextName, flagTls, loadClientTls, resolveEndpoint } from './endpoint.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-endpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const noConfig = { dir: path.join(dir, 'none'), file: {} };

describe('the CLI\'s TLS options, as docker\'s', () => {
  it('is off without --tls, --tlsverify, DOCKER_TLS or DOCKER_TLS_VERIFY', () => {
    assert.equal(flagTls({ hosts: [] }, {}), undefined);
    assert.equal(flagTls({ hosts: [], tls: false }, { DOCKER_TLS: '1' }), undefined);
  });

  it('turns on with --tlsverify (even =false), DOCKER_TLS_VERIFY, --tls or DOCKER_TLS; only verify checks the daemon', () => {
    const env = { DOCKER_CERT_PATH: '/certs' };
    assert.deepEqual(flagTls({ hosts: [], tlsVerify: true }, env), { caFile: '/certs/ca.pem', certFile: undefined, keyFile: undefined, verifyServer: true });
    assert.equal(flagTls({ hosts: [], tlsVerify: false }, env)?.verifyServer, false);
    assert.equal(flagTls({ hosts: [] }, { ...env, DOCKER_TLS_VERIFY: '1' })?.verifyServer, true);
    assert.equal(flagTls({ hosts: [], tls: true }, env)?.verifyServer, false);
    assert.equal(flagTls({ hosts: [] }, { ...env, DOCKER_TLS: '1' })?.verifyServer, false);
    assert.equal(flagTls({ hosts: [], tls: true }, { DOCKER_CONFIG: '/cfg' })?.caFile, '/cfg/ca.pem', 'DOCKER_CERT_PATH defaults to the config directory');
  });

  it('keeps default client cert and key only when the files exist; given paths always', () => {
    const certs = path.join(dir, 'certs');
    mkdirSync(certs, { recursive: true });
    writeFileSync(path.join(certs, 'cert.pem'), 'C');
    writeFileSync(path.join(certs, 'key.pem'), 'K');
    assert.deepEqual(flagTls({ hosts: [], tlsVerify: true }, { DOCKER_CERT_PATH: certs }), { caFile: path.join(certs, 'ca.pem'), certFile: path.join(certs, 'cert.pem'), keyFile: path.join(certs, 'key.pem'), verifyServer: true });
    assert.equal(flagTls({ hosts: [], tlsVerify: true, tlsCert: '/x.pem' }, { DOCKER_CERT_PATH: '/nope' })?.certFile, '/x.pem');
  });

  it('fails with docker\'s words when a file cannot be read; the CA is read only to verify', () => {
    assert.throws(() => loadClientTls({ caFile: '/nonexistent/ca.pem', verifyServer: true }), { message: 'open /nonexistent/ca.pem: no such file or directory' });
    assert.deepEqual(loadClientTls({ caFile: '/nonexistent/ca.pem', verifyServer: false }), { ca: undefined, cert: undefined, key: undefined, verifyServer: false });
  });
});

describe('docker contexts', () => {
  it('resolves the name as docker does: --context, -H, DOCKER_HOST, DOCKER_CONTEXT, currentContext', () => {
    const cfg = { dir, file: { currentContext: 'cur' } };
    assert.equal(contextName({ hosts: [], context: 'flag' }, { DOCKER_CONTEXT: 'env' }, cfg), 'flag');
    assert.equal(contextName({ hosts: ['unix:///x'] }, { DOCKER_CONTEXT: 'env' }, cfg), 'default');
    assert.equal(contextName({ hosts: [] }, { DOCKER_HOST: 'unix:///x', DOCKER_CONTEXT: 'env' }, cfg), 'default');
    assert.equal(contextName({ hosts: [] }, { DOCKER_CONTEXT: 'env' }, cfg), 'env');
    assert.equal(contextName({ hosts: [] }, {}, cfg), 'cur');
    assert.equal(contextName({ hosts: [] }, {}, noConfig), 'default');
    assert.throws(() => contextName({ hosts: ['unix:///x'], context: 'c' }, {}, cfg), { message: 'conflicting options: cannot specify both --host and --context' });
  });

  it('reads docker\'s store: meta.json by the name\'s sha256, TLS files beside', () => {
    const id = contextId('remote');
    assert.equal(id, 'b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a', 'sha256("remote"), the directory docker made');
    const meta = path.join(dir, 'contexts', 'meta', id);
    const tls = path.join(dir, 'contexts', 'tls', id, 'docker');
    mkdirSync(meta, { recursive: true });
    mkdirSync(tls, { recursive: true });
    writeFileSync(path.join(meta, 'meta.json'), JSON.stringify({ Name: 'remote', Metadata: {}, Endpoints: { docker: { Host: 'tcp://127.0.0.1:2376', SkipTLSVerify: false } } }));
    writeFileSync(path.join(tls, 'ca.pem'), 'CA');
    const ep = resolveEndpoint({ hosts: [], context: 'remote' }, {}, { dir, file: {} });
    assert.deepEqual(ep, { host: 'tcp://127.0.0.1:2376', context: 'remote', tls: { caFile: path.join(tls, 'ca.pem'), certFile: undefined, keyFile: undefined, verifyServer: true } });
    assert.throws(() => resolveEndpoint({ hosts: [], context: 'nope' }, {}, { dir, file: {} }), { message: new RegExp(`^context "nope": context not found: open ${dir}/contexts/meta/${contextId('nope')}/meta.json: no such file or directory$`) });
  });
});
