/** version, info, system df, events and the root command, end to end against a fake Engine API. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBerth, sendJson, startFakeEngine, type FakeEngine } from './testing/fake-engine.js';
import { BERTH_VERSION, BUILD_TIME } from './version-info.js';
import { reformatDate } from './format/time.js';

process.env.TZ = 'UTC';

const VERSION = {
  Platform: { Name: '' },
  Components: [{ Name: 'Engine', Version: '0.1.0', Details: { ApiVersion: '1.43', MinAPIVersion: '1.24', GitCommit: 'abc1234', GoVersion: 'v20.20.2', Os: 'linux', Arch: 'amd64', BuildTime: '2026-11-01T10:00:00.000000000+00:00', Experimental: 'false' } }],
  Version: '0.1.0', ApiVersion: '1.43', MinAPIVersion: '1.24', GitCommit: 'abc1234', GoVersion: 'v20.20.2', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1.0', BuildTime: '2026-11-01T10:00:00.000000000+00:00',
};

const INFO = {
  ID: 'berth-id', Containers: 3, ContainersRunning: 1, ContainersPaused: 0, ContainersStopped: 2, Images: 5, Driver: 'overlay2',
  DriverStatus: [['Backing Filesystem', 'extfs']], Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
  MemTotal: 16_700_000_000, NCPU: 8, Name: 'host1', ServerVersion: '0.1.0', KernelVersion: '6.1.0', OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', OSType: 'linux',
  Architecture: 'x86_64', DockerRootDir: '/var/lib/berth', Debug: false, LoggingDriver: 'json-file', CgroupDriver: 'cgroupfs', CgroupVersion: '1',
  Swarm: { LocalNodeState: 'inactive' }, Runtimes: { runc: { path: 'runc' }, crun: { path: 'crun' } }, DefaultRuntime: 'runc', InitBinary: 'tini',
  ContainerdCommit: { ID: '' }, RuncCommit: { ID: 'v1.1.5' }, InitCommit: { ID: 'tini-static' }, SecurityOptions: ['name=seccomp,profile=builtin'],
  ExperimentalBuild: false, LiveRestoreEnabled: true, RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: { 'docker.io': { Name: 'docker.io', Secure: true } }, Mirrors: [] },
  Labels: [], Warnings: ['WARNING: bridge-nf-call-iptables is disabled'],
};

describe('system commands against a fake Engine API', () => {
  let engine: FakeEngine;
  const run = (args: string[], opts: Parameters<typeof runBerth>[1] = {}) => runBerth(args, { host: engine.host, ...opts });

  before(async () => {
    engine = await startFakeEngine({
      'GET /version': (_req, res) => sendJson(res, 200, VERSION),
      'GET /info': (_req, res) => sendJson(res, 200, INFO),
      'GET /system/df': (_req, res) => sendJson(res, 200, {
        LayersSize: 4261550,
        Images: [{ Id: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741', RepoTags: ['busybox:latest'], Created: Math.floor(Date.now() / 1000) - 86400 * 3, Size: 4261550, SharedSize: 0, Containers: 1 }],
        Containers: [{ Id: 'c0ffee00c0ffee00c0ffee00', Names: ['/web'], Image: 'busybox', ImageID: 'sha256:3f57', Command: 'sh -c "sleep 1000"', Created: Math.floor(Date.now() / 1000) - 120, SizeRw: 12, State: 'running', Status: 'Up 2 minutes', Mounts: [] }],
        Volumes: [{ Name: 'data', Driver: 'local', UsageData: { Size: 2048, RefCount: 0 } }],
        BuildCache: [],
      }),
      'GET /events': (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"status":"tag","id":"sha256:3f57","from":"","Type":"image","Action":"tag","Actor":{"ID":"sha256:3f57","Attributes":{"name":"busybox:latest"}},"scope":"local","time":1795428000,"timeNano":1795428000123456789}\n');
        res.end('{"Type":"image","Action":"delete","Actor":{"ID":"sha256:aded","Attributes":{}},"scope":"local","time":1795428001,"timeNano":1795428001000000001}\n');
      },
    }, { apiVersion: '1.43' });
  });

  after(() => engine.close());

  it('version: client and server sections; the API version negotiated down', async () => {
    const r = await run(['version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `Client:
 Version:           ${BERTH_VERSION}
 API version:       1.43 (downgraded from 1.50)
 Node.js version:   ${process.version}
 Git commit:        unknown
 Built:             ${reformatDate(BUILD_TIME)}
 OS/Arch:           linux/amd64
 Context:           default

Server:
 Engine:
  Version:          0.1.0
  API version:      1.43 (minimum version 1.24)
  Node.js version:  v20.20.2
  Git commit:       abc1234
  Built:            Sun Nov  1 10:00:00 2026
  OS/Arch:          linux/amd64
  Experimental:     false
`);
    assert.equal(engine.requests.filter((q) => q.path === '/version').at(-1)!.version, '1.43');
  });

  it('version --format', async () => {
    assert.equal((await run(['version', '--format', '{{.Server.Version}} {{.Client.APIVersion}}'])).stdout, '0.1.0 1.43\n');
    const j = JSON.parse((await run(['version', '-f', 'json'])).stdout) as { Client: Record<string, unknown>; Server: { Components: Array<{ Details: Record<string, string> }> } };
    assert.equal(j.Client.ApiVersion, '1.43');
    assert.equal(j.Client.Context, 'default');
    assert.equal(j.Server.Components[0]!.Details.BuildTime, 'Sun Nov  1 10:00:00 2026');
    const bad = await run(['version', '-f', '{{.Nope']);
    assert.equal(bad.code, 64);
    assert.equal(bad.stderr, 'template parsing error: template: version:1: unclosed action\n');
  });

  it("version without a daemon: the client section, then docker's error", async () => {
    const r = await runBerth(['-H', 'unix:///nonexistent/s.sock', 'version']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Client:\n Version: +\S+\n API version: +1\.50\n/);
    assert.equal(r.stdout.includes('Server:'), false);
    assert.equal(r.stderr, 'Cannot connect to the berth daemon at unix:///nonexistent/s.sock. Is the daemon running?\n');
  });

  it("info: docker's layout; warnings on stderr", async () => {
    const r = await run(['info']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `Client:
 Version:    ${BERTH_VERSION}
 Context:    default
 Debug Mode: false

Server:
 Containers: 3
  Running: 1
  Paused: 0
  Stopped: 2
 Images: 5
 Server Version: 0.1.0
 Storage Driver: overlay2
  Backing Filesystem: extfs
 Logging Driver: json-file
 Cgroup Driver: cgroupfs
 Cgroup Version: 1
 Plugins:
  Volume: local
  Network: bridge host null
  Log: json-file
 Swarm: inactive
 Runtimes: runc crun
 Default Runtime: runc
 Init Binary: tini
 containerd version: 
 runc version: v1.1.5
 init version: tini-static
 Security Options:
  seccomp
   Profile: builtin
 Kernel Version: 6.1.0
 Operating System: Debian GNU/Linux 12 (bookworm)
 OSType: linux
 Architecture: x86_64
 CPUs: 8
 Total Memory: 15.55GiB
 Name: host1
 ID: berth-id
 Docker Root Dir: /var/lib/berth
 Debug Mode: false
 Experimental: false
 Insecure Registries:
  127.0.0.0/8
 Live Restore Enabled: true

`);
    assert.equal(r.stderr, 'WARNING: bridge-nf-call-iptables is disabled\n');
    assert.equal((await run(['system', 'info'])).stdout, r.stdout);
  });

  it('info --format, and client-only templates need no daemon', async () => {
    assert.equal((await run(['info', '--format', '{{.Name}} {{.NCPU}} {{.ClientInfo.Context}}'])).stdout, 'host1 8 default\n');
    const json = JSON.parse((await run(['info', '-f', 'json'])).stdout) as Record<string, unknown>;
    assert.equal(json.ServerVersion, '0.1.0');
    assert.deepEqual(Object.keys(json.ClientInfo as object).slice(0, 2), ['Debug', 'Version']);
    const offline = await runBerth(['-H', 'unix:///nonexistent/s.sock', 'info', '--format', '{{.ClientInfo.Context}}']);
    assert.equal(offline.code, 0);
    assert.equal(offline.stdout, 'default\n');
  });

  it('system df and df -v', async () => {
    const r = await run(['system', 'df']);
    assert.equal(r.stdout, `TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          1         1         4.262MB   0B (0%)
Containers      1         1         12B       0B (0%)
Local Volumes   1         0         2.048kB   2.048kB (100%)
Build Cache     0         0         0B        0B
`);
    const v = await run(['system', 'df', '-v']);
    assert.equal(v.stdout, `Images space usage:

REPOSITORY   TAG       IMAGE ID       CREATED      SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS
busybox      latest    3f57d9401f8d   3 days ago   4.26MB    0B            4.262MB       1

Containers space usage:

CONTAINER ID   IMAGE     COMMAND                  LOCAL VOLUMES   SIZE      CREATED         STATUS         NAMES
c0ffee00c0ff   busybox   "sh -c \\"sleep 1000\\""   0               12B       2 minutes ago   Up 2 minutes   web

Local Volumes space usage:

VOLUME NAME   LINKS     SIZE
data          0         2.048kB

Build cache usage: 0B

CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED
`);
    const j = await run(['system', 'df', '--format', '{{json .}}']);
    assert.equal(j.stdout.split('\n')[0], '{"Active":"1","Reclaimable":"0B (0%)","Size":"4.262MB","TotalCount":"1","Type":"Images"}');
  });

  it("events: docker's line format, in the local zone", async () => {
    const r = await run(['events', '--since', '2026-11-23T10:00:00Z', '--until', '1795428002']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '2026-11-23T10:00:00.123456789Z image tag sha256:3f57 (name=busybox:latest)\n2026-11-23T10:00:01.000000001Z image delete sha256:aded\n');
    const q = engine.requests.filter((x) => x.path === '/events').at(-1)!.query;
    assert.equal(q.get('since'), '1795428000.000000000');
    assert.equal(q.get('until'), '1795428002');
  });

  it('events --format and --filter', async () => {
    const r = await run(['system', 'events', '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.TimeNano}}']);
    assert.equal(r.stdout, 'image tag busybox:latest 1795428000123456789\nimage delete <no value> 1795428001000000001\n');
    assert.deepEqual(JSON.parse(engine.requests.filter((x) => x.path === '/events').at(-1)!.query.get('filters')!), { type: ['image'] });
    const j = await run(['events', '--format', 'json']);
    assert.equal(j.stdout.split('\n')[0], '{"status":"tag","id":"sha256:3f57","Type":"image","Action":"tag","Actor":{"ID":"sha256:3f57","Attributes":{"name":"busybox:latest"}},"scope":"local","time":1795428000,"timeNano":1795428000123456789}');
    const bad = await run(['events', '--format', '{{.Nope}}']);
    assert.equal(bad.code, 64);
    assert.equal(bad.stderr, `Error parsing format: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *events.Message\n`);
  });
});

describe('the root command', () => {
  it('unknown commands and flags', async () => {
    const cmd = await runBerth(['foo']);
    assert.equal(cmd.code, 1);
    assert.equal(cmd.stderr, "berth: unknown command: berth foo\n\nRun 'berth --help' for more information\n");
    const sub = await runBerth(['image', 'foo']);
    assert.equal(sub.stderr, "berth: unknown command: berth image foo\n\nUsage:  berth image\n\nRun 'berth image --help' for more information\n");
    const flag = await runBerth(['--bogus']);
    assert.equal(flag.code, 125);
    assert.equal(flag.stderr, "unknown flag: --bogus\n\nUsage:  berth [OPTIONS] COMMAND [ARG...]\n\nRun 'berth --help' for more information\n");
  });

  it('help on stdout for --help and `help`, on stderr for a bare group', async () => {
    const h = await runBerth(['images', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, /^Usage: {2}berth images \[OPTIONS\] \[REPOSITORY\[:TAG\]\]\n\nList images\n\nAliases:\n {2}berth image ls, berth image list, berth images\n\nOptions:\n {2}-a, --all {13}Show all images/);
    assert.equal((await runBerth(['help', 'images'])).stdout, h.stdout);
    const g = await runBerth(['system']);
    assert.equal(g.code, 0);
    assert.equal(g.stdout, '');
    assert.match(g.stderr, /^Usage: {2}berth system COMMAND\n\nManage berth\n\nCommands:\n {2}df {10}Show berth disk usage\n/);
  });

  it('-v prints the version; --config is read', async () => {
    assert.match((await runBerth(['-v'])).stdout, /^berth version \S+, build \S+\n$/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cfg-'));
    try {
      writeFileSync(path.join(dir, 'config.json'), '{"imagesFormat":"{{.ID}}"}');
      const engine = await startFakeEngine({ 'GET /images/json': (_req, res) => sendJson(res, 200, [{ Id: 'sha256:0123456789abcdef', RepoTags: ['a:b'], Created: 0, Size: 1 }]) });
      try {
        assert.equal((await runBerth(['--config', dir, 'images'], { host: engine.host })).stdout, '0123456789ab\n');
        assert.equal((await runBerth(['images'], { host: engine.host, env: { DOCKER_CONFIG: dir } })).stdout, '0123456789ab\n');
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
