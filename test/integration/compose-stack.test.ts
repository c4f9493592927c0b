import assert from 'node:assert/strict';
import { accessSync, constants, promises as fsp } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
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
 * killed (restarted by its policy) and `down` then `up`. The same stack is then brought up by
 * docker-compose v1 (Debian's 1.29) against the same berthd, as another project.
 */
const PACKAGES = ['nginx-light', 'redis-server', 'busybox', 'openssl'];

const composeV1 = ((): string | undefined => {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      accessSync(path.join(dir, 'docker-compose'), constants.X_OK);
      return path.join(dir, 'docker-compose');
    } catch {
      // Not in this directory: look in the next one.
    }
  }
  return undefined;
})();

/** The stack's compose file; `v1` is docker-compose v1's copy: a bind-mounted site file for its ignored `configs`. */
function stackFile(flavour: 'compose' | 'v1'): string {
  const v1 = flavour === 'v1';
  return [
    'services:',
    '  web:',
    '    build: ./web',
    '    ports: ["127.0.0.1::443"]',
    '    depends_on: [app]',
    '    restart: always',
    '    networks: [backend]',
    '    secrets: [tls_cert, tls_key]',
    v1 ? '    volumes: ["./site.conf:/etc/nginx/conf.d/site.conf:ro"]' : '    configs: [{ source: site, target: /etc/nginx/conf.d/site.conf }]',
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
    ...(v1 ? [] : ['configs: { site: { file: ./site.conf } }']),
  ].join('\n');
}

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
      'compose.yaml': stackFile('compose'),
      // docker-compose v1 ignores `configs` outside a swarm (it warns "use `docker stack
      // deploy`"): its copy mounts the site file instead. Everything else it reads as is.
      'docker-compose.v1.yml': stackFile('v1'),
      '.env': 'REDIS_PASSWORD=pw-from-dotenv\nGREETING=hello from .env\n',
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

  /** The published port of web's 443 as `berth compose port` prints it. */
  const berthPort = async (): Promise<string> => out(await compose(['port', 'web', '443']));
  /** GET https://127.0.0.1:<published>/ trusting only the stack's certificate. */
  async function fetchHits(portOf: () => Promise<string> = berthPort): Promise<string> {
    const port = (await portOf()).trim().split(':').pop()!;
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
  const nextHits = (portOf: () => Promise<string> = berthPort) => waitFor('the stack to answer with a count', async () => {
    const body = await fetchHits(portOf).catch((e: unknown) => `error: ${(e as Error).message}`);
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

  test('docker-compose v1 brings the same stack up as another project: TLS through web, app, db; data survives down and up; down -v leaves nothing', { skip: composeV1 ? false : 'no docker-compose on PATH' }, async (t: TestContext) => {
    const project = 'stackv1';
    const v1 = (args: string[], allowFailure = false) => exec(composeV1!, ['-f', path.join(dir, 'docker-compose.v1.yml'), '-p', project, ...args], {
      cwd: dir, allowFailure, timeoutMs: 300_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', COMPOSE_INTERACTIVE_NO_CLI: '1' },
    });
    t.after(async () => { await v1(['down', '-v', '--rmi', 'local', '-t', '1'], true); });
    const v1Port = async (): Promise<string> => out(await v1(['port', 'web', '443']));
    const count = (body: string): number => Number(/^hits=(\d+) greeting=hello from \.env\n$/.exec(body)?.[1] ?? NaN);
    const ours = async (kind: 'ps -a' | 'network ls' | 'volume ls'): Promise<string[]> => {
      const r = await d.docker([...kind.split(' '), '--format', kind === 'ps -a' ? '{{.Names}}' : '{{.Name}}']);
      return out(r).split('\n').filter((n) => n.startsWith(`${project}_`));
    };

    await v1(['build']);
    await v1(['up', '-d']);
    const port = (await v1Port()).trim();
    assert.match(port, /^127\.0\.0\.1:\d+$/);
    const berths = await compose(['port', 'web', '443'], true);
    assert.notEqual(port, out(berths).trim(), 'another published port than the berth compose project');
    // web -> app -> db: the count only moves when the CGI script reached redis.
    const first = count(await nextHits(v1Port));
    assert.ok(first >= 1, `a count: ${first} (${seen.join(' | ')})`);
    assert.equal(count(await fetchHits(v1Port)), first + 1);
    const db = await inspectContainer(d, `${project}_db_1`) as unknown as { Mounts: Array<{ Name?: string; Destination: string }> };
    assert.ok(db.Mounts.some((m) => m.Name === `${project}_dbdata` && m.Destination === '/data'), JSON.stringify(db.Mounts));

    await v1(['down', '-t', '1']);
    assert.deepEqual(await ours('ps -a'), [], 'down removes the containers');
    assert.deepEqual(await ours('volume ls'), [`${project}_dbdata`], 'down keeps the named volume');
    await v1(['up', '-d']);
    const afterUp = count(await nextHits(v1Port));
    assert.ok(afterUp > first + 1, `the count survives down and up: ${afterUp} after ${first + 1} (${seen.join(' | ')})`);

    await v1(['down', '-v', '-t', '1']);
    assert.deepEqual({ containers: await ours('ps -a'), networks: await ours('network ls'), volumes: await ours('volume ls') }, { containers: [], networks: [], volumes: [] });
  });
});
