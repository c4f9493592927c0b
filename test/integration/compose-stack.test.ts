import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor } from '../../src/util/index.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { inspectContainer, out } from '../helpers/containers.js';
import { debianRootfsTar } from '../helpers/debian.js';

/**
 * A real three-tier stack with `berth compose`, from a Debian base made by debootstrap:
 * nginx terminating TLS on a published loopback port (certificate and key as secrets, its
 * site as a config), an application tier (busybox httpd running a CGI script that talks to
 * the database), and redis with its data in a named volume, all on a user-defined network,
 * `restart: always`, settings from .env. The count it keeps survives the database being
 * killed (restarted by its policy) and `down` then `up`.
 */
const PACKAGES = ['nginx-light', 'redis-server', 'busybox', 'openssl'];

describe('compose: a three-tier stack on a debootstrapped Debian', needsDocker, () => {
  let d: TestDaemon;
  let dir: string;
  const compose = (args: string[], allowFailure = false) => d.berth(['compose', '-f', path.join(dir, 'compose.yaml'), ...args], { timeoutMs: 300_000, allowFailure });

  before(async () => {
    const rootfs = await debianRootfsTar(PACKAGES);
    d = await startDaemon('compose-stack');
    await d.docker(['import', rootfs, 'stack-base:bookworm'], { timeoutMs: 300_000 });
    dir = path.join(d.dir, 'stack');
    await fsp.mkdir(path.join(dir, 'tls'), { recursive: true });
    await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'tls/key.pem'), '-out', path.join(dir, 'tls/cert.pem')], { timeoutMs: 60_000 });
    const files: Record<string, string> = {
      '.env': 'REDIS_PASSWORD=pw-from-dotenv\nGREETING=hello from .env\n',
      'compose.yaml': [
        'services:',
        '  web:',
        '    build: ./web',
        '    ports: ["127.0.0.1::443"]',
        '    depends_on: [app]',
        '    restart: always',
        '    networks: [backend]',
        '    secrets: [tls_cert, tls_key]',
        '    configs: [{ source: site, target: /etc/nginx/conf.d/site.conf }]',
        '  app:',
        '    build: ./app',
        '    environment: { REDIS_PASSWORD: "${REDIS_PASSWORD:?}", GREETING: "${GREETING}" }',
        '    depends_on: { db: { condition: service_healthy } }',
        '    restart: always',
        '    networks: [backend]',
        '  db:',
        '    image: stack-base:bookworm',
        '    command: redis-server --appendonly yes --appendfsync always --dir /data --requirepass "${REDIS_PASSWORD}" --protected-mode no',
        '    environment: { REDISCLI_AUTH: "${REDIS_PASSWORD}" }',
        '    healthcheck: { test: ["CMD-SHELL", "redis-cli ping | grep -q PONG"], interval: 1s, retries: 30 }',
        '    volumes: [dbdata:/data]',
        '    restart: always',
        '    networks: [backend]',
        'networks: { backend: {} }',
        'volumes: { dbdata: {} }',
        'secrets: { tls_cert: { file: ./tls/cert.pem }, tls_key: { file: ./tls/key.pem } }',
        'configs: { site: { file: ./site.conf } }',
      ].join('\n'),
      'site.conf': [
        'server {',
        '  listen 443 ssl;',
        '  ssl_certificate /run/secrets/tls_cert;',
        '  ssl_certificate_key /run/secrets/tls_key;',
        '  location / { proxy_pass http://app:8080/cgi-bin/hits; }',
        '}',
      ].join('\n'),
      'web/Dockerfile': 'FROM stack-base:bookworm\nRUN rm -f /etc/nginx/sites-enabled/default\nCMD ["nginx", "-g", "daemon off;"]\n',
      'app/Dockerfile': 'FROM stack-base:bookworm\nCOPY hits /www/cgi-bin/hits\nRUN chmod 755 /www/cgi-bin/hits\nEXPOSE 8080\nCMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]\n',
      'app/hits': [
        '#!/bin/sh',
        'n=$(REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h db INCR hits)',
        "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
        'echo "hits=$n greeting=$GREETING"',
      ].join('\n'),
    };
    for (const [f, text] of Object.entries(files)) {
      await fsp.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await fsp.writeFile(path.join(dir, f), `${text}\n`);
    }
  });
  after(async () => {
    if (!d) return;
    await compose(['down', '-v', '--rmi', 'local', '-t', '1'], true);
    await d.stop();
  });

  /** GET https://127.0.0.1:<published>/ trusting only the stack's certificate. */
  async function fetchHits(): Promise<string> {
    const port = out(await compose(['port', 'web', '443'])).trim().split(':').pop()!;
    const ca = await fsp.readFile(path.join(dir, 'tls/cert.pem'));
    return new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port: Number(port), path: '/', ca, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}: ${body}`))));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
  }
  /** The first answer carrying a count (retrying while a tier is still coming up: those answers count nothing). */
  const seen: string[] = [];
  const nextHits = () => waitFor('the stack to answer with a count', async () => {
    const body = await fetchHits().catch((e: unknown) => `error: ${(e as Error).message}`);
    seen.push(`${new Date().toISOString()} ${body.slice(0, 60)}`);
    if (!/^hits=\d+ /.test(body)) throw new Error(`answered ${JSON.stringify(body)}`);
    return body;
  }, { timeoutMs: 90_000 });

  test('up builds and starts it; TLS on the loopback port; a killed database comes back by its policy; data survives down and up', async () => {
    await compose(['up', '-d', '--wait']);
    const ps = out(await compose(['ps', '--format', '{{.Service}} {{.State}} {{.Status}}']));
    assert.match(ps, /^app running Up [^\n]*\ndb running Up [^\n]*\(healthy\)\nweb running Up [^\n]*\n$/);
    assert.equal(await fetchHits(), 'hits=1 greeting=hello from .env\n');
    assert.equal(await fetchHits(), 'hits=2 greeting=hello from .env\n');
    const nets = Object.keys((await inspectContainer(d, 'stack-db-1') as unknown as { NetworkSettings: { Networks: Record<string, unknown> } }).NetworkSettings.Networks);
    assert.deepEqual(nets, ['stack_backend']);
    const mounts = (await inspectContainer(d, 'stack-db-1') as unknown as { Mounts: Array<{ Name?: string; Destination: string }> }).Mounts;
    assert.ok(mounts.some((m) => m.Name === 'stack_dbdata' && m.Destination === '/data'));

    // The database process killed from outside: restart: always brings it back with its data.
    const db = await inspectContainer(d, 'stack-db-1');
    process.kill(db.State.Pid, 'SIGKILL');
    await waitFor('the database to be restarted by its policy', async () => {
      const c = await inspectContainer(d, 'stack-db-1') as unknown as { RestartCount: number; State: { Running: boolean; Pid: number } };
      return c.RestartCount >= 1 && c.State.Running && c.State.Pid !== db.State.Pid ? c : undefined;
    }, { timeoutMs: 60_000 });
    // No request before redis answers again: one sent while it restarts may still count once it is back.
    await waitFor('redis to answer again', async () => {
      const r = await compose(['exec', '-T', 'db', 'redis-cli', 'ping'], true);
      if (out(r) !== 'PONG\n') throw new Error(`ping: ${out(r)}${r.stderr}`);
      return true;
    }, { timeoutMs: 60_000 });
    // The count goes on from 2 (a request made while the database came back may have been
    // counted on its way: measured, app→db connections hang for a while after the restart).
    const count = (body: string): number => Number(/^hits=(\d+) greeting=hello from \.env\n$/.exec(body)?.[1] ?? NaN);
    const afterKill = count(await nextHits());
    assert.ok(afterKill >= 3, `the count went on after the restart: ${afterKill} (${seen.join(' | ')})`);

    await compose(['down', '-t', '1']);
    assert.equal(out(await d.docker(['ps', '-aq', '--filter', 'label=com.docker.compose.project=stack'])), '');
    assert.equal(out(await d.docker(['volume', 'ls', '-q', '--filter', 'name=stack_dbdata'])), 'stack_dbdata\n', 'down keeps the named volume');
    await compose(['up', '-d', '--wait']);
    const afterUp = count(await nextHits());
    assert.ok(afterUp > afterKill, `the count survives down and up: ${afterUp} after ${afterKill} (${seen.join(' | ')})`);
  });
});
