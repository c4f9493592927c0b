import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { execFile as execFileCb } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { mountsUnder, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, leaksOf, out, removeContainers, unixSeconds, waitForStatus } from '../helpers/containers.js';

const execFile = promisify(execFileCb);

interface VolumeJson { Name: string; Driver: string; Mountpoint: string; CreatedAt: string; Labels: Record<string, string> | null; Options: Record<string, string> | null; Scope: string }
interface MountJson { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; Mode: string; RW: boolean; Propagation: string }

/** Whether `target` is a mount point of this (the host's) mount namespace. */
function isHostMount(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === target);
}

/**
 * Volumes, binds and tmpfs mounts through the real docker CLI: data that outlives containers,
 * Docker's copy-up of image content into new volumes, the volume commands, and their lifecycle
 * (in use, anonymous cleanup, prune, daemon restarts). Everything is a real mount.
 */
describe('volumes and mounts through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('volumes');
    await importBusybox(d);
    // An image with content at a VOLUME path: files, a symlink, a subdirectory, non-root owners.
    await d.docker(['run', '--name', 'mkimg', 'busybox', 'sh', '-c',
      'mkdir -p /data/sub && echo image > /data/f && chown 1000:1001 /data/f && chmod 0640 /data/f && ln -s f /data/link && chown 123:45 /data && chmod 0750 /data && echo deep > /data/sub/g']);
    await d.docker(['commit', '-c', 'VOLUME /data', 'mkimg', 'withvol']);
    await d.docker(['rm', 'mkimg']);
  });
  after(async () => { await d?.stop(); });

  const run = async (args: string[]): Promise<string> => out(await d.docker(['run', '--rm', ...args]));
  const volumes = async (): Promise<string[]> => out(await d.docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
  const inspectVolume = async (name: string): Promise<VolumeJson> => (JSON.parse(out(await d.docker(['volume', 'inspect', name]))) as VolumeJson[])[0]!;

  test('a named volume: written by one container, read by another, kept after both are gone', async (t) => {
    t.after(async () => { await removeContainers(d, 'w1'); await d.docker(['volume', 'rm', '-f', 'shared'], { allowFailure: true }); });
    await d.docker(['run', '--name', 'w1', '-v', 'shared:/data', 'busybox', 'sh', '-c', 'echo from-w1 > /data/msg']);
    assert.equal((await run(['-v', 'shared:/in', 'busybox', 'cat', '/in/msg'])).trim(), 'from-w1');
    await d.docker(['rm', '-v', 'w1']);
    assert.ok((await volumes()).includes('shared'), 'rm -v keeps a named volume');
    const v = await inspectVolume('shared');
    assert.equal(v.Driver, 'local');
    assert.equal(v.Scope, 'local');
    assert.equal(v.Mountpoint, path.join(d.dataRoot, 'volumes', 'shared', '_data'));
    assert.equal(readFileSync(path.join(v.Mountpoint, 'msg'), 'utf8'), 'from-w1\n', 'writes land in the volume directory on the host');
    assert.match(v.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  });

  test('copy-up: a new volume gets the image\'s files, owners, modes and symlinks; an existing one is never overwritten', async (t) => {
    t.after(async () => { await removeContainers(d, 'cu1'); await d.docker(['volume', 'rm', '-f', 'cu', 'cu-nocopy'], { allowFailure: true }); });
    const listing = await run(['-v', 'cu:/data', 'withvol', 'sh', '-c', 'ls -lnd /data; ls -ln /data; cat /data/f /data/link /data/sub/g']);
    assert.match(listing, /^drwxr-x---\s+\d+\s+123\s+45\s/m, 'the volume root takes the image directory\'s owner and mode');
    assert.match(listing, /^-rw-r-----\s+1\s+1000\s+1001\s+6\s.* f$/m);
    assert.match(listing, /^lrwxrwxrwx\s+1\s+0\s+0\s+1\s.* link -> f$/m);
    assert.match(listing, /image\nimage\ndeep\n$/);
    // Changed content survives: the next container sees the volume, not the image again.
    await run(['-v', 'cu:/data', 'withvol', 'sh', '-c', 'rm /data/f && echo mine > /data/new']);
    assert.equal((await run(['-v', 'cu:/data', 'withvol', 'ls', '/data'])).trim().split('\n').sort().join(','), 'link,new,sub');
    // nocopy: an empty volume stays empty.
    assert.equal((await run(['--mount', 'type=volume,src=cu-nocopy,dst=/data,volume-nocopy', 'withvol', 'ls', '-A', '/data'])).trim(), '');
    assert.equal((await run(['-v', 'cu-nocopy:/data:nocopy', 'withvol', 'ls', '-A', '/data'])).trim(), '');
  });

  test('the image\'s VOLUME gets an anonymous volume, removed by run --rm and rm -v but not by rm', async (t) => {
    t.after(() => removeContainers(d, 'anon1', 'anon2'));
    const before = await volumes();
    await run(['withvol', 'true']);
    assert.deepEqual(await volumes(), before, 'run --rm removes the anonymous volume');
    await d.docker(['run', '--name', 'anon1', 'withvol', 'cat', '/data/f']);
    const c = await inspectContainer(d, 'anon1');
    const mounts = (c as unknown as { Mounts: MountJson[] }).Mounts;
    assert.equal(mounts.length, 1);
    const m = mounts[0]!;
    assert.equal(m.Type, 'volume');
    assert.match(m.Name!, /^[0-9a-f]{64}$/);
    assert.deepEqual({ ...m, Name: undefined }, { Type: 'volume', Name: undefined, Source: path.join(d.dataRoot, 'volumes', m.Name!, '_data'), Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' });
    const v = await inspectVolume(m.Name!);
    assert.deepEqual(v.Labels, { 'com.docker.volume.anonymous': '' });
    await d.docker(['rm', 'anon1']);
    assert.ok((await volumes()).includes(m.Name!), 'rm without -v keeps it');
    await d.docker(['volume', 'rm', m.Name!]);
    await d.docker(['create', '--name', 'anon2', 'withvol']);
    const name2 = ((await inspectContainer(d, 'anon2')) as unknown as { Mounts: MountJson[] }).Mounts[0]!.Name!;
    await d.docker(['rm', '-v', 'anon2']);
    assert.ok(!(await volumes()).includes(name2), 'rm -v removes it');
    assert.ok(!existsSync(path.join(d.dataRoot, 'volumes', name2)));
  });

  test('binds: -v creates a missing host directory, :ro refuses writes, --mount type=bind needs the source', async (t) => {
    const host = path.join(d.dir, 'bind-src');
    t.after(() => fsp.rm(host, { recursive: true, force: true }));
    const created = path.join(host, 'made', 'by', 'v');
    assert.equal((await run(['-v', `${created}:/m`, 'busybox', 'sh', '-c', 'echo hi > /m/x && cat /m/x'])).trim(), 'hi');
    assert.equal(readFileSync(path.join(created, 'x'), 'utf8'), 'hi\n');
    const ro = await d.docker(['run', '--rm', '-v', `${created}:/m:ro`, 'busybox', 'sh', '-c', 'cat /m/x; echo no > /m/y'], { allowFailure: true });
    assert.notEqual(ro.code, 0);
    assert.match(ro.stderr, /Read-only file system/);
    assert.ok(!existsSync(path.join(created, 'y')));
    const ro2 = await d.docker(['run', '--rm', '--mount', `type=bind,src=${created},dst=/m,readonly`, 'busybox', 'touch', '/m/z'], { allowFailure: true });
    assert.notEqual(ro2.code, 0);
    const missing = await d.docker(['run', '--rm', '--mount', `type=bind,src=${host}/nope,dst=/m`, 'busybox', 'true'], { allowFailure: true });
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, new RegExp(`invalid mount config for type "bind": bind source path does not exist: ${host}/nope`));
    assert.ok(!existsSync(path.join(host, 'nope')));
  });

  test('bind propagation and options show in inspect; rslave works from a shared mount, rshared from a private one is refused', async (t) => {
    t.after(() => removeContainers(d, 'bp1'));
    const src = await fsp.mkdtemp(path.join(d.dir, 'bp-'));
    // Slave propagation needs a shared (or slave) source mount, which this test makes.
    await execFile('mount', ['--bind', src, src]);
    t.after(() => execFile('umount', ['-l', src]).catch(() => undefined));
    await execFile('mount', ['--make-shared', src]);
    await d.docker(['create', '--name', 'bp1', '-v', `${src}:/a:ro`, '--mount', `type=bind,src=${src},dst=/b,bind-propagation=rslave`, 'busybox']);
    const mounts = ((await inspectContainer(d, 'bp1')) as unknown as { Mounts: MountJson[] }).Mounts;
    assert.deepEqual(mounts, [
      { Type: 'bind', Source: src, Destination: '/a', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'bind', Source: src, Destination: '/b', Mode: '', RW: true, Propagation: 'rslave' },
    ]);
    assert.equal(out(await d.docker(['start', '-a', 'bp1'])), '');
    assert.equal((await inspectContainer(d, 'bp1')).State.ExitCode, 0);
    // A private mount cannot feed a shared propagation: docker refuses rather than change the host.
    const priv = await fsp.mkdtemp(path.join(d.dir, 'priv-'));
    await execFile('mount', ['--bind', priv, priv]);
    t.after(() => execFile('umount', ['-l', priv]).catch(() => undefined));
    await execFile('mount', ['--make-private', priv]);
    const r = await d.docker(['run', '--rm', '--mount', `type=bind,src=${priv},dst=/p,bind-propagation=rshared`, 'busybox', 'true'], { allowFailure: true });
    assert.equal(r.code, 125);
    assert.match(r.stderr, new RegExp(`path ${priv} is mounted on ${priv} but it is not a shared mount`));
  });

  test('tmpfs: --tmpfs and --mount type=tmpfs are tmpfs with their size and mode', async () => {
    const lines = await run(['--tmpfs', '/t1:size=2m', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=1m,tmpfs-mode=1770', 'busybox', 'sh', '-c', 'grep -E " /t[12] " /proc/mounts; stat -c "%a %n" /t2']);
    assert.match(lines, /^tmpfs \/t1 tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k/m);
    assert.match(lines, /^tmpfs \/t2 tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k,mode=1770/m);
    assert.match(lines, /^1770 \/t2$/m);
  });

  test('--volumes-from shares another container\'s mounts, read-only with :ro', async (t) => {
    t.after(async () => { await removeContainers(d, 'vf-src'); await d.docker(['volume', 'rm', '-f', 'vf'], { allowFailure: true }); });
    await d.docker(['create', '--name', 'vf-src', '-v', 'vf:/shared', 'busybox']);
    await run(['--volumes-from', 'vf-src', 'busybox', 'sh', '-c', 'echo via-from > /shared/a']);
    const ro = await d.docker(['run', '--rm', '--volumes-from', 'vf-src:ro', 'busybox', 'sh', '-c', 'cat /shared/a; touch /shared/b'], { allowFailure: true });
    assert.equal(out(ro).trim(), 'via-from');
    assert.match(ro.stderr, /Read-only file system/);
    const missing = await d.docker(['run', '--rm', '--volumes-from', 'nosuch', 'busybox', 'true'], { allowFailure: true });
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, /No such container: nosuch/);
  });

  test('a volume in use cannot be removed (409, even with -f); after the container goes it can', async (t) => {
    t.after(async () => { await removeContainers(d, 'user1'); await d.docker(['volume', 'rm', '-f', 'busy'], { allowFailure: true }); });
    await d.docker(['run', '-d', '--name', 'user1', '-v', 'busy:/b', 'busybox', 'sleep', '300']);
    const id = (await inspectContainer(d, 'user1')).Id;
    for (const args of [['volume', 'rm', 'busy'], ['volume', 'rm', '-f', 'busy']]) {
      const r = await d.docker(args, { allowFailure: true });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`remove busy: volume is in use - \\[${id}\\]`));
    }
    const api = await d.request('DELETE', '/volumes/busy');
    assert.equal(api.status, 409);
    await d.docker(['rm', '-f', 'user1']);
    await d.docker(['volume', 'rm', 'busy']);
    assert.ok(!existsSync(path.join(d.dataRoot, 'volumes', 'busy')));
    const gone = await d.docker(['volume', 'rm', 'busy'], { allowFailure: true });
    assert.match(gone.stderr, /no such volume/);
    assert.equal((await d.docker(['volume', 'rm', '-f', 'busy'], { allowFailure: true })).code, 0, '-f ignores a missing volume');
  });

  test('volume create, ls filters, inspect; names can never leave the volumes directory', async (t) => {
    t.after(() => d.docker(['volume', 'rm', '-f', 'lab-a', 'lab-b', 'dangle'], { allowFailure: true }));
    assert.equal(out(await d.docker(['volume', 'create', '--label', 'team=red', '--label', 'tier', 'lab-a'])).trim(), 'lab-a');
    assert.equal(out(await d.docker(['volume', 'create', 'lab-a'])).trim(), 'lab-a', 'creating an existing name returns it');
    await d.docker(['volume', 'create', '--label', 'team=blue', 'lab-b']);
    await d.docker(['volume', 'create', 'dangle']);
    assert.deepEqual((await inspectVolume('lab-a')).Labels, { team: 'red', tier: '' });
    const q = async (f: string[]) => out(await d.docker(['volume', 'ls', '-q', ...f.flatMap((x) => ['--filter', x])])).split('\n').filter(Boolean).sort();
    assert.deepEqual(await q(['label=team']), ['lab-a', 'lab-b']);
    assert.deepEqual(await q(['label=team=red']), ['lab-a']);
    assert.deepEqual(await q(['name=lab-']), ['lab-a', 'lab-b']);
    assert.deepEqual(await q(['driver=local', 'name=dangle']), ['dangle']);
    assert.ok((await q(['dangling=true'])).includes('dangle'));
    const bad = await d.docker(['volume', 'ls', '--filter', 'bogus=1'], { allowFailure: true });
    assert.match(bad.stderr, /invalid filter 'bogus'/);
    const table = out(await d.docker(['volume', 'ls', '--filter', 'name=lab-']));
    assert.equal(table, 'DRIVER    VOLUME NAME\nlocal     lab-a\nlocal     lab-b\n');
    const before = await fsp.readdir(path.join(d.dataRoot, 'volumes'));
    for (const name of ['..', 'a/b', '../../etc', '.hidden', 'x']) {
      const r = await d.request('POST', '/volumes/create', JSON.stringify({ Name: name }), { 'Content-Type': 'application/json' });
      assert.equal(r.status, 400, `${name}: ${r.body}`);
      assert.match(JSON.parse(r.body).message, /includes invalid characters for a local volume name|too short/);
    }
    const viaRun = await d.docker(['run', '--rm', '-v', 'a..b/../c:/x', 'busybox', 'true'], { allowFailure: true });
    assert.equal(viaRun.code, 125);
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'volumes')), before, 'nothing was made');
    assert.ok(!existsSync(path.join(d.dataRoot, 'c')) && !existsSync(path.join(d.dir, 'etc')));
  });

  test('bad requests: wrong types, unknown options and drivers, duplicate and root destinations', async () => {
    const post = (body: unknown) => d.request('POST', '/volumes/create', JSON.stringify(body), { 'Content-Type': 'application/json' });
    let r = await post({ Name: 5 });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'json: cannot unmarshal number into Go struct field VolumeCreateBody.Name of type string');
    r = await post({ Name: 'opt-x', DriverOpts: { bogus: '1' } });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'create opt-x: invalid option: "bogus"');
    r = await post({ Name: 'opt-x', DriverOpts: { type: 'tmpfs' } });
    assert.equal(JSON.parse(r.body).message, 'create opt-x: missing required option: "device"');
    r = await post({ Name: 'drv-x', Driver: 'nfs-plugin' });
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body).message, 'create drv-x: error looking up volume plugin nfs-plugin: plugin "nfs-plugin" not found');
    const dup = await d.docker(['run', '--rm', '-v', 'd1:/x', '-v', 'd2:/x', 'busybox', 'true'], { allowFailure: true });
    assert.equal(dup.code, 125);
    assert.match(dup.stderr, /Duplicate mount point: \/x/);
    const root = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { Binds: ['vol:/'] } }), { 'Content-Type': 'application/json' });
    assert.equal(root.status, 400);
    assert.equal(JSON.parse(root.body).message, "invalid volume specification: 'vol:/': invalid mount config for type \"volume\": invalid specification: destination can't be '/'");
    const badMode = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { Binds: ['/tmp:/x:rw,ro'] } }), { 'Content-Type': 'application/json' });
    assert.equal(JSON.parse(badMode.body).message, 'invalid mode: rw,ro');
    assert.ok(!(await volumes()).some((v) => v === 'd1' || v === 'd2'), 'a refused create leaves no volume behind');
  });

  test('a local volume with type/device/o is mounted while in use and unmounted after', async (t) => {
    t.after(async () => { await removeContainers(d, 'tv1'); await d.docker(['volume', 'rm', '-f', 'tv'], { allowFailure: true }); });
    await d.docker(['volume', 'create', '--driver', 'local', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=3m,mode=0755', 'tv']);
    assert.deepEqual((await inspectVolume('tv')).Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=3m,mode=0755' });
    const mp = path.join(d.dataRoot, 'volumes', 'tv', '_data');
    await d.docker(['run', '-d', '--name', 'tv1', '-v', 'tv:/t', 'busybox', 'sleep', '300']);
    assert.ok(isHostMount(mp), 'mounted while the container runs');
    assert.match(out(await d.docker(['exec', 'tv1', 'grep', ' /t ', '/proc/mounts'])), /^tmpfs \/t tmpfs rw,relatime,size=3072k/m);
    await d.docker(['stop', '-t', '0', 'tv1']);
    assert.ok(!isHostMount(mp), 'unmounted when the last user stops');
  });

  test('a local volume of type none/o=bind shows a host directory; --mount volume-opt creates one with options', async (t) => {
    const src = await fsp.mkdtemp(path.join(d.dir, 'bindvol-'));
    t.after(async () => { await d.docker(['volume', 'rm', '-f', 'bv', 'mv-opt'], { allowFailure: true }); await fsp.rm(src, { recursive: true, force: true }); });
    await fsp.writeFile(path.join(src, 'hello'), 'from the host\n');
    await d.docker(['volume', 'create', '--opt', 'type=none', '--opt', `device=${src}`, '--opt', 'o=bind', 'bv']);
    assert.equal((await run(['-v', 'bv:/b', 'busybox', 'sh', '-c', 'cat /b/hello; echo back > /b/reply'])).trim(), 'from the host');
    assert.equal(readFileSync(path.join(src, 'reply'), 'utf8'), 'back\n');
    assert.ok(!isHostMount(path.join(d.dataRoot, 'volumes', 'bv', '_data')), 'unmounted after the container');
    await run(['--mount', 'type=volume,src=mv-opt,dst=/m,volume-opt=type=tmpfs,volume-opt=device=tmpfs,volume-opt=o=size=1m', 'busybox', 'true']);
    assert.deepEqual((await inspectVolume('mv-opt')).Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
  });

  test('prune removes unused anonymous volumes, and with --all unused named ones too', async (t) => {
    t.after(async () => { await removeContainers(d, 'keep1'); await d.docker(['volume', 'rm', '-f', 'pr-named', 'pr-used'], { allowFailure: true }); });
    await d.docker(['volume', 'create', 'pr-named']);
    await d.docker(['create', '--name', 'keep1', '-v', 'pr-used:/u', 'withvol']);
    await d.docker(['create', '--name', 'gone1', 'withvol']);
    const anon = ((await inspectContainer(d, 'gone1')) as unknown as { Mounts: MountJson[] }).Mounts[0]!.Name!;
    await d.docker(['rm', 'gone1']);
    const r1 = out(await d.docker(['volume', 'prune', '-f']));
    assert.match(r1, new RegExp(`Deleted Volumes:\\n(.*\\n)*${anon}\\n`));
    const left = await volumes();
    assert.ok(left.includes('pr-named') && left.includes('pr-used') && !left.includes(anon));
    const r2 = out(await d.docker(['volume', 'prune', '-af']));
    assert.match(r2, /pr-named/);
    assert.doesNotMatch(r2, /pr-used/);
    assert.ok((await volumes()).includes('pr-used'), 'a volume a container uses is never pruned');
  });

  test('volume events: create, mount, unmount, destroy', async (t) => {
    t.after(() => d.docker(['volume', 'rm', '-f', 'ev'], { allowFailure: true }));
    const since = unixSeconds();
    await d.docker(['volume', 'create', 'ev']);
    await run(['-v', 'ev:/e:ro', 'busybox', 'true']);
    await d.docker(['volume', 'rm', 'ev']);
    const until = unixSeconds(Date.now() + 1000);
    const lines = out(await d.docker(['events', '--since', since, '--until', until, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "destination"}} {{index .Actor.Attributes "read/write"}}'])).trim().split('\n');
    assert.deepEqual(lines.map((l) => l.trim()), ['create ev', 'mount ev /e false', 'unmount ev', 'destroy ev']);
  });

  test('system df -v reports volume sizes and links', async (t) => {
    t.after(() => d.docker(['volume', 'rm', '-f', 'sized'], { allowFailure: true }));
    await run(['-v', 'sized:/s', 'busybox', 'dd', 'if=/dev/zero', 'of=/s/blob', 'bs=1024', 'count=300']);
    const df = JSON.parse(out(await d.docker(['system', 'df', '-v', '--format', '{{json .Volumes}}']))) as Array<{ Name: string; Size: string; Links: string }>;
    const row = df.find((v) => v.Name === 'sized')!;
    // 300 KiB of data plus the volume's own directories and record, as `du -sb` counts (ADR 0022).
    assert.match(row.Size, /^31[0-9]\.[0-9]kB$/);
    assert.equal(row.Links, '0');
  });

  test('volumes and their mounts survive a berthd restart; a re-adopted container still holds its volume', async (t) => {
    t.after(async () => { await removeContainers(d, 'rs1'); await d.docker(['volume', 'rm', '-f', 'persist', 'rs-tmp'], { allowFailure: true }); });
    await d.docker(['volume', 'create', '--label', 'keep=yes', 'persist']);
    await d.docker(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', 'rs-tmp']);
    await d.docker(['run', '-d', '--name', 'rs1', '-v', 'persist:/p', '-v', 'rs-tmp:/r', 'busybox', 'sh', '-c', 'echo before > /r/x; sleep 300']);
    await d.proc.kill('SIGKILL');
    await new Promise((resolve) => d.proc.once('exit', resolve));
    const dir = d.dir;
    d = await startDaemon('volumes', [], { dir });
    assert.deepEqual((await inspectVolume('persist')).Labels, { keep: 'yes' });
    await waitForStatus(d, 'rs1', 'running');
    assert.equal(out(await d.docker(['exec', 'rs1', 'cat', '/r/x'])).trim(), 'before');
    const r = await d.docker(['volume', 'rm', 'persist'], { allowFailure: true });
    assert.match(r.stderr, /volume is in use/);
    await d.docker(['stop', '-t', '0', 'rs1']);
    assert.ok(!isHostMount(path.join(d.dataRoot, 'volumes', 'rs-tmp', '_data')), 'the restarted daemon unmounts the volume the re-adopted container held');
    await d.docker(['rm', 'rs1']);
  });

  test('docker cp under a volume or a bind reads and writes the mount\'s source, running or stopped', async (t) => {
    const host = await fsp.mkdtemp(path.join(d.dir, 'cpbind-'));
    t.after(async () => { await removeContainers(d, 'cpv'); await d.docker(['volume', 'rm', '-f', 'cpvol'], { allowFailure: true }); await fsp.rm(host, { recursive: true, force: true }); });
    await d.docker(['create', '--name', 'cpv', '-v', 'cpvol:/vol', '-v', `${host}:/bind`, 'busybox', 'sleep', '300']);
    const src = path.join(d.dir, 'cp-src.txt');
    await fsp.writeFile(src, 'into the volume\n');
    await d.docker(['cp', src, 'cpv:/vol/in.txt']);
    await d.docker(['cp', src, 'cpv:/bind/in.txt']);
    assert.equal(readFileSync(path.join(d.dataRoot, 'volumes', 'cpvol', '_data', 'in.txt'), 'utf8'), 'into the volume\n', 'stopped: into the volume');
    assert.equal(readFileSync(path.join(host, 'in.txt'), 'utf8'), 'into the volume\n', 'stopped: into the bind source');
    await d.docker(['start', 'cpv']);
    await fsp.writeFile(path.join(host, 'from-host.txt'), 'host side\n');
    const back = path.join(d.dir, 'cp-back.txt');
    await d.docker(['cp', 'cpv:/bind/from-host.txt', back]);
    assert.equal(readFileSync(back, 'utf8'), 'host side\n');
    assert.equal(out(await d.docker(['exec', 'cpv', 'cat', '/vol/in.txt'])), 'into the volume\n', 'running: the container sees what was copied');
  });

  test('berth: volume create/ls/inspect/rm/prune, run -v, --mount, --tmpfs, --volumes-from, rm -v', async (t) => {
    t.after(async () => { await removeContainers(d, 'bvf'); await d.docker(['volume', 'rm', '-f', 'bv1'], { allowFailure: true }); });
    const b = async (args: string[]) => out(await d.berth(args));
    assert.equal(await b(['volume', 'create', '--label', 'team=berth', 'bv1']), 'bv1\n');
    assert.equal(await b(['volume', 'ls', '-q', '--filter', 'label=team=berth']), 'bv1\n');
    assert.equal((await b(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'bv1'])).trim(), path.join(d.dataRoot, 'volumes', 'bv1', '_data'));
    await b(['run', '--rm', '-v', 'bv1:/d', 'busybox', 'sh', '-c', 'echo via-berth > /d/f']);
    assert.equal(await b(['run', '--rm', '--mount', 'type=volume,src=bv1,dst=/e,readonly', 'busybox', 'cat', '/e/f']), 'via-berth\n');
    assert.match(await b(['run', '--rm', '--tmpfs', '/t:size=1m', 'busybox', 'grep', ' /t ', '/proc/mounts']), /^tmpfs \/t tmpfs .*size=1024k/);
    await b(['create', '--name', 'bvf', '-v', 'bv1:/shared', '-v', '/anon', 'busybox']);
    assert.equal(await b(['run', '--rm', '--volumes-from', 'bvf', 'busybox', 'cat', '/shared/f']), 'via-berth\n');
    const inUse = await d.berth(['volume', 'rm', 'bv1'], { allowFailure: true });
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /remove bv1: volume is in use/);
    const anon = ((await inspectContainer(d, 'bvf')) as unknown as { Mounts: MountJson[] }).Mounts.find((m) => m.Destination === '/anon')!.Name!;
    await b(['rm', '-v', 'bvf']);
    assert.ok(!(await volumes()).includes(anon), 'berth rm -v removes the anonymous volume');
    assert.equal(await b(['volume', 'rm', 'bv1']), 'bv1\n');
    await b(['volume', 'create', 'bv-prune']);
    assert.match(await b(['volume', 'prune', '-af']), /Deleted Volumes:\n(.*\n)*bv-prune\n/);
  });

  test('a removed container leaves no mount behind; every volume mount is gone after rm', async (t) => {
    t.after(() => d.docker(['volume', 'rm', '-f', 'leak'], { allowFailure: true }));
    const id = out(await d.docker(['run', '-d', '-v', 'leak:/l', '-v', `${d.dir}:/host:ro`, '--tmpfs', '/tm', 'withvol', 'sleep', '300'])).trim();
    await d.docker(['rm', '-f', '-v', id]);
    assert.deepEqual(await leaksOf(d, id), []);
    assert.deepEqual(mountsUnder(path.join(d.dataRoot, 'volumes')), []);
  });
});
