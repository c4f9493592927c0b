import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ComposeConfigError } from './errors.js';
import { fixture, load } from './test-fixtures.js';

function dirOf(t: TestContext, files: Record<string, string>, prefix?: string): string {
  const f = fixture(files, prefix);
  t.after(f.cleanup);
  return f.dir;
}

const web = 'services:\n  web:\n    image: nginx\n';

describe('finding the compose files', () => {
  it('reads compose.yaml in the working directory; the project directory is its directory', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': web });
    const p = await load(dir);
    assert.deepEqual(p.configFiles, [path.join(dir, 'compose.yaml')]);
    assert.equal(p.workingDir, dir);
    assert.equal(p.services.web?.image, 'nginx');
  });

  it('prefers compose.yaml to docker-compose.yml, and says so', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': web, 'docker-compose.yml': 'services:\n  other:\n    image: x\n' });
    const warnings: string[] = [];
    const p = await load(dir, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(Object.keys(p.services), ['web']);
    assert.match(warnings[0] ?? '', /^Found multiple config files with supported names: .*compose\.yaml, .*docker-compose\.yml\nUsing .*compose\.yaml$/);
  });

  it('reads docker-compose.yml and its override file, and looks in parent directories', async (t) => {
    const dir = dirOf(t, {
      'docker-compose.yml': web,
      'docker-compose.override.yml': 'services:\n  web:\n    image: nginx:override\n',
      'sub/deeper/.keep': '',
    });
    const p = await load(path.join(dir, 'sub', 'deeper'));
    assert.deepEqual(p.configFiles, [path.join(dir, 'docker-compose.yml'), path.join(dir, 'docker-compose.override.yml')]);
    assert.equal(p.workingDir, dir);
    assert.equal(p.services.web?.image, 'nginx:override');
  });

  it('says "no configuration file provided: not found" when there is none up to /', async (t) => {
    const dir = dirOf(t, { 'empty/.keep': '' });
    await assert.rejects(load(path.join(dir, 'empty')), (e: unknown) => e instanceof ComposeConfigError && e.message === 'no configuration file provided: not found');
  });

  it('takes COMPOSE_FILE (":"-separated, relative to the working directory) instead', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': web, 'a.yml': 'services:\n  a:\n    image: a\n', 'b/b.yml': 'services:\n  b:\n    image: b\n' });
    const p = await load(dir, { env: { COMPOSE_FILE: 'a.yml:b/b.yml' } });
    assert.deepEqual(Object.keys(p.services), ['a', 'b']);
    assert.deepEqual(p.configFiles, [path.join(dir, 'a.yml'), path.join(dir, 'b/b.yml')]);
    const q = await load(dir, { env: { COMPOSE_FILE: 'a.yml;b/b.yml', COMPOSE_PATH_SEPARATOR: ';' } });
    assert.deepEqual(Object.keys(q.services), ['a', 'b']);
  });

  it('-f files win over COMPOSE_FILE; a missing one is "open …: no such file or directory"', async (t) => {
    const dir = dirOf(t, { 'a.yml': 'services:\n  a:\n    image: a\n' });
    const p = await load(dir, { files: ['a.yml'], env: { COMPOSE_FILE: 'nope.yml' } });
    assert.deepEqual(Object.keys(p.services), ['a']);
    await assert.rejects(load(dir, { files: ['a.yml', 'missing.yml'] }), { message: `open ${path.join(dir, 'missing.yml')}: no such file or directory` });
  });

  it('--project-directory sets where relative paths and .env are read, and where discovery starts', async (t) => {
    const dir = dirOf(t, { 'files/compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG}"\n    volumes: ["./data:/data"]\n', 'proj/.env': 'TAG=pd\n' });
    const p = await load(dir, { files: ['files/compose.yaml'], projectDirectory: 'proj' });
    assert.equal(p.workingDir, path.join(dir, 'proj'));
    assert.equal(p.services.web?.image, 'nginx:pd');
    assert.equal(p.services.web?.volumes[0]?.source, path.join(dir, 'proj', 'data'));
    assert.equal(p.name, 'proj');
  });
});

