import assert from 'node:assert/strict';
import { promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawn } from 'node:child_process';
import { dockerBin, needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, out, removeContainers } from '../helpers/containers.js';

const BASE = 300000;

/**
 * userns-remap through the real docker CLI: root in a container is an unprivileged host id from
 * the subordinate ranges, image layers are seen with shifted owners through idmapped mounts (the
 * layers themselves untouched), volumes belong to the remapped root, `--userns host` opts out,
 * and dockerd's refusals. The subuid/subgid files are the test's own (`--subid-dir`): the host's
 * /etc files are never written. The user is `nobody` (group `nogroup`), which Debian has.
 */
describe('userns-remap', needsDocker, () => {
  let d: TestDaemon;
  let subids: string;
  before(async () => {
    subids = await scratchDir('subid');
    await fsp.writeFile(path.join(subids, 'subuid'), `nobody:${BASE}:65536\n`);
    await fsp.writeFile(path.join(subids, 'subgid'), `nogroup:${BASE}:65536\n`);
    // The remapped root must pass through every directory above the data-root (dockerd checks).
    const dir = await scratchDir('userns');
    await fsp.chmod(dir, 0o711);
    await fsp.chmod(path.dirname(dir), 0o711);
    d = await startDaemon('userns', ['--userns-remap', 'nobody:nogroup', '--subid-dir', subids], { dir });
    await importBusybox(d);
  });
  after(async () => {
    await d?.stop();
    await fsp.rm(subids, { recursive: true, force: true });
  });

  test('root inside is the remapped host id; image files are root\'s inside and untouched on disk', async (t) => {
    t.after(() => removeContainers(d, 'u1'));
    const text = out(await d.docker(['run', '--name', 'u1', 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map; stat -c "%u %g" /bin/busybox /; touch /made; ip -o addr show lo']));
    const [uid, map, busybox, root] = text.split('\n');
    assert.equal(uid, '0');
    assert.match(map!, new RegExp(`^\\s*0\\s+${BASE}\\s+65536$`));
    assert.equal(busybox, '0 0', 'an image file owned by 0 is root\'s inside');
    assert.equal(root, '0 0');
    assert.match(text, /inet 127\.0\.0\.1\/8/, 'loopback is up');
    const c = await inspectContainer(d, 'u1');
    const upper = path.join(d.dataRoot, 'containers', c.Id, 'upper');
    const made = statSync(path.join(upper, 'made'));
    assert.deepEqual([made.uid, made.gid], [BASE, BASE], 'what the container writes belongs to the remapped root on the host');
    // The layer itself was not chowned: one image store serves remapped and host containers.
    const snapshots = path.join(d.dataRoot, 'snapshots');
    const layers = (await fsp.readdir(snapshots)).filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => path.join(snapshots, n, 'diff', 'bin', 'busybox'));
    const busyboxLayer = layers.find((f) => { try { return statSync(f).isFile(); } catch { return false; } });
    assert.ok(busyboxLayer, 'the busybox layer is in the snapshot store');
    assert.equal(statSync(busyboxLayer).uid, 0);
  });

  test('exec runs as the remapped root; --userns host runs with the host\'s ids', async (t) => {
    t.after(() => removeContainers(d, 'u2'));
    await d.docker(['run', '-d', '--name', 'u2', 'busybox', 'sleep', '300']);
    assert.match(out(await d.docker(['exec', 'u2', 'cat', '/proc/self/uid_map'])), new RegExp(`^\\s*0\\s+${BASE}\\s+65536`));
    assert.match(out(await d.docker(['run', '--rm', '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map'])), /^\s*0\s+0\s+4294967295/);
  });

  test('volumes: a new one belongs to the remapped root; copy-up keeps the image\'s owners, shifted', async (t) => {
    t.after(async () => {
      await removeContainers(d, 'mkimg', 'uv');
      await d.docker(['volume', 'rm', '-f', 'uvol', 'ucopy'], { allowFailure: true });
    });
    await d.docker(['run', '--name', 'uv', '-v', 'uvol:/data', 'busybox', 'touch', '/data/x']);
    const data = path.join(d.dataRoot, 'volumes', 'uvol', '_data');
    assert.deepEqual([statSync(data).uid, statSync(path.join(data, 'x')).uid], [BASE, BASE]);
    await d.docker(['run', '--name', 'mkimg', '--userns', 'host', 'busybox', 'sh', '-c', 'mkdir /d && echo hi > /d/f && chown 1000:1000 /d/f']);
    await d.docker(['commit', '-c', 'VOLUME /d', 'mkimg', 'withd']);
    assert.equal(out(await d.docker(['run', '--rm', '-v', 'ucopy:/d', 'withd', 'stat', '-c', '%u %g', '/d/f'])).trim(), '1000 1000');
    assert.equal(statSync(path.join(d.dataRoot, 'volumes', 'ucopy', '_data', 'f')).uid, BASE + 1000, 'on the host, shifted into the range');
  });

  test('commit and export map the remapped owners back to the container\'s', async (t) => {
    t.after(() => removeContainers(d, 'uc'));
    await d.docker(['run', '--name', 'uc', 'busybox', 'sh', '-c', 'touch /made && mkdir /home/u && chown 1000:1000 /home/u']);
    await d.docker(['commit', 'uc', 'ucommit']);
    assert.equal(out(await d.docker(['run', '--rm', '--userns', 'host', 'ucommit', 'stat', '-c', '%u %g', '/made', '/home/u'])), '0 0\n1000 1000\n');
    const listing = await new Promise<string>((resolve, reject) => {
      const p = spawn(dockerBin, ['export', 'uc'], { env: { PATH: process.env.PATH ?? '', DOCKER_HOST: d.host, HOME: d.dir } });
      const tarList = spawn('tar', ['-tvf', '-', 'made', 'home/u/', 'bin/busybox', '--numeric-owner']);
      p.stdout.pipe(tarList.stdin);
      let text = '';
      tarList.stdout.on('data', (c: Buffer) => { text += c.toString(); });
      tarList.on('close', () => resolve(text));
      tarList.on('error', reject);
    });
    assert.match(listing, /^\S+ 0\/0 .* bin\/busybox$/m);
    assert.match(listing, /^\S+ 0\/0 .* made$/m);
    assert.match(listing, /^\S+ 1000\/1000 .* home\/u\/$/m);
  });

  test('docker cp into and out of a remapped container maps owners both ways', async (t) => {
    t.after(() => removeContainers(d, 'ucp'));
    await d.docker(['run', '-d', '--name', 'ucp', 'busybox', 'sh', '-c', 'mkdir /home/me && chown 1000:1000 /home/me && sleep 300']);
    const src = path.join(d.dir, 'ucp.txt');
    await fsp.writeFile(src, 'copied in\n');
    await d.docker(['cp', src, 'ucp:/home/me/in.txt']);
    const c = await inspectContainer(d, 'ucp');
    const st = statSync(path.join(d.dataRoot, 'containers', c.Id, 'upper', 'home', 'me', 'in.txt'));
    assert.deepEqual([st.uid, st.gid], [BASE, BASE], 'a copied-in file is the remapped root\'s on the host');
    assert.equal(out(await d.docker(['exec', 'ucp', 'stat', '-c', '%u %g', '/home/me/in.txt'])), '0 0\n');
    const listing = await new Promise<string>((resolve, reject) => {
      const p = spawn(dockerBin, ['cp', 'ucp:/home/me', '-'], { env: { PATH: process.env.PATH ?? '', DOCKER_HOST: d.host, HOME: d.dir } });
      const tarList = spawn('tar', ['-tvf', '-', '--numeric-owner']);
      p.stdout.pipe(tarList.stdin);
      let text = '';
      tarList.stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      tarList.on('close', () => resolve(text));
      tarList.on('error', reject);
    });
    assert.match(listing, /^\S+ 1000\/1000 .* me\/$/m, 'copied out with the container\'s ids');
    assert.match(listing, /^\S+ 0\/0 .* me\/in\.txt$/m);
  });

  test('dockerd\'s refusals: privileged, host network or PID, an unknown --userns', async () => {
    for (const [args, message] of [
      [['--privileged'], 'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode'],
      [['--network', 'host'], "cannot share the host's network namespace when user namespaces are enabled"],
      [['--pid', 'host'], 'cannot share the host PID namespace when user namespaces are enabled'],
    ] as Array<[string[], string]>) {
      const r = await d.docker(['run', '--rm', ...args, 'busybox', 'true'], { allowFailure: true });
      assert.equal(r.code, 125, args.join(' '));
      assert.match(r.stderr, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
    assert.equal(out(await d.docker(['run', '--rm', '--privileged', '--userns', 'host', 'busybox', 'echo', 'ok'])), 'ok\n');
    const api = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { UsernsMode: 'bogus' } }), { 'Content-Type': 'application/json' });
    assert.equal(api.status, 400);
    assert.equal(JSON.parse(api.body).message, 'invalid USER mode: bogus');
  });

  test('a data-root below a directory the remapped root cannot pass: berthd refuses to start', async () => {
    const dir = await scratchDir('userns-closed');
    await fsp.chmod(dir, 0o700);
    const p = await import('node:child_process');
    const { berthdBin } = await import('../helpers/daemon.js');
    await fsp.writeFile(path.join(dir, 'daemon.json'), '{}');
    const r = p.spawnSync(process.execPath, [berthdBin, '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${path.join(dir, 's.sock')}`, '--pidfile', path.join(dir, 'pid'), '--config-file', path.join(dir, 'daemon.json'), '--userns-remap', 'nobody:nogroup', '--subid-dir', subids], { encoding: 'utf8', timeout: 20_000 });
    await fsp.rm(dir, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /restricts access to the remapped root uid\/gid; please fix by allowing 'o\+x' permissions on existing directories/);
  });

  test('a user without subordinate ranges: berthd refuses to start, naming it', async () => {
    const dir = await scratchDir('userns-bad');
    const p = await import('node:child_process');
    const { berthdBin } = await import('../helpers/daemon.js');
    await fsp.writeFile(path.join(dir, 'subuid'), '');
    await fsp.writeFile(path.join(dir, 'subgid'), '');
    await fsp.writeFile(path.join(dir, 'daemon.json'), JSON.stringify({ 'userns-remap': 'nobody:nogroup' }));
    const r = p.spawnSync(process.execPath, [berthdBin, '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${path.join(dir, 's.sock')}`, '--pidfile', path.join(dir, 'pid'), '--config-file', path.join(dir, 'daemon.json'), '--subid-dir', dir], { encoding: 'utf8', timeout: 20_000 });
    await fsp.rm(dir, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr + r.stdout, /no subuid ranges found for user "nobody"/);
  });
});
