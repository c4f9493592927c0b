import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exec } from '../util/index.js';
import { EngineClient, readAll } from './engine-client.js';
import { parseHost } from './host.js';

/**
 * EngineClient over TLS against an in-process HTTPS daemon stand-in: which options reach the
 * handshake, and how failures read (Go's words, as the docker CLI prints them). EC keys made
 * by openssl keep this fast.
 */
describe('EngineClient over TLS', () => {
  let dir: string;
  let server: https.Server;
  let port: number;
  const pem: Record<string, Buffer> = {};

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'berth-client-tls-'));
    const p = (n: string) => path.join(dir, n);
    const ossl = (args: string[]) => exec('openssl', args, { timeoutMs: 10_000 });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await ossl(['req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=test-ca']);
    writeFileSync(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    writeFileSync(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      await ossl(['req', ...ec, '-keyout', p(`${who}.key`), '-out', p(`${who}.csr`), '-subj', `/CN=${who}`]);
      await ossl(['x509', '-req', '-in', p(`${who}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${who}.pem`), '-days', '2', '-extfile', p(`${who}.ext`)]);
    }
    for (const n of ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key']) pem[n] = readFileSync(p(n));
    server = https.createServer({ cert: pem['server.pem'], key: pem['server.key'], ca: pem['ca.pem'], requestCert: true, rejectUnauthorized: true }, (req, res) => {
      res.setHeader('Api-Version', '1.47');
      res.end(req.socket.constructor.name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const client = (tls: ConstructorParameters<typeof EngineClient>[0]['tls']) => new EngineClient({ host: `tcp://127.0.0.1:${port}`, tls });

  it('speaks TLS with the CA and the client certificate given', async () => {
    const c = client({ ca: pem['ca.pem'], cert: pem['client.pem'], key: pem['client.key'], verifyServer: true });
    assert.equal((await c.ping()).apiVersion, '1.47');
    const res = await c.request('GET', '/anything');
    assert.equal(await readAll(res.body), 'TLSSocket', 'the daemon saw a TLS connection');
  });

  it('checks the daemon against the given CA only: without it, Go\'s unknown-authority error', async () => {
    const c = client({ cert: pem['client.pem'], key: pem['client.key'], verifyServer: true });
    await assert.rejects(c.ping(), { name: 'ConnectionError', message: `error during connect: Head "https://127.0.0.1:${port}/_ping": tls: failed to verify certificate: x509: certificate signed by unknown authority` });
  });

  it('--tls without --tlsverify skips the daemon\'s certificate', async () => {
    const c = client({ cert: pem['client.pem'], key: pem['client.key'], verifyServer: false });
    assert.equal((await c.ping()).apiVersion, '1.47');
  });

  it('a daemon that requires a client certificate refuses one without', async () => {
    const c = client({ ca: pem['ca.pem'], verifyServer: true });
    await assert.rejects(c.ping(), { name: 'ConnectionError', message: `error during connect: Head "https://127.0.0.1:${port}/_ping": remote error: tls: certificate required` });
  });

  it('defaults to port 2376 with TLS, 2375 without, as docker\'s ParseHost', () => {
    assert.deepEqual(parseHost('tcp://10.0.0.1', true), { proto: 'tcp', hostname: '10.0.0.1', port: 2376, host: 'tcp://10.0.0.1' });
    assert.deepEqual(parseHost('tcp://10.0.0.1', false), { proto: 'tcp', hostname: '10.0.0.1', port: 2375, host: 'tcp://10.0.0.1' });
    assert.deepEqual(parseHost('tcp://10.0.0.1:9', true), { proto: 'tcp', hostname: '10.0.0.1', port: 9, host: 'tcp://10.0.0.1:9' });
  });
});