describe('merging -f files as Compose does', () => {
  const base = `
services:
  web:
    image: nginx
    command: ["a", "b"]
    entrypoint: /x
    environment: {A: "1", B: "2"}
    labels: [one=1]
    ports: ["8080:80", "9090:90"]
    expose: ["3000"]
    volumes: ["./a:/data", "logs:/logs"]
    depends_on: [db]
    networks: {front: {aliases: [w]}}
    dns: [1.1.1.1]
    healthcheck: {test: ["CMD", "true"], interval: 10s}
    logging: {driver: json-file, options: {max-size: 1m}}
  db:
    image: postgres
networks:
  front:
volumes:
  logs:
    labels: {a: "1"}
`;
  const override = `
services:
  web:
    image: nginx:2
    command: c
    environment: [B=3, C=4]
    labels: {two: "2"}
    ports: ["8080:80", "7070:70"]
    expose: ["3000", "4000"]
    volumes: ["./b:/data"]
    depends_on: {cache: {condition: service_healthy}}
    networks: [front, back]
    dns: 8.8.8.8
    healthcheck: {test: "true"}
    logging: {options: {max-file: "3"}}
  cache:
    image: redis
networks:
  back:
volumes:
  logs:
    labels: {b: "2"}
`;

  it('replaces scalars, command and entrypoint; merges mappings; appends sequences without duplicates', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': base, 'compose.override.yaml': override });
    const p = await load(dir);
    const w = p.services.web!;
    assert.equal(w.image, 'nginx:2');
    assert.deepEqual(w.command, ['c']);
    assert.deepEqual(w.entrypoint, ['/x']);
    assert.deepEqual(w.environment, { A: '1', B: '3', C: '4' });
    assert.deepEqual(w.labels, { one: '1', two: '2' });
    assert.deepEqual(w.ports.map((x) => `${x.published}:${x.target}`), ['8080:80', '9090:90', '7070:70']);
    assert.deepEqual(w.expose, ['3000', '4000']);
    assert.deepEqual(w.volumes.map((v) => `${v.source}:${v.target}`), [`${path.join(dir, 'b')}:/data`, 'logs:/logs'], 'the later volume on a target takes its place');
    assert.deepEqual(Object.keys(w.depends_on).sort(), ['cache', 'db']);
    assert.equal(w.depends_on.cache?.condition, 'service_healthy');
    assert.deepEqual(w.networks, { front: { aliases: ['w'] }, back: null });
    assert.deepEqual(w.dns, ['1.1.1.1', '8.8.8.8']);
    assert.deepEqual(w.healthcheck, { test: ['CMD-SHELL', 'true'], interval: '10s' });
    assert.deepEqual(w.logging, { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } });
    assert.deepEqual(p.volumes.logs?.labels, { a: '1', b: '2' });
    assert.deepEqual(Object.keys(p.services), ['cache', 'db', 'web']);
    assert.ok(p.networks.back && p.networks.front);
  });

  it('!reset removes what earlier files set, !override replaces instead of merging', async (t) => {
    const dir = dirOf(t, {
      'a.yml': `
services:
  web:
    image: x
    ports: ["80:80"]
    environment: {A: "1", B: "2"}
    labels: {l: "1"}
    volumes: ["/a", "/b"]
    command: echo
  gone:
    image: g
networks:
  old:
`,
      'b.yml': `
services:
  web:
    ports: !reset []
    environment:
      B: !reset null
      C: "3"
    labels: !override {m: "2"}
    volumes: !override ["/c"]
    command: !reset
  gone: !reset
networks:
  old: !reset
`,
    });
    const p = await load(dir, { files: ['a.yml', 'b.yml'] });
    const w = p.services.web!;
    assert.deepEqual(w.ports, []);
    assert.deepEqual(w.environment, { A: '1', C: '3' });
    assert.deepEqual(w.labels, { m: '2' });
    assert.deepEqual(w.volumes, [{ type: 'volume', target: '/c' }]);
    assert.equal(w.command, undefined);
    assert.deepEqual(Object.keys(p.services), ['web']);
    assert.deepEqual(Object.keys(p.networks), ['default']);
    const first = await load(dir, { files: ['b.yml'] }).catch((e: Error) => e.message);
    assert.match(String(first), /neither an image nor a build context/, 'markers in a first file are just their values');
  });

  it('a logging driver change drops the earlier options', async (t) => {
    const dir = dirOf(t, {
      'a.yml': 'services:\n  w:\n    image: x\n    logging: {driver: json-file, options: {max-size: 1m}}\n',
      'b.yml': 'services:\n  w:\n    logging: {driver: syslog}\n',
    });
    assert.deepEqual((await load(dir, { files: ['a.yml', 'b.yml'] })).services.w?.logging, { driver: 'syslog' });
  });
});

