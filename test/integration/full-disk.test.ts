// Issue 16, finding 1: with the data-root's filesystem full, stop, kill and rm -f must work
// (no state write stands between a request and the kill), the state shown must be the true
// one, and a record that could not be written lands once space returns. The data-root is a
// small ext4 made by the test (`-m 0`: no reserved blocks that root could still write into).
import assert from 'node:assert/strict';
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor } from '../../src/util/index.js';
import { importBusybox, inspectContainer, out } from '../helpers/containers.js';
import { scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';

async function freeBytes(dir: string): Promise<number> {
  const s = await fsp.statfs(dir);
  return s.bavail * s.bsize;
}

describe('a full data-root (issue 16)', () => {
  let dir: string;
  let mnt: string;
  let d: TestDaemon | undefined;
  before(async () => {
    dir = await scratchDir('fulldisk');
    mnt = path.join(dir, 'root');
    const img = path.join(dir, 'disk.img');
    await fsp.mkdir(mnt);
    await exec('truncate', ['-s', '96M', img]);
    await exec('mkfs.ext4', ['-q', '-m', '0', img]);
    await exec('mount', ['-o', 'loop', img, mnt]);
    d = await startDaemon('fulldisk', [], { dir });
    await importBusybox(d);
  });
  after(async () => {
    // The daemon's stop removes `dir`: the loop mount must go first, but after the daemon.
    const root = mnt;
    if (d) {
      await d.request('GET', '/containers/json?all=1').then(async (r) => {
        for (const c of JSON.parse(r.body) as Array<{ Id: string }>) await d!.request('DELETE', `/containers/${c.Id}?force=1`);
      }).catch(() => undefined);
      await d.stop('SIGKILL').catch(() => undefined);
    }
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n').reverse()) {
      const m = line.split(' ')[4];
      if (m && (m === root || m.startsWith(root + '/'))) await exec('umount', ['-l', m], { allowFailure: true });
    }
    await fsp.rm(dir, { recursive: true, force: true });
  });

  test('a container that filled the disk is stopped, killed and removed; inspect shows the truth; records land when space returns', { timeout: 120_000 }, async () => {
    const daemon = d!;
    const other = out(await daemon.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
    const third = out(await daemon.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
    const filler = out(await daemon.docker(['run', '-d', 'busybox', 'sh', '-c', 'dd if=/dev/zero of=/fill bs=1M; i=0; while echo x > /f$i; do i=$((i+1)); done; echo full; exec sleep 1000'])).trim();
    // Full: dd stopped with ENOSPC and the shell said so.
    await waitFor('the filler to fill the disk', async () => (out(await daemon.docker(['logs', filler])).includes('full') ? true : undefined), { timeoutMs: 60_000 });
    assert.ok(await freeBytes(mnt) < 1024 * 1024, `the data-root is full (${await freeBytes(mnt)} bytes free)`);

    // What needs space fails naming the cause (a commit of the filler writes its whole layer).
    const refused = await daemon.docker(['commit', filler], { allowFailure: true });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /no space left on device/);
    assert.doesNotMatch(refused.stderr, /ENOENT/);
    // A create that cannot make its directory says why (Node's recursive mkdir said ENOENT).
    const created = await daemon.docker(['create', 'busybox', 'true'], { allowFailure: true });
    if (created.code !== 0) {
      assert.match(created.stderr, /no space left on device/);
      assert.doesNotMatch(created.stderr, /ENOENT/);
    } else {
      await daemon.docker(['rm', out(created).trim()]);
    }

    await daemon.docker(['stop', '-t', '1', filler]);
    assert.equal((await inspectContainer(daemon, filler)).State.Running, false);
    await daemon.docker(['kill', other]);
    const killed = await inspectContainer(daemon, other);
    assert.deepEqual([killed.State.Running, killed.State.ExitCode], [false, 137]);
    // The record on disk could not be written; what the API shows is the true state.
    await daemon.docker(['rm', '-f', third]);
    assert.equal((await daemon.request('GET', `/containers/${third}/json`)).status, 404);

    assert.match(daemon.log(), /saving the container record failed; kept in memory and retried/);

    // Space returns: removing the filler frees its layer; the kept records are written.
    await daemon.docker(['rm', '-f', filler]);
    assert.ok(await freeBytes(mnt) > 16 * 1024 * 1024);
    const recordFile = path.join(daemon.dataRoot, 'containers', other, 'config.json');
    const saved = await waitFor('the kept record to be written', async () => {
      const onDisk = JSON.parse(await fsp.readFile(recordFile, 'utf8')) as { state: { status: string; exitCode: number } };
      if (onDisk.state.status !== 'exited') throw new Error(`on disk: ${onDisk.state.status}`);
      return onDisk.state;
    }, { timeoutMs: 10_000 });
    assert.equal(saved.exitCode, 137);
    await daemon.docker(['rm', other]);
  });
});
