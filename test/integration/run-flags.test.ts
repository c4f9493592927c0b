import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, inspectContainer, out, removeContainers } from '../helpers/containers.js';

/**
 * Shared and host namespaces and the remaining run/create flags (issue 8), through the real
 * docker CLI and berth: pid/ipc/uts/cgroupns modes with dockerd's refusals, --platform,
 * --domainname, --oom-kill-disable, --cidfile, security options this host lacks, and
 * `system prune`.
 */
describe('namespaces and the remaining run flags', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('run-flags');
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  const run = async (args: string[]): Promise<string> => out(await d.docker(['run', '--rm', ...args]));
  const fails = async (args: string[], code: number, message: RegExp) => {
    const r = await d.docker(args, { allowFailure: true });
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  };

  test('--pid container: sees the peer\'s processes; --pid host sees the host\'s', async (t) => {
    t.after(() => removeContainers(d, 'pid-peer'));
    await d.docker(['run', '-d', '--name', 'pid-peer', 'busybox', 'sleep', '301']);
    const ps = await run(['--pid', 'container:pid-peer', 'busybox', 'ps', '-o', 'pid,args']);
    assert.match(ps, /^\s*1 sleep 301$/m, 'the peer\'s PID 1');
    const own = await run(['busybox', 'ps', '-o', 'pid,args']);
    assert.doesNotMatch(own, /sleep 301/);
    const hostPs = await run(['--pid', 'host', 'busybox', 'sh', '-c', 'ls /proc | grep -c "^[0-9]"']);
    assert.ok(Number(hostPs) > 20, `the host's processes: ${hostPs.trim()}`);
  });

  test('--ipc shareable and container:: both see the same /dev/shm; a private donor is refused', async (t) => {
    t.after(() => removeContainers(d, 'ipc-donor', 'ipc-private'));
    await d.docker(['run', '-d', '--name', 'ipc-donor', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo from-donor > /dev/shm/seg; sleep 300']);
    const donor = await inspectContainer(d, 'ipc-donor');
    const shm = path.join(d.dataRoot, 'containers', donor.Id, 'mounts', 'shm');
    await waitForFile(path.join(shm, 'seg'));
    assert.equal((await run(['--ipc', 'container:ipc-donor', 'busybox', 'sh', '-c', 'cat /dev/shm/seg; echo from-joiner > /dev/shm/back'])).trim(), 'from-donor');
    assert.equal(out(await d.docker(['exec', 'ipc-donor', 'cat', '/dev/shm/back'])).trim(), 'from-joiner', 'shared memory seen by both');
    const ns = async (c: string) => out(await d.docker(['exec', c, 'readlink', '/proc/self/ns/ipc'])).trim();
    await d.docker(['run', '-d', '--name', 'ipc-private', 'busybox', 'sleep', '300']);
    assert.notEqual(await ns('ipc-donor'), await ns('ipc-private'));
    await fails(['run', '--rm', '--ipc', 'container:ipc-private', 'busybox', 'true'], 125, /container ipc-private: non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/);
    await d.docker(['rm', '-f', 'ipc-donor']);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(shm), 'the donor\'s shm is unmounted with it');
  });

  test('a peer that does not exist or is not running is refused with dockerd\'s messages; unknown modes too', async (t) => {
    t.after(() => removeContainers(d, 'stopped-peer'));
    await d.docker(['create', '--name', 'stopped-peer', 'busybox']);
    await fails(['run', '--rm', '--pid', 'container:stopped-peer', 'busybox', 'true'], 125, /container stopped-peer is not running/);
    await fails(['run', '--rm', '--ipc', 'container:stopped-peer', 'busybox', 'true'], 125, /container stopped-peer is not running/);
    await fails(['run', '--rm', '--network', 'container:stopped-peer', 'busybox', 'true'], 125, /cannot join network of a non running container: stopped-peer/);
    await fails(['run', '--rm', '--pid', 'container:nosuch', 'busybox', 'true'], 125, /No such container: nosuch/);
    const api = (body: unknown) => d.request('POST', '/containers/create', JSON.stringify(body), { 'Content-Type': 'application/json' });
    let r = await api({ Image: 'busybox', HostConfig: { IpcMode: 'bogus' } });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'invalid IPC mode: bogus');
    for (const [hc, message] of [
      [{ PidMode: 'bogus' }, 'invalid PID mode: bogus'],
      [{ UTSMode: 'bogus' }, 'invalid UTS mode: bogus'],
      [{ CgroupnsMode: 'bogus' }, 'invalid cgroup namespace mode: bogus, only private and host are supported'],
    ] as const) {
      const rr = await api({ Image: 'busybox', HostConfig: hc });
      assert.equal(rr.status, 400);
      assert.equal(JSON.parse(rr.body).message, message);
    }
    r = await api({ Image: 'busybox', Hostname: 'x', HostConfig: { UTSMode: 'host' } });
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).message, 'conflicting options: hostname and the UTS mode');
  });

  test('--uts host has the host\'s name; --cgroupns private shows its own cgroup root; --domainname', async () => {
    assert.equal((await run(['--uts', 'host', 'busybox', 'hostname'])).trim(), os.hostname());
    const privateCg = await run(['--cgroupns', 'private', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.ok(privateCg.trim().split('\n').every((l) => l.endsWith(':/')), privateCg);
    const hostCg = await run(['--cgroupns', 'host', 'busybox', 'cat', '/proc/self/cgroup']);
    assert.match(hostCg, /\/berth\/[0-9a-f]{64}$/m);
    assert.equal((await run(['-h', 'box', '--domainname', 'example.test', 'busybox', 'cat', '/proc/sys/kernel/hostname', '/proc/sys/kernel/domainname'])), 'box\nexample.test\n');
  });

  test('--platform: a matching one runs; another is refused with dockerd\'s 404 message', async () => {
    assert.equal(await run(['--platform', 'linux/amd64', 'busybox', 'echo', 'ok']), 'ok\n');
    await fails(['create', '--platform', 'linux/arm64', '--pull', 'never', 'busybox'], 1, /image with reference busybox was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
    const r = await d.request('POST', '/containers/create?platform=linux%2Fs390x', JSON.stringify({ Image: 'busybox' }), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 404);
    const b = await d.berth(['run', '--rm', '--platform', 'linux/arm64', '--pull', 'never', 'busybox', 'true'], { allowFailure: true });
    assert.equal(b.code, 125);
    assert.match(b.stderr, /does not match the specified platform: wanted linux\/arm64/);
  });

  test('--oom-kill-disable reaches the memory cgroup; --stop-timeout on create is kept; kernel memory warns', async (t) => {
    t.after(() => removeContainers(d, 'oomd', 'stopt'));
    await d.docker(['run', '-d', '--name', 'oomd', '-m', '32m', '--oom-kill-disable', 'busybox', 'sleep', '300']);
    const id = (await inspectContainer(d, 'oomd')).Id;
    const v1 = `/sys/fs/cgroup/memory/berth/${id}/memory.oom_control`;
    if (existsSync(v1)) assert.match(readFileSync(v1, 'utf8'), /^oom_kill_disable 1$/m);
    assert.equal(out(await d.docker(['inspect', '-f', '{{.HostConfig.OomKillDisable}}', 'oomd'])).trim(), 'true');
    await d.docker(['create', '--name', 'stopt', '--stop-timeout', '7', 'busybox']);
    assert.equal(out(await d.docker(['inspect', '-f', '{{.Config.StopTimeout}}', 'stopt'])).trim(), '7');
    const r = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { KernelMemory: 10 * 1024 * 1024 } }), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 201);
    const body = JSON.parse(r.body) as { Id: string; Warnings: string[] };
    t.after(() => removeContainers(d, body.Id));
    // Dropped as well where the kernel has no kernel-memory limit (cgroup v2, or v1 without kmem).
    const kmem = existsSync('/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes');
    assert.deepEqual(body.Warnings, [
      'Specifying a kernel memory limit is deprecated and will be removed in a future release.',
      ...(kmem ? [] : ['Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded.']),
    ]);
  });

  test('AppArmor and SELinux options are accepted with a warning that they do nothing here', async () => {
    const r = await d.docker(['run', '--rm', '--security-opt', 'apparmor=my-profile', '--security-opt', 'label=disable', 'busybox', 'echo', 'ran'], { allowFailure: true });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(out(r), 'ran\n');
    assert.match(r.stderr, /^WARNING: AppArmor is not supported on this host: --security-opt apparmor is ignored$/m);
    assert.match(r.stderr, /^WARNING: SELinux is not supported on this host: --security-opt label is ignored$/m);
    await fails(['run', '--rm', '--security-opt', 'bogus', 'busybox', 'true'], 125, /Invalid --security-opt: "bogus"/);
    const api = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { SecurityOpt: ['bogus'] } }), { 'Content-Type': 'application/json' });
    assert.equal(api.status, 400);
  });

  test('--cidfile: the docker CLI and berth write the id; an existing file is refused', async (t) => {
    const dir = await fsp.mkdtemp(path.join(d.dir, 'cid-'));
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    for (const cli of ['docker', 'berth'] as const) {
      const file = path.join(dir, `${cli}.cid`);
      const r = await d[cli](['run', '-d', '--cidfile', file, 'busybox', 'true']);
      const id = out(r).trim();
      t.after(() => removeContainers(d, id));
      assert.equal(readFileSync(file, 'utf8'), id, cli);
      const again = await d[cli](['run', '--rm', '--cidfile', file, 'busybox', 'true'], { allowFailure: true });
      assert.equal(again.code, 125, cli);
      assert.match(again.stderr, /container ID file found, make sure the other container isn't running or delete /);
    }
  });

  for (const cli of ['docker', 'berth'] as const) {
    test(`system prune with ${cli}: stopped containers, unused networks, dangling images, build cache; --volumes anonymous volumes; -a all unused images`, async (t) => {
      const net = `prune-net-${cli}`;
      t.after(() => d.docker(['volume', 'rm', '-f', 'keep-named'], { allowFailure: true }));
      t.after(() => d.docker(['network', 'rm', net], { allowFailure: true }));
      await importBusybox(d, 'spare:1');
      await d.docker(['volume', 'create', 'keep-named']);
      await d.docker(['network', 'create', net]);
      const stopped = out(await d.docker(['run', '-d', '-v', '/anon', 'busybox', 'true'])).trim();
      await d.docker(['wait', stopped]);
      const anon = (JSON.parse(out(await d.docker(['inspect', stopped]))) as Array<{ Mounts: Array<{ Name: string }> }>)[0]!.Mounts[0]!.Name;
      const running = out(await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).trim();
      t.after(() => removeContainers(d, running));
      const labelled = out(await d.docker(['create', '--label', 'keep=1', 'busybox'])).trim();
      t.after(() => removeContainers(d, labelled));
      // A build leaves step cache behind, in use while its image is tagged.
      const ctx = await fsp.mkdtemp(path.join(d.dir, 'prune-ctx-'));
      await fsp.writeFile(path.join(ctx, 'Dockerfile'), `FROM busybox\nRUN echo ${cli} > /made-by\n`);
      await d.berth(['build', '-q', '-t', `built:${cli}`, ctx]);
      const filtered = out(await d[cli](['system', 'prune', '-f', '--filter', 'label!=keep=1']));
      assert.match(filtered, new RegExp(`^Deleted Containers:\\n(.*\\n)*${stopped}\\n\\nDeleted Networks:\\n${net}\\n\\n(.*\\n)*Total reclaimed space: .*\\n$`));
      assert.doesNotMatch(filtered, new RegExp(labelled));
      assert.doesNotMatch(filtered, /Deleted Volumes:|untagged: spare:1|Deleted build cache objects:/);
      const ids = out(await d.docker(['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
      assert.ok(ids.includes(running) && ids.includes(labelled) && !ids.includes(stopped));
      const withVolumes = out(await d[cli](['system', 'prune', '-af', '--volumes']));
      assert.match(withVolumes, new RegExp(`^Deleted Containers:\\n${labelled}\\n\\nDeleted Volumes:\\n${anon}\\n\\nDeleted Images:\\n(.*\\n)*untagged: (spare:1|built:${cli})\\n(.*\\n)*\\nDeleted build cache objects:\\n([0-9a-z]+\\n)+\\nTotal reclaimed space: \\d`));
      const vols = out(await d.docker(['volume', 'ls', '-q'])).split('\n');
      assert.ok(vols.includes('keep-named') && !vols.includes(anon), 'named volumes stay, as docker 23+ keeps them');
      assert.ok(out(await d.docker(['images', '-q', 'busybox'])).trim() !== '', 'an image a container uses stays');
      assert.equal(out(await d[cli](['system', 'prune', '-af', '--volumes'])), 'Total reclaimed space: 0B\n');
    });
  }

  test('system prune: berth asks what docker asks (flags, filters), and a "no" removes nothing', async (t) => {
    const stopped = out(await d.docker(['create', 'busybox'])).trim();
    t.after(() => removeContainers(d, stopped));
    for (const args of [[], ['-a'], ['--volumes'], ['-a', '--volumes', '--filter', 'label=b', '--filter', 'label=a10', '--filter', 'label=a9', '--filter', 'label!=x'], ['--filter', 'until=1h']]) {
      const dr = await d.docker(['system', 'prune', ...args], { input: 'n\n', allowFailure: true });
      const br = await d.berth(['system', 'prune', ...args], { input: 'n\n', allowFailure: true });
      assert.equal(out(br), out(dr), args.join(' '));
      assert.equal(br.code, dr.code, args.join(' '));
      assert.match(out(br), /^WARNING! This will remove:\n/);
    }
    const refused = await d.berth(['system', 'prune', '-f', '--volumes', '--filter', 'until=1h'], { allowFailure: true });
    const dockerRefused = await d.docker(['system', 'prune', '-f', '--volumes', '--filter', 'until=1h'], { allowFailure: true });
    assert.equal(refused.stderr, dockerRefused.stderr);
    assert.equal(refused.code, dockerRefused.code);
    assert.ok(out(await d.docker(['ps', '-aq', '--no-trunc'])).includes(stopped), 'nothing was pruned');
  });
});

/** Waits until `file` exists (the container wrote it). */
async function waitForFile(file: string): Promise<void> {
  const { waitFor } = await import('../../src/util/index.js');
  await waitFor(`${file} to exist`, async () => (existsSync(file) ? true : undefined), { timeoutMs: 10_000 });
}