describe('the project name', () => {
  it('is the directory name, normalized: lowercase, only [a-z0-9_-], no leading - or _', async (t) => {
    const dir = dirOf(t, { 'My.App_V2/compose.yaml': web }, '_berth-X-');
    const p = await load(path.join(dir, 'My.App_V2'));
    assert.equal(p.name, 'myapp_v2');
  });

  it('comes from `name:` (interpolated), COMPOSE_PROJECT_NAME (process or .env), then -p, in rising order', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': `name: "from-\${WHO:-file}"\n${web}` });
    assert.equal((await load(dir)).name, 'from-file');
    assert.equal((await load(dir, { env: { WHO: 'env' } })).name, 'from-env');
    assert.equal((await load(dir, { env: { COMPOSE_PROJECT_NAME: 'envname' } })).name, 'envname');
    assert.equal((await load(dir, { env: { COMPOSE_PROJECT_NAME: 'envname' }, projectName: 'flag' })).name, 'flag');
    const withDotenv = dirOf(t, { 'compose.yaml': web, '.env': 'COMPOSE_PROJECT_NAME=dotenv\n' });
    assert.equal((await load(withDotenv)).name, 'dotenv');
  });

  it('normalizes a `name:` from the files as the directory\'s', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': `name: My Project\n${web}` });
    assert.equal((await load(dir)).name, 'myproject');
  });

  it('refuses an explicit name Compose would refuse', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': web });
    await assert.rejects(load(dir, { projectName: 'My App' }),
      { message: 'invalid project name "My App": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number' });
  });

  it('is available to the files as ${COMPOSE_PROJECT_NAME}', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: nginx\n    container_name: ${COMPOSE_PROJECT_NAME}-web\n' });
    assert.equal((await load(dir, { projectName: 'pn' })).services.web?.container_name, 'pn-web');
  });
});

