import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { mountsUnder, needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, out, removeContainers } from '../helpers/containers.js';

/**
 * `docker cp` and `berth cp` against berthd: both directions, files and directories, modes,
 * owners and symlinks, tar on stdin/stdout, running and stopped containers, and the
 * guarantees of the archive API: a symlink inside the container never makes a copy read or
 * write outside its root, not even while the container swaps directories for symlinks.
 */
describe('cp: docker cp and the archive API', needsDocker, () => {
  let d: TestDaemon;
  let work: string;
  before(async () => {
    d = await startDaemon('cp');
    await importBusybox(d);
    work = await scratchDir('cp-work');
  });
  after(async () => {
    await d?.stop();
    if (work) await fsp.rm(work, { recursive: true, force: true });
  });

  async function running(t: { after: (fn: () => Promise<void>) => void }, extra: string[] = []): Promise<string> {
    const id = out(await d.docker(['run', '-d', ...extra, 'busybox', 'sleep', '1000'])).trim();
    t.after(() => removeContainers(d, id));
    return id;
  }

  async function inContainer(id: string, script: string): Promise<string> {
    return out(await d.docker(['exec', id, 'sh', '-c', script]));
  }

  test('a file and a directory go in and come back with modes, symlinks and contents', async (t) => {
    const id = await running(t);
    const src = path.join(work, 'tree');
    await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(src, 'a.txt'), 'alpha\n', { mode: 0o640 });
    await fsp.writeFile(path.join(src, 'sub', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    await fsp.symlink('a.txt', path.join(src, 'link'));
    await fsp.chmod(path.join(src, 'a.txt'), 0o640);
    const r = await d.docker(['cp', src, `${id}:/tmp/`]);
    assert.equal(r.code, 0);
    assert.equal(await inContainer(id, 'cat /tmp/tree/a.txt; stat -c "%a %U" /tmp/tree/a.txt /tmp/tree/sub/run.sh; readlink /tmp/tree/link'),
      'alpha\n640 root\n755 root\na.txt\n');
    // A single file to a new name.
    await d.docker(['cp', path.join(src, 'a.txt'), `${id}:/renamed.txt`]);
    assert.equal(await inContainer(id, 'cat /renamed.txt'), 'alpha\n');
    // And back out.
    const back = path.join(work, 'back');
    await d.docker(['cp', `${id}:/tmp/tree`, back]);
    assert.equal(await fsp.readFile(path.join(back, 'a.txt'), 'utf8'), 'alpha\n');
    assert.equal((await fsp.stat(path.join(back, 'sub', 'run.sh'))).mode & 0o777, 0o755);
    assert.equal(await fsp.readlink(path.join(back, 'link')), 'a.txt');
    await d.docker(['cp', `${id}:/tmp/tree/a.txt`, path.join(work, 'one.txt')]);
    assert.equal(await fsp.readFile(path.join(work, 'one.txt'), 'utf8'), 'alpha\n');
    // `dir/.` copies the contents, not the directory.
    await fsp.mkdir(path.join(work, 'contents'));
    await d.docker(['cp', `${id}:/tmp/tree/.`, path.join(work, 'contents')]);
    assert.deepEqual((await fsp.readdir(path.join(work, 'contents'))).sort(), ['a.txt', 'link', 'sub']);
  });

  test('owners: the archive\'s ids by default, the container user\'s with -a', async (t) => {
    const id = await running(t, ['--user', '1234:2345']);
    const f = path.join(work, 'owned.txt');
    await fsp.writeFile(f, 'x');
    await fsp.chown(f, 4321, 5432);
    await d.docker(['cp', f, `${id}:/tmp/plain.txt`]);
    await d.docker(['cp', '-a', f, `${id}:/tmp/archived.txt`]);
    assert.equal(await inContainer(id, 'stat -c "%u:%g" /tmp/plain.txt /tmp/archived.txt'), '4321:5432\n1234:2345\n');
  });

  test('tar on stdin and stdout with "-"', async (t) => {
    const id = await running(t);
    const tarFile = path.join(work, 'in.tar');
    await fsp.mkdir(path.join(work, 'tarsrc'), { recursive: true });
    await fsp.writeFile(path.join(work, 'tarsrc', 'from-tar'), 'tarred\n');
    await exec('tar', ['-cf', tarFile, '-C', path.join(work, 'tarsrc'), 'from-tar']);
    await d.docker(['cp', '-', `${id}:/tmp`], { input: await fsp.readFile(tarFile) });
    assert.equal(await inContainer(id, 'cat /tmp/from-tar'), 'tarred\n');
    const r = await d.docker(['cp', `${id}:/tmp/from-tar`, '-']);
    const listed = await exec('tar', ['-tvf', '-'], { input: r.stdout });
    assert.match(out(listed), /from-tar\n$/);
    // A tar into a file is refused by the CLI before any request.
    const bad = await d.docker(['cp', '-', `${id}:/tmp/from-tar`], { input: await fsp.readFile(tarFile), allowFailure: true });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /must be a directory/);
  });

  // Issue 16, finding 3: a symlink copied out came back as a link to
  // <data-root>/containers/<id>/rootfs/s, leaking the data-root and making a relative link
  // that climbs out of the copy absolute. Links must travel with their text unchanged.
  test('symlinks keep their target text, out of the container and into it', async (t) => {
    const id = await running(t);
    await inContainer(id, 'ln -s /etc/shadow /s && mkdir /d && ln -s ../../../etc/passwd /d/up && ln -s sub/x /d/down');
    const list = async (p: string) => {
      const r = await d.docker(['cp', `${id}:${p}`, '-']);
      return out(await exec('tar', ['-tvf', '-'], { input: r.stdout })).trim().split('\n').map((l) => l.replace(/^.* (\S+ -> \S+)$/, '$1'));
    };
    assert.deepEqual(await list('/s'), ['s -> /etc/shadow']);
    assert.deepEqual(await list('/d/up'), ['up -> ../../../etc/passwd']);
    assert.deepEqual((await list('/d')).filter((l) => l.includes(' -> ')), ['d/down -> sub/x', 'd/up -> ../../../etc/passwd']);
    const src = path.join(work, 'links');
    await fsp.mkdir(src);
    await fsp.symlink('/etc/shadow', path.join(src, 'abs'));
    await fsp.symlink('../../../etc/passwd', path.join(src, 'up'));
    assert.equal((await d.docker(['cp', src, `${id}:/tmp/`])).code, 0);
    assert.equal(await inContainer(id, 'readlink /tmp/links/abs; readlink /tmp/links/up'), '/etc/shadow\n../../../etc/passwd\n');
  });

  test('a stopped container: both ways, and its rootfs is unmounted after', async (t) => {
    const id = out(await d.docker(['create', 'busybox', 'true'])).trim();
    t.after(() => removeContainers(d, id));
    await fsp.writeFile(path.join(work, 'stopped.txt'), 'while stopped\n');
    await d.docker(['cp', path.join(work, 'stopped.txt'), `${id}:/`]);
    await d.docker(['cp', `${id}:/stopped.txt`, path.join(work, 'stopped-back.txt')]);
    assert.equal(await fsp.readFile(path.join(work, 'stopped-back.txt'), 'utf8'), 'while stopped\n');
    assert.deepEqual(mountsUnder(d.dataRoot).filter((m) => m.includes(id)), []);
    const r = await d.docker(['start', '-a', id]);
    assert.equal(r.code, 0);
  });

  test('errors are Docker\'s: a missing path, a file as extraction point', async (t) => {
    const id = await running(t);
    const r = await d.docker(['cp', `${id}:/nope`, work], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Could not find the file /nope in container ${id}`));
    const head = await d.request('HEAD', `/containers/${id}/archive?path=/nope`);
    assert.equal(head.status, 404);
    const put = await d.request('PUT', `/containers/${id}/archive?path=/bin/sh`, Buffer.alloc(1024));
    assert.equal(put.status, 400);
    assert.match(put.body, /extraction point is not a directory/);
    const noPath = await d.request('GET', `/containers/${id}/archive`);
    assert.equal(noPath.status, 400);
    const noCtr = await d.request('HEAD', '/containers/nosuch/archive?path=/');
    assert.equal(noCtr.status, 404);
  });

  test('the stat header is base64 JSON with a Go file mode and the link target', async (t) => {
    const id = await running(t);
    await inContainer(id, 'mkdir -p /s/dir && ln -s /s/dir /s/link && echo 12345 > /s/f && chmod 4755 /s/f');
    const stat = async (p: string) => {
      const r = await d.request('HEAD', `/containers/${id}/archive?path=${encodeURIComponent(p)}`);
      assert.equal(r.status, 200);
      return JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString('utf8')) as Record<string, unknown>;
    };
    const f = await stat('/s/f');
    assert.equal(f.name, 'f');
    assert.equal(f.size, 6);
    assert.equal(f.mode, (1 << 23) | 0o755);
    assert.match(String(f.mtime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const dir = await stat('/s/dir');
    assert.equal(dir.mode, 2 ** 31 + 0o755);
    const link = await stat('/s/link');
    assert.equal(link.mode, (1 << 27) | 0o777);
    assert.equal(link.linkTarget, '/s/dir');
    assert.equal((await stat('/s/link/')).mode, 2 ** 31 + 0o755);
  });

  test('symlinks to / and .. chains stay inside the container', async (t) => {
    const id = await running(t);
    const hostDir = await scratchDir('cp-host');
    t.after(() => fsp.rm(hostDir, { recursive: true, force: true }));
    const sentinel = path.join(hostDir, 'sentinel');
    await fsp.writeFile(sentinel, 'HOST SECRET\n');
    await inContainer(id, `ln -s / /toroot && ln -s ../../../../../../.. /dots && mkdir -p /x && ln -s ${hostDir} /x/abs && ln -s ../../../../..${hostDir} /x/rel`);
    for (const p of [`/toroot${sentinel}`, `/dots${sentinel}`, '/x/abs/sentinel', '/x/rel/sentinel']) {
      const r = await d.docker(['cp', `${id}:${p}`, '-'], { allowFailure: true });
      assert.equal(r.code, 1, p);
      assert.match(r.stderr, /Could not find the file/);
      assert.ok(!r.stdout.includes('HOST SECRET'));
    }
    // Writes through them land in the container: the host directory gets nothing.
    const payload = path.join(work, 'payload');
    await fsp.writeFile(payload, 'from cp\n');
    await inContainer(id, `mkdir -p ${hostDir}`);
    for (const p of ['/x/abs/', '/x/rel/', `/toroot${hostDir}/`, `/dots${hostDir}/`]) {
      const r = await d.docker(['cp', payload, `${id}:${p}`]);
      assert.equal(r.code, 0, p);
    }
    assert.deepEqual(await fsp.readdir(hostDir), ['sentinel']);
    assert.equal(await inContainer(id, `cat ${hostDir}/payload`), 'from cp\n');
    // A tar whose entries climb out, or go through a symlink it brings along, stays inside too.
    const evil = await exec('sh', ['-c', `cd ${work} && rm -rf evil && mkdir evil && ln -s ${hostDir} evil/l && echo pwned > evil/p && tar -cf - -C evil l --transform 's|^p$|l/pwned|' p`]);
    const put = await d.request('PUT', `/containers/${id}/archive?path=/tmp`, evil.stdout);
    assert.equal(put.status, 200);
    assert.deepEqual(await fsp.readdir(hostDir), ['sentinel']);
    assert.equal(await fsp.readFile(sentinel, 'utf8'), 'HOST SECRET\n');
  });

  test('a container swapping a directory for a symlink in a loop never redirects a copy out', { timeout: 180_000 }, async (t) => {
    const id = await running(t);
    const hostDir = await scratchDir('cp-race');
    t.after(() => fsp.rm(hostDir, { recursive: true, force: true }));
    const sentinel = path.join(hostDir, 'sentinel');
    await fsp.writeFile(sentinel, 'HOST SECRET\n');
    // The swapper: /race/d is a real directory holding a "sentinel", then a symlink to the host's directory path.
    await d.docker(['exec', '-d', id, 'sh', '-c',
      `mkdir -p /race; while true; do rm -rf /race/d; mkdir /race/d; echo inside > /race/d/sentinel; rm -rf /race/d; ln -s ${hostDir} /race/d; done`]);
    const payload = path.join(work, 'race-payload');
    await fsp.writeFile(payload, 'raced\n');
    let reads = 0;
    for (let i = 0; i < 40; i++) {
      const r = await d.docker(['cp', `${id}:/race/d/sentinel`, '-'], { allowFailure: true });
      assert.ok(!r.stdout.includes('HOST SECRET'), `read the host sentinel on round ${i}`);
      if (r.code === 0) reads++;
      await d.request('PUT', `/containers/${id}/archive?path=/race/d`, await tarOf(payload));
      await d.docker(['cp', `${id}:/race`, path.join(work, `race-out-${i}`)], { allowFailure: true });
      assert.deepEqual(await fsp.readdir(hostDir), ['sentinel'], `wrote into the host directory on round ${i}`);
    }
    assert.equal(await fsp.readFile(sentinel, 'utf8'), 'HOST SECRET\n');
    t.diagnostic(`${reads} of 40 reads found the container's own file`);
  });

  test('berth cp does the same', async (t) => {
    const id = await running(t);
    await fsp.writeFile(path.join(work, 'berth.txt'), 'via berth\n');
    const r = await d.berth(['cp', path.join(work, 'berth.txt'), `${id}:/tmp/`]);
    assert.equal(r.code, 0);
    assert.equal(await inContainer(id, 'cat /tmp/berth.txt'), 'via berth\n');
    await d.berth(['cp', `${id}:/tmp/berth.txt`, path.join(work, 'berth-back.txt')]);
    assert.equal(await fsp.readFile(path.join(work, 'berth-back.txt'), 'utf8'), 'via berth\n');
    const tar = await d.berth(['cp', `${id}:/tmp/berth.txt`, '-']);
    assert.match(out(await exec('tar', ['-tf', '-'], { input: tar.stdout })), /^berth.txt\n$/);
    // A directory both ways, with a symlink and a mode.
    const tree = path.join(work, 'btree');
    await fsp.mkdir(path.join(tree, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(tree, 'sub', 'x'), 'x\n', { mode: 0o600 });
    await fsp.symlink('sub/x', path.join(tree, 'lx'));
    await d.berth(['cp', tree, `${id}:/tmp/copied`]);
    assert.equal(await inContainer(id, 'cat /tmp/copied/sub/x; stat -c %a /tmp/copied/sub/x; readlink /tmp/copied/lx'), 'x\n600\nsub/x\n');
    await d.berth(['cp', `${id}:/tmp/copied`, path.join(work, 'btree-back')]);
    assert.equal(await fsp.readFile(path.join(work, 'btree-back', 'sub', 'x'), 'utf8'), 'x\n');
    assert.equal(await fsp.readlink(path.join(work, 'btree-back', 'lx')), 'sub/x');
    const missing = await d.berth(['cp', `${id}:/nope`, work], { allowFailure: true });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, new RegExp(`Error response from daemon: Could not find the file /nope in container ${id}`));
    assert.ok(existsSync(path.join(work, 'berth-back.txt')));
  });

  async function tarOf(file: string): Promise<Buffer> {
    return (await exec('tar', ['-cf', '-', '-C', path.dirname(file), path.basename(file)])).stdout;
  }
});
