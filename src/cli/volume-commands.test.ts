/**
 * Volume commands end to end: the real CLI and client against an in-process fake Engine
 * API on a UNIX socket. Expected texts are what docker 28.2 prints against a daemon that
 * is not a swarm manager (berthd), with "docker" read as "berth".
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBerth, sendError, sendJson, startFakeEngine, type FakeEngine, type Recorded } from './testing/fake-engine.js';
import { naturalLess } from './commands/volume.js';

const MOUNT = (name: string): string => `/var/lib/berth/volumes/${name}/_data`;
const DATA_INSPECT = `{"CreatedAt":"2024-10-01T10:00:00Z","Driver":"local","Labels":{"z":"1","com.example":"<v&>"},"Mountpoint":"${MOUNT('data')}","Name":"data","Options":{"type":"tmpfs","device":"tmpfs"},"Scope":"local","Extra":true}`;
const BARE_INSPECT = `{"CreatedAt":"","Driver":"local","Labels":null,"Mountpoint":"${MOUNT('bare')}","Name":"bare","Options":null,"Scope":"local","Status":{},"UsageData":{"Size":2048,"RefCount":1}}`;

const LIST = [
  { Name: 'v10', Driver: 'local', Mountpoint: MOUNT('v10'), Labels: { a: 'b' }, Scope: 'local', CreatedAt: '2024-10-01T10:00:00Z' },
  { Name: 'v9', Driver: 'local', Mountpoint: MOUNT('v9'), Labels: null, Scope: 'local' },
  { Name: 'a', Driver: 'nfs', Mountpoint: MOUNT('a'), Labels: {}, Scope: 'global' },
  { Name: 'V2', Driver: 'local', Mountpoint: MOUNT('V2'), Labels: null, Scope: 'local' },
];

function volumeName(req: Recorded): string {
  return req.path.split('/')[2]!;
}

describe('volume commands against a fake Engine API', () => {
  let engine: FakeEngine;
  let tmp: string;
  let pruneAnswer: unknown = { VolumesDeleted: ['anon1', 'anon2'], SpaceReclaimed: 12345 };
  const run = (args: string[], opts: Parameters<typeof runBerth>[1] = {}) => runBerth(args, { host: engine.host, ...opts });
  const last = (method: string, p: string) => engine.requests.filter((r) => r.method === method && r.path === p).at(-1)!;
  const filtersOf = (r: Recorded) => JSON.parse(r.query.get('filters') ?? 'null') as unknown;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'berth-vol-'));
    engine = await startFakeEngine({
      'GET /volumes': (req, res) => {
        const filters = req.query.get('filters') ?? '';
        if (filters.includes('bogus')) return sendError(res, 400, "invalid filter 'bogus'");
        sendJson(res, 200, { Volumes: filters.includes('nomatch') ? [] : LIST, Warnings: ['ignored by docker'] });
      },
      'POST /volumes/create': (req, res) => {
        const body = JSON.parse(req.body.toString() || '{}') as { Name?: string; Driver?: string };
        if (body.Driver === 'nope') return sendError(res, 404, `create ${body.Name}: error looking up volume plugin nope: plugin "nope" not found`);
        sendJson(res, 201, { Name: body.Name ?? 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f', Driver: body.Driver ?? 'local', Scope: 'local' });
      },
      'POST /volumes/prune': (_req, res) => sendJson(res, 200, pruneAnswer),
      'GET /volumes/*': (req, res) => {
        const name = volumeName(req);
        const raw = name === 'data' ? DATA_INSPECT : name === 'bare' ? BARE_INSPECT : undefined;
        if (!raw) return sendError(res, 404, `get ${name}: no such volume`);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(raw);
      },
      'DELETE /volumes/*': (req, res) => {
        const name = volumeName(req);
        if (name === 'busy') return sendError(res, 409, `remove busy: volume is in use - [1a2b3c4d5e6f]`);
        if (name.startsWith('nope') && req.query.get('force') !== '1') return sendError(res, 404, `get ${name}: no such volume`);
        res.writeHead(204).end();
      },
      'DELETE /containers/*': (_req, res) => void res.writeHead(204).end(),
      'GET /system/df': (_req, res) => sendJson(res, 200, {
        LayersSize: 0, Images: [], Containers: [], BuildCache: [],
        Volumes: [{ Name: 'data', Driver: 'local', UsageData: { Size: 2048, RefCount: 1 } }, { Name: 'cache', Driver: 'local', UsageData: { Size: -1, RefCount: 0 } }],
      }),
    });
  });

  after(async () => {
    await engine.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('help', () => {
    it('volume --help lists the commands (update is hidden, as against a non-swarm daemon)', async () => {
      const r = await run(['volume', '--help']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `Usage:  berth volume COMMAND

Manage volumes

Commands:
  create      Create a volume
  inspect     Display detailed information on one or more volumes
  ls          List volumes
  prune       Remove unused local volumes
  rm          Remove one or more volumes

Run 'berth volume COMMAND --help' for more information on a command.
`);
      const bare = await run(['volume']);
      assert.equal(bare.stdout, '');
      assert.equal(bare.stderr, r.stdout);
      const unknown = await run(['volume', 'bogus']);
      assert.equal(unknown.code, 1);
      assert.equal(unknown.stderr, "berth: unknown command: berth volume bogus\n\nUsage:  berth volume COMMAND\n\nRun 'berth volume --help' for more information\n");
    });

    it('volume create --help hides the cluster flags', async () => {
      assert.equal((await run(['volume', 'create', '--help'])).stdout, `Usage:  berth volume create [OPTIONS] [VOLUME]

Create a volume

Options:
  -d, --driver string   Specify volume driver name (default "local")
      --label list      Set metadata for a volume
  -o, --opt map         Set driver specific options (default map[])
`);
    });

    it('volume ls --help', async () => {
      const r = await run(['volume', 'list', '--help']);
      assert.equal(r.stdout, `Usage:  berth volume ls [OPTIONS]

List volumes

Aliases:
  berth volume ls, berth volume list

Options:
  -f, --filter filter   Provide filter values (e.g. "dangling=true")
      --format string   Format output using a custom template:
                        'table':            Print output in table format
                        with column headers (default)
                        'table TEMPLATE':   Print output in table format
                        using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
  -q, --quiet           Only display volume names
`);
    });

    it('volume inspect, rm, prune and update --help', async () => {
      assert.equal((await run(['volume', 'inspect', '--help'])).stdout, `Usage:  berth volume inspect [OPTIONS] VOLUME [VOLUME...]

Display detailed information on one or more volumes

Options:
  -f, --format string   Format output using a custom template:
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given
                        Go template.
                        Refer to https://docs.docker.com/go/formatting/
                        for more information about formatting output with
                        templates
`);
      const rm = `Usage:  berth volume rm [OPTIONS] VOLUME [VOLUME...]

Remove one or more volumes. You cannot remove a volume that is in use by a container.

Aliases:
  berth volume rm, berth volume remove

Options:
  -f, --force   Force the removal of one or more volumes
`;
      assert.equal((await run(['volume', 'rm', '--help'])).stdout, rm);
      assert.equal((await run(['volume', 'remove', '--help'])).stdout, rm);
      assert.equal((await run(['volume', 'prune', '--help'])).stdout, `Usage:  berth volume prune [OPTIONS]

Remove unused local volumes

Options:
  -a, --all             Remove all unused volumes, not just anonymous ones
      --filter filter   Provide filter values (e.g. "label=<label>")
  -f, --force           Do not prompt for confirmation
`);
      assert.equal((await run(['volume', 'update', '--help'])).stdout, 'Usage:  berth volume update [OPTIONS] [VOLUME]\n\nUpdate a volume (cluster volumes only)\n');
    });

    it('argument and flag errors', async () => {
      const many = await run(['volume', 'create', 'a', 'b']);
      assert.equal(many.code, 1);
      assert.match(many.stderr, /^berth: 'berth volume create' requires at most 1 argument\n\nUsage: {2}berth volume create \[OPTIONS\] \[VOLUME\]\n/);
      const ls = await run(['volume', 'ls', 'x']);
      assert.equal(ls.code, 1);
      assert.equal(ls.stderr, "berth: 'berth volume ls' accepts no arguments\n\nUsage:  berth volume ls [OPTIONS]\n\nRun 'berth volume ls --help' for more information\n");
      const rm = await run(['volume', 'rm']);
      assert.equal(rm.code, 1);
      assert.equal(rm.stderr, "berth: 'berth volume rm' requires at least 1 argument\n\nUsage:  berth volume rm [OPTIONS] VOLUME [VOLUME...]\n\nSee 'berth volume rm --help' for more information\n");
      const inspect = await run(['volume', 'inspect']);
      assert.equal(inspect.code, 1);
      assert.match(inspect.stderr, /^berth: 'berth volume inspect' requires at least 1 argument\n/);
      const prune = await run(['volume', 'prune', 'x']);
      assert.equal(prune.code, 1);
      assert.match(prune.stderr, /^berth: 'berth volume prune' accepts no arguments\n/);
      const update = await run(['volume', 'update']);
      assert.equal(update.code, 1);
      assert.match(update.stderr, /^berth: 'berth volume update' requires 1 argument\n/);
      const label = await run(['volume', 'create', '--label', '=x', 'q']);
      assert.equal(label.code, 125);
      assert.equal(label.stderr, "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name\n\nUsage:  berth volume create [OPTIONS] [VOLUME]\n\nRun 'berth volume create --help' for more information\n");
      const flag = await run(['volume', 'ls', '--bogus']);
      assert.equal(flag.code, 125);
      assert.equal(flag.stderr, "unknown flag: --bogus\n\nUsage:  berth volume ls [OPTIONS]\n\nRun 'berth volume ls --help' for more information\n");
    });
  });

  describe('create', () => {
    it('sends docker\'s CreateOptions and prints the name', async () => {
      const r = await run(['volume', 'create', '-o', 'type=tmpfs', '--opt', 'device=tmpfs', '--label', 'z=1', '--label', 'flag', 'data']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'data\n');
      const req = last('POST', '/volumes/create');
      assert.equal(req.body.toString(), '{"Driver":"local","DriverOpts":{"device":"tmpfs","type":"tmpfs"},"Labels":{"flag":"","z":"1"},"Name":"data"}');
      assert.equal(req.headers['content-type'], 'application/json');
    });

    it('without a name: only the driver; the daemon names it', async () => {
      const r = await run(['volume', 'create']);
      assert.equal(r.stdout, 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f\n');
      assert.equal(last('POST', '/volumes/create').body.toString(), '{"Driver":"local"}');
      await run(['volume', 'create', '-d', 'nfs', '--name', 'hidden']);
      assert.equal(last('POST', '/volumes/create').body.toString(), '{"Driver":"nfs","Name":"hidden"}');
    });

    it('--name and a positional name conflict; daemon errors exit 1', async () => {
      const both = await run(['volume', 'create', '--name', 'a', 'b']);
      assert.equal(both.code, 1);
      assert.equal(both.stderr, 'conflicting options: cannot specify a volume-name through both --name and as a positional arg\n');
      const plugin = await run(['volume', 'create', '-d', 'nope', 'x']);
      assert.equal(plugin.code, 1);
      assert.equal(plugin.stdout, '');
      assert.equal(plugin.stderr, 'Error response from daemon: create x: error looking up volume plugin nope: plugin "nope" not found\n');
    });

    it('the hidden cluster flags send a ClusterVolumeSpec, as docker does', async () => {
      await run(['volume', 'create', '--group', 'g', '--secret', 's=t', '--topology-required', 'a=b,c=d', '--topology-preferred', 'e=f',
        '--required-bytes', '1k', '--limit-bytes', '2m', '--type', 'mount', '--scope', 'multi', '--sharing', 'all', '--availability', 'pause', 'cv']);
      assert.equal(last('POST', '/volumes/create').body.toString(), '{"ClusterVolumeSpec":{"Group":"g","AccessMode":{"Scope":"multi","Sharing":"all","MountVolume":{}},'
        + '"AccessibilityRequirements":{"Requisite":[{"Segments":{"a":"b","c":"d"}}],"Preferred":[{"Segments":{"e":"f"}}]},'
        + '"CapacityRange":{"RequiredBytes":1024,"LimitBytes":2097152},"Secrets":[{"Key":"s","Secret":"t"}],"Availability":"pause"},"Driver":"local","Name":"cv"}');
      await run(['volume', 'create', '--group', 'g', 'gg']);
      assert.equal(last('POST', '/volumes/create').body.toString(), '{"ClusterVolumeSpec":{"Group":"g","AccessMode":{"Scope":"single","Sharing":"none","BlockVolume":{}},'
        + '"AccessibilityRequirements":{},"CapacityRange":{"RequiredBytes":0,"LimitBytes":0},"Availability":"active"},"Driver":"local","Name":"gg"}');
      // docker's hasClusterVolumeOptionSet ignores --secret and the topologies on their own.
      await run(['volume', 'create', '--secret', 's=t', '--topology-required', 'a=b', 'only']);
      assert.equal(last('POST', '/volumes/create').body.toString(), '{"Driver":"local","Name":"only"}');
    });
  });

  describe('ls', () => {
    it('the default table, sorted in natural order', async () => {
      const r = await run(['volume', 'ls']);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, 'DRIVER    VOLUME NAME\nlocal     V2\nnfs       a\nlocal     v9\nlocal     v10\n');
      assert.equal(last('GET', '/volumes').query.get('filters'), null);
    });

    it('-q, --filter and the list alias', async () => {
      const r = await run(['volume', 'list', '-q', '-f', 'dangling=true', '--filter', 'label=a=b', '-f', 'driver=local']);
      assert.equal(r.stdout, 'V2\na\nv9\nv10\n');
      assert.deepEqual(filtersOf(last('GET', '/volumes')), { dangling: ['true'], label: ['a=b'], driver: ['local'] });
      const none = await run(['volume', 'ls', '-f', 'name=nomatch']);
      assert.equal(none.stdout, 'DRIVER    VOLUME NAME\n');
      const bad = await run(['volume', 'ls', '-f', 'bogus=1']);
      assert.equal(bad.code, 1);
      assert.equal(bad.stderr, "Error response from daemon: invalid filter 'bogus'\n");
      const syntax = await run(['volume', 'ls', '-f', 'dangling']);
      assert.equal(syntax.code, 125);
      assert.match(syntax.stderr, /^invalid argument "dangling" for "-f, --filter" flag: bad format of filter \(expected name=value\)\n/);
    });

    it('--format: templates, table templates, json, raw', async () => {
      const t = await run(['volume', 'ls', '--format', '{{.Name}} {{.Labels}} [{{.Label "a"}}] {{.Links}} {{.Size}} {{.Group}}']);
      assert.equal(t.stdout, 'V2  [] N/A N/A N/A\na  [] N/A N/A N/A\nv9  [] N/A N/A N/A\nv10 a=b [b] N/A N/A N/A\n');
      const table = await run(['volume', 'ls', '--format', 'table {{.Name}}\t{{.Scope}}\t{{.Mountpoint}}\t{{.Label "com.example.some-label"}}']);
      assert.equal(table.stdout.split('\n')[0], 'VOLUME NAME   SCOPE     MOUNTPOINT                         some label');
      assert.equal(table.stdout.split('\n')[2], `a             global    ${MOUNT('a')}     `);
      // An explicit format wins over -q, header included.
      assert.equal((await run(['volume', 'ls', '-q', '--format', 'table {{.Name}}'])).stdout, 'VOLUME NAME\nV2\na\nv9\nv10\n');
      const j = await run(['volume', 'ls', '--format', 'json']);
      assert.equal(j.stdout.split('\n')[3], `{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"a=b","Links":"N/A","Mountpoint":"${MOUNT('v10')}","Name":"v10","Scope":"local","Size":"N/A","Status":"N/A"}`);
      assert.equal((await run(['volume', 'ls', '--format', 'raw'])).stdout.split('\n').slice(0, 3).join('\n'), 'name: V2\ndriver: local\n');
      assert.equal((await run(['volume', 'ls', '--format', 'raw', '-q'])).stdout, 'name: V2\nname: a\nname: v9\nname: v10\n');
    });

    it('a bad template fails with exit 1', async () => {
      const r = await run(['volume', 'ls', '--format', '{{.Nope}}']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.volumeContext\n');
    });

    it('volumesFormat from config.json, unless -q', async () => {
      const dir = path.join(tmp, 'cfg');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ volumesFormat: '{{.Name}}: {{.Driver}}' }));
      assert.equal((await run(['volume', 'ls'], { env: { DOCKER_CONFIG: dir } })).stdout, 'V2: local\na: nfs\nv9: local\nv10: local\n');
      assert.equal((await run(['volume', 'ls', '-q'], { env: { DOCKER_CONFIG: dir } })).stdout, 'V2\na\nv9\nv10\n');
    });

    it('the hidden --cluster shows only cluster volumes, in the cluster table', async () => {
      const r = await run(['volume', 'ls', '--cluster']);
      assert.equal(r.stdout, 'VOLUME NAME   GROUP     DRIVER    AVAILABILITY   STATUS\n');
      assert.equal((await run(['volume', 'ls', '--cluster', '-q'])).stdout, '');
    });

    it('natural order', () => {
      const names = ['v10', 'a', 'v9', 'V2', 'v09', 'v1b', 'v1', '10', '9', 'b'];
      const sorted = [...names].sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
      assert.deepEqual(sorted, ['9', '10', 'V2', 'a', 'b', 'v1', 'v1b', 'v9', 'v09', 'v10']);
    });
  });

  describe('inspect', () => {
    it('json.MarshalIndent of docker\'s volume.Volume: struct order, sorted maps, omitempty, HTML escaped', async () => {
      const r = await run(['volume', 'inspect', 'data', 'bare']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `[
    {
        "CreatedAt": "2024-10-01T10:00:00Z",
        "Driver": "local",
        "Labels": {
            "com.example": "\\u003cv\\u0026\\u003e",
            "z": "1"
        },
        "Mountpoint": "${MOUNT('data')}",
        "Name": "data",
        "Options": {
            "device": "tmpfs",
            "type": "tmpfs"
        },
        "Scope": "local"
    },
    {
        "Driver": "local",
        "Labels": null,
        "Mountpoint": "${MOUNT('bare')}",
        "Name": "bare",
        "Options": null,
        "Scope": "local",
        "UsageData": {
            "RefCount": 1,
            "Size": 2048
        }
    }
]
`);
      assert.equal(last('GET', '/volumes/data').method, 'GET');
    });

    it('-f json and templates', async () => {
      const j = await run(['volume', 'inspect', '-f', 'json', 'bare']);
      assert.equal(j.stdout, `[{"Driver":"local","Labels":null,"Mountpoint":"${MOUNT('bare')}","Name":"bare","Options":null,"Scope":"local","UsageData":{"RefCount":1,"Size":2048}}]\n`);
      const t = await run(['volume', 'inspect', '--format', '{{.Name}}|{{.Labels}}|{{json .Labels}}|{{.Options}}|{{.Status}}|{{.UsageData}}|{{.ClusterVolume}}|{{index .Labels "z"}}|{{.Labels.nope}}', 'data', 'bare']);
      // (Go's `index` of a missing key gives "", shown here as <no value>: our maps carry no element type.)
      assert.equal(t.stdout, 'data|map[com.example:<v&> z:1]|{"com.example":"<v&>","z":"1"}|map[device:tmpfs type:tmpfs]|map[]|<nil>|<nil>|1|<no value>\n'
        + 'bare|map[]|null|map[]|map[]|{1 2048}|<nil>|<no value>|<no value>\n');
      const all = await run(['volume', 'inspect', '-f', '{{json .}}', 'data']);
      assert.equal(all.stdout, `{"CreatedAt":"2024-10-01T10:00:00Z","Driver":"local","Labels":{"com.example":"<v&>","z":"1"},"Mountpoint":"${MOUNT('data')}","Name":"data","Options":{"device":"tmpfs","type":"tmpfs"},"Scope":"local"}\n`);
    });

    it('missing volumes are reported after the others, exit 1', async () => {
      const r = await run(['volume', 'inspect', '-f', '{{.Driver}}', 'nope', 'data', 'nope2']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, 'local\n');
      assert.equal(r.stderr, 'Error response from daemon: get nope: no such volume\nError response from daemon: get nope2: no such volume\n');
      const none = await run(['volume', 'inspect', 'nope']);
      assert.equal(none.code, 1);
      assert.equal(none.stdout, '[]\n');
      assert.equal(none.stderr, 'Error response from daemon: get nope: no such volume\n');
    });

    it('template errors: a volume.Volume has no such field (exit 1); a parse error exits 64', async () => {
      const r = await run(['volume', 'inspect', '-f', '{{.Nope}}', 'data', 'nope']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '\n');
      assert.equal(r.stderr, 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type volume.Volume\n'
        + 'Error response from daemon: get nope: no such volume\n');
      const bad = await run(['volume', 'inspect', '-f', '{{.Name', 'data']);
      assert.equal(bad.code, 64);
      assert.equal(bad.stderr, 'template parsing error: template: :1: unclosed action\n');
    });
  });

  describe('rm', () => {
    it('prints each removed name; errors after, exit 1', async () => {
      engine.requests.length = 0;
      const r = await run(['volume', 'rm', 'a', 'nope', 'b', 'busy']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, 'a\nb\n');
      assert.equal(r.stderr, 'Error response from daemon: get nope: no such volume\nError response from daemon: remove busy: volume is in use - [1a2b3c4d5e6f]\n');
      assert.deepEqual(engine.requests.filter((q) => q.method === 'DELETE').map((q) => `${q.path}?${q.query}`), ['/volumes/a?', '/volumes/nope?', '/volumes/b?', '/volumes/busy?']);
    });

    it('-f sends force=1; the remove alias', async () => {
      const r = await run(['volume', 'remove', '-f', 'nope']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'nope\n');
      assert.equal(last('DELETE', '/volumes/nope').query.toString(), 'force=1');
      const busy = await run(['volume', 'rm', '--force', 'busy']);
      assert.equal(busy.code, 1);
      assert.equal(busy.stdout, '');
    });
  });

  describe('prune', () => {
    it('asks first; "y" prunes anonymous volumes', async () => {
      pruneAnswer = { VolumesDeleted: ['anon1', 'anon2'], SpaceReclaimed: 12345 };
      const yes = await run(['volume', 'prune'], { stdin: 'y\n' });
      assert.equal(yes.code, 0);
      assert.equal(yes.stdout, 'WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] '
        + 'Deleted Volumes:\nanon1\nanon2\n\nTotal reclaimed space: 12.35kB\n');
      assert.equal(last('POST', '/volumes/prune').query.get('filters'), null);
    });

    it('anything but y cancels: exit 0, nothing sent', async () => {
      engine.requests.length = 0;
      const no = await run(['volume', 'prune', '-a'], { stdin: 'n\n' });
      assert.equal(no.code, 0);
      assert.equal(no.stdout, 'WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] ');
      assert.equal(no.stderr, '');
      const eof = await run(['volume', 'prune']);
      assert.equal(eof.code, 0);
      assert.equal(engine.requests.some((r) => r.path === '/volumes/prune'), false);
    });

    it('-f, -a/--all and --filter', async () => {
      const r = await run(['volume', 'prune', '-af', '--filter', 'label=a', '--filter', 'label!=keep']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'Deleted Volumes:\nanon1\nanon2\n\nTotal reclaimed space: 12.35kB\n');
      assert.deepEqual(filtersOf(last('POST', '/volumes/prune')), { label: ['a'], 'label!': ['keep'], all: ['true'] });
      await run(['volume', 'prune', '--force', '--all']);
      assert.deepEqual(filtersOf(last('POST', '/volumes/prune')), { all: ['true'] });
    });

    it('nothing deleted: only the total, 0B', async () => {
      pruneAnswer = { VolumesDeleted: null, SpaceReclaimed: 999 };
      const r = await run(['volume', 'prune', '-f']);
      assert.equal(r.stdout, 'Total reclaimed space: 0B\n');
      pruneAnswer = { VolumesDeleted: ['anon1', 'anon2'], SpaceReclaimed: 12345 };
    });

    it('--all with --filter all=… conflicts (exit 1, no request)', async () => {
      engine.requests.length = 0;
      const r = await run(['volume', 'prune', '-a', '--filter', 'all=1']);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'conflicting options: cannot specify both --all and --filter all=1\n');
      assert.equal(engine.requests.some((q) => q.path === '/volumes/prune'), false);
    });

    it('pruneFilters from config.json, the command line winning', async () => {
      const dir = path.join(tmp, 'prune-cfg');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ pruneFilters: ['label=keep', 'label!=tmp'] }));
      await run(['volume', 'prune', '-f', '--filter', 'label=tmp'], { env: { DOCKER_CONFIG: dir } });
      assert.deepEqual(filtersOf(last('POST', '/volumes/prune')), { label: ['tmp', 'keep'] });
    });
  });

  describe('update (hidden, cluster volumes only)', () => {
    it('refuses a local volume as docker does', async () => {
      const r = await run(['volume', 'update', 'data']);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'can only update cluster volumes\n');
    });
  });

  describe('related commands', () => {
    it('rm -v sends v=1', async () => {
      const r = await run(['rm', '-v', 'web']);
      assert.equal(r.code, 0);
      assert.equal(last('DELETE', '/containers/web').query.toString(), 'v=1');
    });

    it('system df -v prints the volumes section', async () => {
      const r = await run(['system', 'df', '-v']);
      assert.equal(r.code, 0);
      const section = r.stdout.slice(r.stdout.indexOf('Local Volumes space usage:'), r.stdout.indexOf('Build cache usage:'));
      assert.equal(section, 'Local Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\ndata          1         2.048kB\ncache         0         -1B\n\n');
    });
  });
});