describe('.env, --env-file and interpolation', () => {
  const file = 'services:\n  web:\n    image: "nginx:${TAG}"\n    environment: [ "A=${A:-da}", "B=$$notavar" ]\n';

  it('reads .env in the project directory; the process environment wins', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': file, '.env': 'TAG=dotenv\nA=from-dotenv\n' });
    const p = await load(dir);
    assert.equal(p.services.web?.image, 'nginx:dotenv');
    assert.deepEqual(p.services.web?.environment, { A: 'from-dotenv', B: '$notavar' });
    assert.equal(p.environment.TAG, 'dotenv');
    assert.equal((await load(dir, { env: { TAG: 'proc' } })).services.web?.image, 'nginx:proc');
  });

  it('.env may set COMPOSE_FILE; the project directory\'s .env is read too; COMPOSE_DISABLE_ENV_FILE turns it off', async (t) => {
    const dir = dirOf(t, {
      'run/.env': 'COMPOSE_FILE=../app/app.yml\n',
      'app/app.yml': file,
      'app/.env': 'TAG=from-app\nCOMPOSE_FILE=ignored.yml\n',
    });
    const p = await load(path.join(dir, 'run'));
    assert.deepEqual(p.configFiles, [path.join(dir, 'app', 'app.yml')]);
    assert.equal(p.services.web?.image, 'nginx:from-app');
    const parent = dirOf(t, { 'compose.yaml': file, '.env': 'TAG=parent\n', 'sub/.keep': '' });
    assert.equal((await load(path.join(parent, 'sub'))).services.web?.image, 'nginx:parent', 'the .env beside the file found in a parent');
    assert.equal((await load(parent, { env: { COMPOSE_DISABLE_ENV_FILE: 'true' } })).services.web?.image, 'nginx:');
  });

  it('--env-file (several, later wins) replaces .env; a missing one is an error', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': file, '.env': 'TAG=dotenv\n', 'one.env': 'TAG=one\nA=one\n', 'two.env': 'TAG=two\n' });
    const p = await load(dir, { envFiles: ['one.env', 'two.env'] });
    assert.equal(p.services.web?.image, 'nginx:two');
    assert.equal(p.services.web?.environment.A, 'one');
    await assert.rejects(load(dir, { envFiles: ['nope.env'] }), { message: `env file ${path.join(dir, 'nope.env')} not found: stat ${path.join(dir, 'nope.env')}: no such file or directory` });
  });

  it('an undefined required variable stops loading with the key path', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG:?TAG must be set}"\n' });
    await assert.rejects(load(dir), (e: unknown) => e instanceof ComposeConfigError
      && e.message === 'error while interpolating services.web.image: required variable TAG is missing a value: TAG must be set');
  });

  it('warns about unset variables and uses ""', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: "nginx${NOTSET}"\n' });
    const warnings: string[] = [];
    const p = await load(dir, { onWarning: (w) => warnings.push(w) });
    assert.equal(p.services.web?.image, 'nginx');
    assert.deepEqual(warnings, ['The "NOTSET" variable is not set. Defaulting to a blank string.']);
  });

  it('casts interpolated numbers and booleans', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    scale: ${N}\n    tty: ${T}\n    ports: ["${P}:80"]\n' });
    const p = await load(dir, { env: { N: '3', T: 'true', P: '8081' } });
    assert.equal(p.services.web?.scale, 3);
    assert.equal(p.services.web?.tty, true);
    assert.equal(p.services.web?.ports[0]?.published, '8081');
  });
});

describe('profiles', () => {
  const file = `
services:
  web: {image: web}
  debug: {image: dbg, profiles: [debug]}
  mock: {image: mock, profiles: [dev], depends_on: [db]}
  db: {image: db, profiles: [dev]}
  admin: {image: admin, profiles: [admin], depends_on: [db]}
  opt: {image: opt, profiles: [admin2], depends_on: {db: {condition: service_started, required: false}}}
`;
  it('services without profiles are always on; others only when their profile is', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': file });
    const p = await load(dir);
    assert.deepEqual(Object.keys(p.services), ['web']);
    assert.deepEqual(Object.keys(p.disabledServices), ['admin', 'db', 'debug', 'mock', 'opt']);
    assert.deepEqual(Object.keys((await load(dir, { profiles: ['dev'] })).services), ['db', 'mock', 'web']);
    assert.deepEqual(Object.keys((await load(dir, { env: { COMPOSE_PROFILES: 'debug,dev' } })).services), ['db', 'debug', 'mock', 'web']);
    assert.deepEqual(Object.keys((await load(dir, { profiles: ['*'] })).services), ['admin', 'db', 'debug', 'mock', 'opt', 'web']);
  });

  it('a service named on the command line turns on its own profiles', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': file });
    assert.deepEqual(Object.keys((await load(dir, { services: ['debug'] })).services), ['debug', 'web']);
  });

  it('depending on a service whose profile is off is an error, unless required: false', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': file });
    await assert.rejects(load(dir, { profiles: ['admin'] }), { message: 'service "admin" depends on undefined service "db": invalid compose project' });
    const p = await load(dir, { profiles: ['admin2'] });
    assert.deepEqual(p.services.opt?.depends_on, {});
  });
});

