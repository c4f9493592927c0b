import assert from 'node:assert/strict';
import { accessSync, constants, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor, type ExecResult } from '../../src/util/index.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, out, type ContainerJson } from '../helpers/containers.js';
import { freePort } from '../helpers/registry.js';

/**
 * Debian's docker-compose 1.29 (Python, docker-py 5: it speaks only the Engine API, and calls
 * the docker CLI for `run`, `exec` and `build` unless told not to) against a real berthd
 * (issue 14, "docker-compose interoperates"). One project goes through a user's day: up,
 * ps, logs, exec, run, stop/start/restart/kill, scale, a changed service re-upped, build, down.
 */
const composeBin = findOnPath('docker-compose');
const skip = needsDocker.skip || (composeBin ? false : 'no docker-compose on PATH (Debian: apt-get install docker-compose)');
if (!composeBin) console.log(`# skipping docker-compose v1 interoperation: ${skip}`);

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // Not in this directory: look in the next one.
    }
  }
  return undefined;
}

const COMPOSE_FILE = `version: "3.7"
services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo \\"hello $$GREETING\\" > /www/index.html && echo web ready && exec httpd -f -p 8080 -h /www"]
    init: true
    environment:
      GREETING: \${GREETING}
    ports:
      - "127.0.0.1:\${WEB_PORT}:8080"
    networks:
      front:
        aliases: [webalias]
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 30
  db:
    image: busybox
    command: ["sh", "-c", "echo started $$DB_TAG >> /data/boot.log; echo db ready; exec sleep 100000"]
    environment:
      DB_TAG: \${DB_TAG}
    volumes:
      - dbdata:/data
    networks: [front]
    stop_signal: SIGKILL
  app:
    image: busybox
    command: ["sh", "-c", "echo app ready; exec sleep 100000"]
    depends_on: [web, db]
    links: ["db:database"]
    networks: [front]
    stop_signal: SIGKILL
  built:
    build: ./b
    image: \${PROJECT}-built:1
    networks: [front]
volumes:
  dbdata: {}
networks:
  front: {}
`;

