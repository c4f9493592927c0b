import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxRootfsTar, umociImage } from '../helpers/fixtures.js';

interface Inspect { Id: string; RepoTags: string[]; RootFS: { Layers: string[] }; Config: { Env?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string> }; Comment: string; Size: number }

async function inspect(d: TestDaemon, name: string): Promise<Inspect> {
  const r = await d.docker(['image', 'inspect', name]);
  const list = JSON.parse(r.stdout.toString()) as Inspect[];
  assert.equal(list.length, 1);
  return list[0]!;
}

/** Every file under the data-root, to show a failed operation changed nothing. */
async function storeListing(d: TestDaemon): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (p.includes('/snapshots/') && depth > 2) continue;
      out.push(path.relative(d.dataRoot, p));
      if (e.isDirectory()) await walk(p, depth + 1);
    }
  };
  await walk(d.dataRoot, 0);
  return out.filter((p) => p !== 'berthd.lock').sort();
}

describe('images through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  let fixture: Awaited<ReturnType<typeof umociImage>>;
  before(async () => {
    fixture = await umociImage();
    d = await startDaemon('images');
  });
  after(async () => { await d?.stop(); });

  test('docker load reads a docker-archive written by skopeo', async () => {
    const r = await d.docker(['load', '-i', fixture.dockerArchive]);
    assert.match(r.stdout.toString(), /^Loaded image: umoci\/busybox:v1$/m);
    const img = await inspect(d, 'umoci/busybox:v1');
    assert.equal(img.RootFS.Layers.length, 2);
    assert.ok(img.Config.Env?.includes('FOO=bar'), `env: ${JSON.stringify(img.Config.Env)}`);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.equal(img.Config.WorkingDir, '/root');
    assert.equal(img.Config.Labels?.['org.berth.test'], 'umoci');
    assert.ok(img.Size > 1_000_000, `size ${img.Size}`);
    const config = JSON.parse((await exec('bash', ['-c', `tar -xOf ${fixture.dockerArchive} manifest.json`])).stdout.toString()) as Array<{ Config: string }>;
    const configBytes = (await exec('tar', ['-xOf', fixture.dockerArchive, config[0]!.Config])).stdout;
    assert.equal(img.Id, `sha256:${createHash('sha256').update(configBytes).digest('hex')}`, 'image id is the config digest');
  });

  test('docker images lists the loaded image with docker\'s columns', async () => {
    const r = await d.docker(['images', '--format', '{{.Repository}}|{{.Tag}}|{{.ID}}']);
    assert.match(r.stdout.toString(), /^umoci\/busybox\|v1\|[0-9a-f]{12}$/m);
    const q = await d.docker(['images', '-q']);
    assert.match(q.stdout.toString(), /^[0-9a-f]{12}$/m);
  });

  test('the whiteout in layer two hides /etc/group in the extracted layers', async () => {
    const img = await inspect(d, 'umoci/busybox:v1');
    const full = (await d.request('GET', '/images/umoci/busybox:v1/json')).body;
    const driver = (JSON.parse(full) as { GraphDriver: { Data: { UpperDir: string; LowerDir: string } } }).GraphDriver.Data;
    const upper = driver.UpperDir;
    const st = await fsp.lstat(path.join(upper, 'etc', 'group'));
    assert.ok(st.isCharacterDevice() && st.rdev === 0, 'whiteout is a 0/0 char device');
    assert.equal(await fsp.readFile(path.join(upper, 'hello'), 'utf8'), 'hello from layer two\n');
    assert.equal((await fsp.stat(path.join(driver.LowerDir, 'bin', 'busybox'))).isFile(), true);
    assert.equal(img.RootFS.Layers.length, 2);
  });

  test('docker history shows each step, newest first', async () => {
    const r = await d.docker(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', 'umoci/busybox:v1']);
    const lines = r.stdout.toString().trim().split('\n');
    assert.ok(lines.length >= 2, r.stdout.toString());
    assert.match(lines[0]!, /^sha256:[0-9a-f]{64}\|umoci config$/);
  });

  test('docker load reads an OCI archive (a name-less OCI layout)', async () => {
    const before = await inspect(d, 'umoci/busybox:v1');
    const r = await d.docker(['load', '-i', fixture.ociArchive]);
    assert.match(r.stdout.toString(), new RegExp(`Loaded image ID: ${before.Id}`));
  });

  test('tag, save, rmi, load round trip keeps the image id and diffIDs', async () => {
    await d.docker(['tag', 'umoci/busybox:v1', 'localhost:5000/round/trip:t1']);
    const orig = await inspect(d, 'localhost:5000/round/trip:t1');
    assert.ok(orig.RepoTags.includes('localhost:5000/round/trip:t1'));
    const tarFile = path.join(d.dir, 'saved.tar');
    await d.docker(['save', '-o', tarFile, 'localhost:5000/round/trip:t1']);
    const names = (await exec('tar', ['-tf', tarFile])).stdout.toString();
    assert.match(names, /^manifest\.json$/m);
    assert.match(names, /^index\.json$/m);
    const rmi = await d.docker(['rmi', 'localhost:5000/round/trip:t1', 'umoci/busybox:v1']);
    assert.match(rmi.stdout.toString(), /Untagged: localhost:5000\/round\/trip:t1/);
    assert.match(rmi.stdout.toString(), new RegExp(`Deleted: ${orig.Id}`));
    const gone = await d.docker(['image', 'inspect', orig.Id], { allowFailure: true });
    assert.equal(gone.code, 1);
    const load = await d.docker(['load', '-i', tarFile]);
    assert.match(load.stdout.toString(), /Loaded image: localhost:5000\/round\/trip:t1/);
    const back = await inspect(d, 'localhost:5000/round/trip:t1');
    assert.equal(back.Id, orig.Id);
    assert.deepEqual(back.RootFS.Layers, orig.RootFS.Layers);
  });

  test('docker import makes a one-layer image with --change and --message', async () => {
    const rootfs = await busyboxRootfsTar();
    const r = await d.docker(['import', '-c', 'CMD ["sh", "-c", "echo hi"]', '-c', 'ENV A=1', '-m', 'from the test', rootfs, 'imported:one']);
    assert.match(r.stdout.toString().trim(), /^sha256:[0-9a-f]{64}$/);
    const img = await inspect(d, 'imported:one');
    assert.equal(img.RootFS.Layers.length, 1);
    assert.deepEqual(img.Config.Cmd, ['sh', '-c', 'echo hi']);
    assert.ok(img.Config.Env?.includes('A=1'));
    assert.equal(img.Comment, 'from the test');
    const stdin = await d.docker(['import', '-', 'imported:stdin'], { input: await fsp.readFile(rootfs) });
    assert.match(stdin.stdout.toString().trim(), /^sha256:[0-9a-f]{64}$/);
    assert.equal((await inspect(d, 'imported:stdin')).RootFS.Layers[0], img.RootFS.Layers[0], 'same tar, same diffID');
  });

  test('rmi of a missing image fails with docker\'s message', async () => {
    const r = await d.docker(['rmi', 'nosuch'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error response from daemon: No such image: nosuch:latest/);
    const i = await d.docker(['image', 'inspect', 'nosuch:v2'], { allowFailure: true });
    assert.equal(i.code, 1);
    assert.match(i.stderr, /No such image: nosuch:v2/);
  });

  test('a truncated archive is refused and leaves the store as it was', async () => {
    const beforeFiles = await storeListing(d);
    const whole = await fsp.readFile(fixture.dockerArchive);
    const cut = path.join(d.dir, 'cut.tar');
    await fsp.writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await d.docker(['load', '-i', cut], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout.toString(), /invalid archive|unexpected end/i);
    assert.deepEqual(await storeListing(d), beforeFiles);
  });

  // Regression (issue 11, finding 6): dockerd answers 200 and puts the error in the JSON
  // stream; the CLI raises it as its load error (no "Error response from daemon"), exit 1.
  test('docker load < a file that is no archive: exit 1 with the message; the API answers 200 and streams the error', async () => {
    const beforeFiles = await storeListing(d);
    const r = await d.docker(['load'], { input: 'this is not a tar archive\n', allowFailure: true });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'invalid archive: Unexpected end of data\n');
    const api = await d.request('POST', '/images/load', 'this is not a tar archive\n', { 'Content-Type': 'application/x-tar' });
    assert.equal(api.status, 200);
    assert.equal(api.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(api.body.trim().split('\n').at(-1)!), { errorDetail: { message: 'invalid archive: Unexpected end of data' }, error: 'invalid archive: Unexpected end of data' });
    assert.deepEqual(await storeListing(d), beforeFiles);
  });

  test('a layer that does not match its diffID is refused and nothing is stored', async () => {
    const dir = path.join(d.dir, 'bad-digest');
    await fsp.mkdir(dir);
    await exec('tar', ['-xf', fixture.dockerArchive, '-C', dir]);
    const manifest = JSON.parse(await fsp.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Array<{ Layers: string[] }>;
    const layer = path.join(dir, manifest[0]!.Layers[1]!);
    const real = await fsp.realpath(layer);
    await fsp.appendFile(real, Buffer.alloc(1024));
    const tarFile = path.join(d.dir, 'bad-digest.tar');
    await exec('tar', ['-cf', tarFile, '-C', dir, '.']);
    await d.docker(['rmi', '-f', 'umoci/busybox:v1'], { allowFailure: true });
    await d.docker(['rmi', '-f', 'localhost:5000/round/trip:t1'], { allowFailure: true });
    const beforeFiles = await storeListing(d);
    const r = await d.docker(['load', '-i', tarFile], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout.toString(), /does not match its diffID/);
    assert.deepEqual(await storeListing(d), beforeFiles);
  });

  test('image prune removes dangling images only', async () => {
    const rootfs = await busyboxRootfsTar();
    const id = (await d.docker(['import', '-c', 'LABEL dangling=yes', rootfs])).stdout.toString().trim();
    const dangling = await d.docker(['images', '-q', '--no-trunc', '--filter', 'dangling=true']);
    assert.ok(dangling.stdout.toString().includes(id));
    const r = await d.docker(['image', 'prune', '-f']);
    assert.match(r.stdout.toString(), new RegExp(`deleted: ${id}`));
    assert.equal((await d.docker(['image', 'inspect', id], { allowFailure: true })).code, 1);
    await inspect(d, 'imported:one');
  });

  test('docker system df counts images', async () => {
    const r = await d.docker(['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    assert.match(r.stdout.toString(), /^Images [1-9]\d*$/m);
  });
});