describe('extends', () => {
  it('extends a service of the same file and of another file, whose paths resolve against that file', async (t) => {
    const dir = dirOf(t, {
      'compose.yaml': `
services:
  base:
    image: base
    environment: {A: "1"}
    ports: ["80"]
  web:
    extends: base
    environment: {B: "2"}
  app:
    extends: {file: common/common.yml, service: tmpl}
    command: app
`,
      'common/common.yml': 'services:\n  tmpl:\n    extends: root\n    volumes: ["./conf:/conf"]\n    command: tmpl\n  root:\n    image: root\n    labels: {l: x}\n',
    });
    const p = await load(dir);
    assert.equal(p.services.web?.image, 'base');
    assert.deepEqual(p.services.web?.environment, { A: '1', B: '2' });
    assert.equal(p.services.web?.ports.length, 1);
    assert.equal(p.services.app?.image, 'root');
    assert.deepEqual(p.services.app?.command, ['app']);
    assert.deepEqual(p.services.app?.labels, { l: 'x' });
    assert.equal(p.services.app?.volumes[0]?.source, path.join(dir, 'common', 'conf'));
    assert.equal(p.services.base?.environment.B, undefined, 'the base is not changed by who extends it');
  });

  it('an unknown base service and a circular chain are errors', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    extends: nope\n' });
    await assert.rejects(load(dir), { message: `cannot extend service "web" in ${path.join(dir, 'compose.yaml')}: service "nope" not found` });
    const other = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    extends: {file: base.yml, service: nope}\n', 'base.yml': 'services:\n  b:\n    image: b\n' });
    await assert.rejects(load(other), { message: `cannot extend service "web" in ${path.join(other, 'compose.yaml')}: service "nope" not found in base.yml` });
    const loop = dirOf(t, { 'compose.yaml': 'services:\n  a:\n    extends: b\n  b:\n    extends: a\n' });
    await assert.rejects(load(loop), /Circular reference with extends: a -> b -> a/);
  });
});

describe('include', () => {
  it('adds another project\'s services and resources, its paths and .env its own', async (t) => {
    const dir = dirOf(t, {
      'compose.yaml': 'include:\n  - db/compose.yaml\nservices:\n  web:\n    image: web\n    depends_on: [db]\n',
      'db/compose.yaml': 'services:\n  db:\n    image: "postgres:${PG}"\n    volumes: ["./init:/init", "data:/var/lib/postgresql"]\nvolumes:\n  data:\n',
      'db/.env': 'PG=16\n',
    });
    const p = await load(dir);
    assert.deepEqual(Object.keys(p.services), ['db', 'web']);
    assert.equal(p.services.db?.image, 'postgres:16');
    assert.equal(p.services.db?.volumes[0]?.source, path.join(dir, 'db', 'init'));
    assert.equal(p.volumes.data?.name, `${p.name}_data`);
  });

  it('a service defined both by the file and by what it includes: the file\'s definition is merged over the imported one', async (t) => {
    const dir = dirOf(t, {
      'compose.yaml': 'include: [other.yml]\nservices:\n  db:\n    image: mine\n',
      'other.yml': 'services:\n  db:\n    image: theirs\n    environment: {A: "1"}\n',
    });
    const p = await load(dir);
    assert.equal(p.services.db?.image, 'mine');
    assert.deepEqual(p.services.db?.environment, { A: '1' });
  });

  it('an include cycle is an error', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'include: [a.yml]\nservices:\n  w: {image: w}\n', 'a.yml': 'include: [compose.yaml]\nservices:\n  a: {image: a}\n' });
    await assert.rejects(load(dir), /include cycle detected/);
  });
});