describe('docker-compose v1 against berthd', { skip }, () => {
  let d: TestDaemon;
  let dir: string;
  let project: string;
  let port: number;
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host,
    DOCKER_BUILDKIT: '0', ...extra,
  });
  const compose = (args: string[], o: { allowFailure?: boolean; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<ExecResult> =>
    exec(composeBin!, ['-p', project, ...args], { cwd: o.cwd ?? dir, env: env(o.env), allowFailure: o.allowFailure, timeoutMs: o.timeoutMs ?? 120_000 });
  const text = async (args: string[], o: { env?: Record<string, string> } = {}): Promise<string> => out(await compose(args, o));
  const name = (service: string, n = 1): string => `${project}_${service}_${n}`;
  const inspect = (service: string, n = 1): Promise<ContainerJson> => inspectContainer(d, name(service, n));
  const writeEnv = (greeting: string, dbTag: string): Promise<void> => fsp.writeFile(path.join(dir, '.env'), `GREETING=${greeting}\nWEB_PORT=${port}\nDB_TAG=${dbTag}\nPROJECT=${project}\n`);
  /** `docker-compose ps` as service -> its State and Ports columns. */
  const ps = async (): Promise<Record<string, string>> => {
    const rows: Record<string, string> = {};
    for (const line of (await text(['ps'])).split('\n')) {
      const m = new RegExp(`^${project}_(\\S+)\\s+.*?\\s{2,}(Up \\(\\w+(?:: \\w+)?\\)|Up|Exit -?\\d+|Paused|Restarting)\\s*(.*?)\\s*$`).exec(line);
      if (m) rows[m[1]!] = m[3] ? `${m[2]} ${m[3]}` : m[2]!;
    }
    return rows;
  };
  const healthy = (service: string): Promise<ContainerJson> => waitFor(`${service} to be healthy`, async () => {
    const c = await inspect(service) as ContainerJson & { State: { Health?: { Status: string } } };
    return c.State.Running && c.State.Health?.Status === 'healthy' ? c : undefined;
  }, { timeoutMs: 60_000 });
  /** GET / on the published port, on a fresh connection each time (no pooled socket into a container that is gone). */
  const fetchWeb = (): Promise<string> => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port} timed out`)));
    req.on('error', reject);
  });
  const ourNetworks = async (): Promise<string[]> => out(await d.docker(['network', 'ls', '--format', '{{.Name}}'])).split('\n').filter((n) => n.startsWith(`${project}_`));
  const ourVolumes = async (): Promise<string[]> => out(await d.docker(['volume', 'ls', '--format', '{{.Name}}'])).split('\n').filter((n) => n.startsWith(`${project}_`));

  before(async () => {
    d = await startDaemon('compose-v1');
    await importBusybox(d);
    project = `cv1${Date.now().toString(36)}`;
    port = await freePort();
    dir = path.join(d.dir, 'proj');
    await fsp.mkdir(path.join(dir, 'b'), { recursive: true });
    await fsp.writeFile(path.join(dir, 'docker-compose.yml'), COMPOSE_FILE);
    await fsp.writeFile(path.join(dir, 'b', 'Dockerfile'), 'FROM busybox\nRUN echo built > /built.txt\nCMD ["cat", "/built.txt"]\n');
    await writeEnv('world', 'one');
  });
  after(async () => {
    // Whatever a failed test left: the project's containers, network and volume, then the daemon.
    if (!d) return;
    await compose(['down', '-v', '--remove-orphans', '-t', '0'], { allowFailure: true, timeoutMs: 60_000 }).catch(() => undefined);
    await d.stop();
  });

  test('config resolves .env into the file', async () => {
    const cfg = await text(['config']);
    assert.match(cfg, /GREETING: world\n/);
    assert.match(cfg, new RegExp(`- 127\\.0\\.0\\.1:${port}:8080/tcp\n`));
    assert.match(cfg, /aliases:\n\s+- webalias\n/);
    assert.equal(await text(['config', '--services']), 'web\ndb\napp\nbuilt\n');
  });

  test('build: the legacy builder through the docker CLI and through docker-py (POST /build)', async () => {
    const viaCli = await compose(['build', 'built']);
    assert.match(out(viaCli), /Step 2\/3 : RUN echo built > \/built.txt\n/);
    assert.match(out(viaCli), new RegExp(`Successfully tagged ${project}-built:1\n`));
    await fsp.appendFile(path.join(dir, 'b', 'Dockerfile'), 'RUN echo more >> /built.txt\n');
    const viaPy = await compose(['build', 'built'], { env: { COMPOSE_DOCKER_CLI_BUILD: '0' } });
    assert.match(out(viaPy), /Step 2\/4 : RUN echo built > \/built.txt\n ---> Using cache\n/);
    assert.match(out(viaPy), new RegExp(`Successfully tagged ${project}-built:1\n`));
    assert.equal(out(await d.docker(['run', '--rm', `${project}-built:1`])), 'built\nmore\n');
  });

  test('up -d: network with aliases, named volume, published port, depends_on order, healthcheck, labels', async () => {
    await compose(['up', '-d', 'web', 'db', 'app']);
    const web = await healthy('web');
    const db = await inspect('db');
    const app = await inspect('app');
    assert.ok(Date.parse(app.State.StartedAt) >= Date.parse(web.State.StartedAt) && Date.parse(app.State.StartedAt) >= Date.parse(db.State.StartedAt), 'app starts after what it depends on');
    assert.equal(web.HostConfig.RestartPolicy.Name, 'unless-stopped');
    assert.equal(web.Config.Labels?.['com.docker.compose.project'], project);
    assert.equal(web.Config.Labels?.['com.docker.compose.service'], 'web');
    assert.equal(web.Config.Labels?.['com.docker.compose.container-number'], '1');
    assert.match(web.Config.Labels?.['com.docker.compose.config-hash'] ?? '', /^[0-9a-f]{64}$/);
    assert.ok((web.Config.Env ?? []).includes('GREETING=world'));
    assert.deepEqual(await ourNetworks(), [`${project}_front`]);
    assert.deepEqual(await ourVolumes(), [`${project}_dbdata`]);

    assert.deepEqual(await ps(), {
      app_1: 'Up', db_1: 'Up', web_1: `Up (healthy) 127.0.0.1:${port}->8080/tcp`,
    });
    assert.equal(await fetchWeb(), 'hello world\n');
    // Service name and network alias resolve on the project network, from one container to another.
    assert.equal(await text(['exec', '-T', 'app', 'wget', '-q', '-O', '-', 'http://webalias:8080/']), 'hello world\n');
    assert.equal(await text(['exec', '-T', 'app', 'wget', '-q', '-O', '-', 'http://web:8080/']), 'hello world\n');
    assert.equal(await text(['exec', '-T', 'app', 'sh', '-c', 'ping -c 1 -W 5 db >/dev/null && echo reached']), 'reached\n');
    // `links:` on the project network (EndpointSettings.Links): the alias names db's address, for app.
    const dbIp = (db as unknown as { NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }).NetworkSettings.Networks[`${project}_front`]!.IPAddress;
    assert.equal(await text(['exec', '-T', 'app', 'sh', '-c', 'ping -c 1 -W 5 database | sed -n "s/^PING database (\\([0-9.]*\\)).*/\\1/p"']), `${dbIp}\n`);
    assert.equal(await text(['exec', '-T', 'db', 'cat', '/data/boot.log']), 'started one\n');
  });

  test('exec -T: exit codes and both streams, through the docker CLI and through docker-py', async () => {
    const failed = await compose(['exec', '-T', 'app', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 3'], { allowFailure: true });
    assert.equal(failed.code, 3);
    assert.equal(out(failed), 'to-out\n');
    assert.match(failed.stderr, /to-err\n/);
    const py = await compose(['exec', '-T', 'app', 'sh', '-c', 'echo to-out; echo to-err >&2; exit 4'], { allowFailure: true, env: { COMPOSE_INTERACTIVE_NO_CLI: '1' } });
    assert.equal(py.code, 4);
    assert.match(out(py), /to-out\n/);
    assert.match(out(py) + py.stderr, /to-err\n/);
  });

  test('run --rm -T: a one-off container on the project network, removed after', async () => {
    const r = await compose(['run', '--rm', '-T', 'app', 'sh', '-c', 'echo from run; wget -q -O - http://web:8080/; exit 5'], { allowFailure: true });
    assert.equal(r.code, 5, r.stderr);
    assert.equal(out(r), 'from run\nhello world\n');
    const built = await compose(['run', '--rm', '-T', 'built']);
    assert.equal(out(built), 'built\nmore\n');
    assert.equal(out(await d.docker(['ps', '-a', '-q', '--filter', 'label=com.docker.compose.oneoff=True'])), '');
  });

  test('logs: per service and all, with prefixes', async () => {
    assert.match(await text(['logs', '--no-color', 'db']), /db_1 +\| db ready\n/);
    const all = await text(['logs', '--no-color']);
    for (const s of ['web', 'db', 'app']) assert.match(all, new RegExp(`${s}_1 +\\| ${s} ready\n`));
  });

  test('the restart policy brings web back after its process is killed', async () => {
    const before = await inspect('web');
    process.kill(before.State.Pid, 'SIGKILL');
    await waitFor('web to be restarted', async () => {
      const c = await inspect('web');
      return c.RestartCount === 1 && c.State.Running && c.State.Pid !== before.State.Pid ? c : undefined;
    }, { timeoutMs: 30_000 });
    await healthy('web');
    // From the host at once: the restarted container keeps its address and MAC, so the host's
    // neighbour entry still holds (with a new random MAC this timed out for seconds).
    assert.equal(await fetchWeb(), 'hello world\n');
    assert.equal(await text(['exec', '-T', 'app', 'wget', '-q', '-O', '-', 'http://web:8080/']), 'hello world\n');
  });

  test('stop, start, restart, kill: states as ps shows them', async () => {
    await compose(['stop', '-t', '5']);
    assert.deepEqual(await ps(), { app_1: 'Exit 137', db_1: 'Exit 137', web_1: 'Exit 143' });
    await compose(['start']);
    await healthy('web');
    assert.deepEqual(await ps(), { app_1: 'Up', db_1: 'Up', web_1: `Up (healthy) 127.0.0.1:${port}->8080/tcp` });
    const started = (await inspect('app')).State.StartedAt;
    await compose(['restart', '-t', '1', 'app']);
    const after = await inspect('app');
    assert.equal(after.State.Running, true);
    assert.notEqual(after.State.StartedAt, started);
    await compose(['kill', 'db']);
    await waitFor('db to exit', async () => ((await inspect('db')).State.Running ? undefined : true));
    assert.equal((await ps()).db_1, 'Exit 137');
    await compose(['start', 'db']);
    assert.equal((await ps()).db_1, 'Up');
    assert.equal(await text(['exec', '-T', 'db', 'cat', '/data/boot.log']), 'started one\nstarted one\nstarted one\n');
  });

  test('up --scale and scale: containers numbered per service', async () => {
    await compose(['up', '-d', '--scale', 'app=3', 'app']);
    const rows = await ps();
    assert.deepEqual([rows.app_1, rows.app_2, rows.app_3], ['Up', 'Up', 'Up']);
    assert.equal((await inspect('app', 3)).Config.Labels?.['com.docker.compose.container-number'], '3');
    await compose(['scale', 'app=1']);
    const left = await ps();
    assert.deepEqual(Object.keys(left).sort(), ['app_1', 'db_1', 'web_1']);
  });

  test('a re-up recreates only the changed service and keeps its volume', async () => {
    const ids = { web: (await inspect('web')).Id, db: (await inspect('db')).Id, app: (await inspect('app')).Id };
    await writeEnv('world', 'two');
    const r = await compose(['up', '-d', 'web', 'db', 'app']);
    assert.match(r.stderr, new RegExp(`Recreating ${name('db')} \\.\\.\\. done`));
    assert.match(r.stderr, new RegExp(`${name('web')} is up-to-date`));
    assert.equal((await inspect('web')).Id, ids.web);
    assert.notEqual((await inspect('db')).Id, ids.db);
    assert.equal(await text(['exec', '-T', 'db', 'cat', '/data/boot.log']), 'started one\nstarted one\nstarted one\nstarted two\n');
    assert.deepEqual(await ourVolumes(), [`${project}_dbdata`]);
    // The same file again: nothing to do.
    const again = await compose(['up', '-d', 'web', 'db', 'app']);
    assert.doesNotMatch(again.stderr, /Recreating|Creating/);
  });

  test('logs -f follows until every container has exited', async () => {
    const other = path.join(d.dir, 'short');
    await fsp.mkdir(other, { recursive: true });
    await fsp.writeFile(path.join(other, 'docker-compose.yml'), `version: "3.7"
services:
  a:
    image: busybox
    command: ["sh", "-c", "echo a-one; sleep 1; echo a-two"]
  b:
    image: busybox
    command: ["sh", "-c", "echo b-one >&2; sleep 2; echo b-two"]
`);
    const p = `${project}short`;
    const run = (args: string[]): Promise<ExecResult> => exec(composeBin!, ['-p', p, ...args], { cwd: other, env: env(), timeoutMs: 60_000 });
    try {
      await run(['up', '-d']);
      const followed = out(await run(['logs', '-f', '--no-color']));
      assert.match(followed, /a_1 +\| a-one\n[^]*a_1 +\| a-two\n/);
      assert.match(followed, /b_1 +\| b-one\n[^]*b_1 +\| b-two\n/);
      assert.match(followed, new RegExp(`${p}_a_1 exited with code 0\n`));
      assert.match(followed, new RegExp(`${p}_b_1 exited with code 0\n`));
      const attached = await exec(composeBin!, ['-p', p, 'up', '--no-color', '--exit-code-from', 'a'], { cwd: other, env: env(), timeoutMs: 60_000, allowFailure: true });
      assert.equal(attached.code, 0, attached.stderr);
      assert.match(out(attached), /a_1 +\| a-two\n/);
    } finally {
      await run(['down', '-v', '-t', '0']);
    }
  });

  test('down -v --remove-orphans leaves no container, network or volume behind', async () => {
    // An orphan: a container of the project whose service is not in the file.
    await fsp.writeFile(path.join(dir, 'orphan.yml'), 'version: "3.7"\nservices:\n  orphan:\n    image: busybox\n    command: ["sleep", "100000"]\n    stop_signal: SIGKILL\n    networks: [front]\nnetworks:\n  front: {}\n');
    await compose(['-f', 'orphan.yml', 'up', '-d']);
    assert.equal((await inspect('orphan')).State.Running, true);
    const r = await compose(['down', '-v', '--remove-orphans', '-t', '1']);
    assert.match(r.stderr, new RegExp(`Removing orphan container "${name('orphan')}"`));
    assert.match(r.stderr, new RegExp(`Removing volume ${project}_dbdata`));
    assert.equal(out(await d.docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`])), '');
    assert.equal(out(await d.docker(['ps', '-a', '-q'])), '');
    assert.deepEqual(await ourNetworks(), []);
    assert.deepEqual(await ourVolumes(), []);
    assert.deepEqual(await ps(), {});
  });
});