describe('long syntax for the rest of a service', () => {
  it('expands each short form', async (t) => {
    const dir = dirOf(t, {
      'compose.yaml': `
services:
  web:
    build: ./app
    command: sh -c 'echo "hi there"'
    entrypoint: ["/bin/tini", "--"]
    env_file: [a.env, {path: missing.env, required: false}, b.env]
    environment: [FROM_FILE=overridden, BARE, UNKNOWN]
    depends_on: [db]
    links: ["cache:c"]
    networks: [front]
    secrets: [s, {source: s, target: other, mode: 0400}]
    configs: [c, {source: c, target: /etc/c.conf}]
    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
    shm_size: 64m
    healthcheck: {test: curl -f http://localhost, retries: 3, interval: 1m30s}
    stop_grace_period: 1m30s
    extra_hosts: {host1: 10.0.0.1}
    sysctls: [net.core.somaxconn=1024]
    tmpfs: /run
    dns: 1.1.1.1
    mem_limit: 1g
    deploy: {replicas: 2, resources: {limits: {cpus: "0.5"}}}
  db:
    image: postgres
    network_mode: host
    build: {context: db, dockerfile: Containerfile, args: [X=1, FROM_ENV]}
  cache:
    image: redis
networks:
  front:
secrets:
  s: {file: ./secret.txt}
configs:
  c: {file: ./c.conf}
`,
      'a.env': 'FROM_FILE=a\nONLY_A=a\n',
      'b.env': 'ONLY_B=b\n',
    });
    const p = await load(dir, { env: { HOME: '/home/u', BARE: 'from-env', FROM_ENV: 'fe' } });
    const w = p.services.web!;
    assert.deepEqual(w.build, { context: path.join(dir, 'app'), dockerfile: 'Dockerfile', args: {}, labels: {}, cache_from: [] });
    assert.deepEqual(w.command, ['sh', '-c', 'echo "hi there"']);
    assert.deepEqual(w.entrypoint, ['/bin/tini', '--']);
    assert.deepEqual(w.environment, { FROM_FILE: 'overridden', ONLY_A: 'a', ONLY_B: 'b', BARE: 'from-env', UNKNOWN: null });
    assert.deepEqual(w.depends_on, {
      db: { condition: 'service_started', restart: false, required: true },
      cache: { condition: 'service_started', restart: true, required: true },
    });
    assert.deepEqual(w.links, ['cache:c']);
    assert.deepEqual(w.networks, { front: null });
    assert.deepEqual(w.secrets, [{ source: 's', target: '/run/secrets/s' }, { source: 's', target: '/run/secrets/other', mode: 0o400 }]);
    assert.deepEqual(w.configs, [{ source: 'c', target: '/c' }, { source: 'c', target: '/etc/c.conf' }]);
    assert.deepEqual(w.ulimits, { nproc: { soft: 65535, hard: 65535 }, nofile: { soft: 1024, hard: 2048 } });
    assert.equal(w.shm_size, 64 * 1024 * 1024);
    assert.deepEqual(w.healthcheck, { test: ['CMD-SHELL', 'curl -f http://localhost'], retries: 3, interval: '1m30s' });
    assert.equal(w.stop_grace_period, '1m30s');
    assert.deepEqual(w.extra_hosts, ['host1:10.0.0.1']);
    assert.deepEqual(w.sysctls, { 'net.core.somaxconn': '1024' });
    assert.deepEqual(w.tmpfs, ['/run']);
    assert.deepEqual(w.dns, ['1.1.1.1']);
    assert.equal(w.scale, 2);
    assert.deepEqual(w.deploy?.resources?.limits, { cpus: 0.5, memory: 1024 ** 3 });
    const db = p.services.db!;
    assert.deepEqual(db.networks, {}, 'network_mode leaves no networks');
    assert.deepEqual(db.build, { context: path.join(dir, 'db'), dockerfile: 'Containerfile', args: { X: '1', FROM_ENV: 'fe' }, labels: {}, cache_from: [] });
    assert.equal(p.secrets.s?.file, path.join(dir, 'secret.txt'));
    assert.equal(p.secrets.s?.name, `${p.name}_s`);
    assert.equal(p.configs.c?.file, path.join(dir, 'c.conf'));
  });

  it('a build arg without a value takes the environment\'s or is left out; if_not_present is missing; targets are cleaned', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    build: {args: [SET, UNSET, X=1]}\n    pull_policy: if_not_present\n    volumes: ["/data/", "vol:/a//b/../c"]\nvolumes:\n  vol:\n' });
    const p = await load(dir, { env: { SET: 's' } });
    assert.deepEqual(p.services.web?.build?.args, { SET: 's', X: '1' });
    assert.equal(p.services.web?.build?.context, dir);
    assert.equal(p.services.web?.pull_policy, 'missing');
    assert.deepEqual(p.services.web?.volumes.map((v) => v.target), ['/data', '/a/c']);
  });

  it('warns that `version` is obsolete', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': `version: "3.8"\n${web}` });
    const warnings: string[] = [];
    await load(dir, { onWarning: (w) => warnings.push(w) });
    assert.deepEqual(warnings, [`${path.join(dir, 'compose.yaml')}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`]);
  });

  it('a missing required env_file is Compose\'s error', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: gone.env\n' });
    const f = path.join(dir, 'gone.env');
    await assert.rejects(load(dir), { message: `env file ${f} not found: stat ${f}: no such file or directory` });
  });

  it('scale and deploy.replicas must agree; --scale overrides both', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n' });
    await assert.rejects(load(dir), { message: "services.web: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project" });
    const ok = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    deploy: {replicas: 3}\n' });
    assert.equal((await load(ok, { scale: { web: 5 } })).services.web?.scale, 5);
    assert.equal((await load(ok)).services.web?.scale, 3);
  });
});

describe('networks and volumes', () => {
  it('are named <project>_<key> unless name: or external; the default network exists when used', async (t) => {
    const dir = dirOf(t, {
      'compose.yaml': `
services:
  a: {image: a}
  b: {image: b, networks: [back, ext]}
  c: {image: c, network_mode: none}
networks:
  back: {driver: bridge, internal: true, labels: [x=y]}
  ext: {external: true}
  named: {name: my-net}
volumes:
  data:
  old: {external: {name: legacy}}
  fixed: {name: exact, driver_opts: {type: tmpfs}}
  outside: {external: true}
`,
    });
    const p = await load(dir, { projectName: 'proj' });
    assert.deepEqual(p.networks.default, { name: 'proj_default', external: false, driver_opts: {}, labels: {} });
    assert.deepEqual(p.networks.back, { name: 'proj_back', driver: 'bridge', internal: true, external: false, driver_opts: {}, labels: { x: 'y' } });
    assert.equal(p.networks.ext?.name, 'ext');
    assert.equal(p.networks.ext?.external, true);
    assert.equal(p.networks.named?.name, 'my-net');
    assert.equal(p.volumes.data?.name, 'proj_data');
    assert.deepEqual(p.volumes.old, { name: 'legacy', external: true, driver_opts: {}, labels: {} });
    assert.equal(p.volumes.fixed?.name, 'exact');
    assert.deepEqual(p.volumes.fixed?.driver_opts, { type: 'tmpfs' });
    assert.equal(p.volumes.outside?.name, 'outside');
    assert.deepEqual(p.services.a?.networks, { default: null });
  });

  it('no default network when no service uses it', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  a: {image: a, networks: [n]}\nnetworks:\n  n:\n' });
    assert.deepEqual(Object.keys((await load(dir)).networks), ['n']);
  });
});

describe('bad files: clear errors before anything is created', () => {
  const cases: Array<[string, string, string | RegExp]> = [
    ['an unknown key', 'services:\n  web:\n    image: x\n    foo: 1\n', "services.web additional properties 'foo' not allowed"],
    ['a wrong type', 'services:\n  web:\n    image: x\n    ports: {a: 1}\n', 'services.web.ports must be a list'],
    ['none of a oneOf\'s types', 'services:\n  web:\n    image: x\n    ports: [[80]]\n', 'services.web.ports.0 must be a number, string or mapping'],
    ['a missing required key', 'services:\n  web:\n    image: x\n    extends: {file: x.yml}\n', "services.web.extends missing property 'service'"],
    ['a bad service name', 'services:\n  "we b":\n    image: x\n', "services additional properties 'we b' not allowed"],
    ['a top-level unknown key', 'service:\n  web: {}\n', "(root) additional properties 'service' not allowed"],
    ['a non-mapping file', '- a\n- b\n', '(root) must be a mapping'],
  ];
  for (const [what, text, msg] of cases) {
    it(`the schema: ${what}`, async (t) => {
      const dir = dirOf(t, { 'compose.yaml': text });
      await assert.rejects(load(dir), (e: unknown) => e instanceof ComposeConfigError
        && e.message === `validating ${path.join(dir, 'compose.yaml')}: ${String(msg)}`);
    });
  }

  it('not YAML', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web: [\n' });
    await assert.rejects(load(dir), (e: unknown) => e instanceof ComposeConfigError && e.message.startsWith(`failed to parse ${path.join(dir, 'compose.yaml')}: `));
  });

  it('an unknown service in depends_on or links', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [nope]\n' });
    await assert.rejects(load(dir), { message: 'service "web" depends on undefined service "nope": invalid compose project' });
    const links = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    image: x\n    links: ["gone:g"]\n' });
    await assert.rejects(load(links), { message: 'service "web" depends on undefined service "gone": invalid compose project' });
  });

  it('a dependency cycle', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, depends_on: [a]}\n' });
    await assert.rejects(load(dir), { message: 'dependency cycle detected: a -> b -> c -> a' });
  });

  it('undefined networks, volumes, secrets and configs', async (t) => {
    for (const [svc, msg] of [
      ['networks: [n]', 'refers to undefined network n'],
      ['volumes: ["vol:/v"]', 'refers to undefined volume vol'],
      ['secrets: [s]', 'refers to undefined secret s'],
      ['configs: [c]', 'refers to undefined config c'],
    ] as const) {
      const dir = dirOf(t, { 'compose.yaml': `services:\n  web:\n    image: x\n    ${svc}\n` });
      await assert.rejects(load(dir), { message: `service "web" ${msg}: invalid compose project` });
    }
  });

  it('what compose-go\'s consistency check refuses', async (t) => {
    for (const [svc, msg] of [
      ['container_name: cname\n    scale: 2', "services.web: can't set container_name and scale as container name must be unique: invalid compose project"],
      ['volumes: ["/data", "./x:/data/"]', 'services.web.volumes[1]: target /data already mounted as services.web.volumes[0]'],
      ['tmpfs: [/run]\n    volumes: ["/run"]', 'services.web.volumes[0]: target /run already mounted as services.web.tmpfs[0]'],
      ['network_mode: host\n    networks: [default]', 'service web declares mutually exclusive `network_mode` and `networks`: invalid compose project'],
      ['mem_limit: 1g\n    deploy: {resources: {limits: {memory: 2g}}}', "services.web: can't set distinct values on 'mem_limit' and 'deploy.resources.limits.memory': invalid compose project"],
      ['scale: -1', 'services.web.scale: must be greater than or equal to 0'],
    ] as const) {
      const dir = dirOf(t, { 'compose.yaml': `services:\n  web:\n    image: x\n    ${svc}\n` });
      await assert.rejects(load(dir), { message: msg });
    }
    const secret = dirOf(t, { 'compose.yaml': 'services:\n  web: {image: x}\nsecrets:\n  s: {name: x}\n' });
    await assert.rejects(load(secret), { message: 'secret "s" must declare either `file` or `environment`: invalid compose project' });
  });

  it('an empty file', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': '# nothing\n' });
    await assert.rejects(load(dir), { message: 'empty compose file' });
  });

  it('a service with neither image nor build', async (t) => {
    const dir = dirOf(t, { 'compose.yaml': 'services:\n  web:\n    command: x\n' });
    await assert.rejects(load(dir), { message: 'service "web" has neither an image nor a build context specified: invalid compose project' });
  });
});
