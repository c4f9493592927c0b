import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor } from '../../src/util/index.js';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import {
  importBusybox, inspectContainer, leaksOf, out, removeContainers, streamDocker, unixSeconds, waitForGone, waitForLogs, waitForStatus,
} from '../helpers/containers.js';

const ID64 = /^[0-9a-f]{64}$/;

/** The container's freezer cgroup as the kernel reports it (v1 freezer.state, v2 cgroup.freeze). */
async function freezerState(id: string): Promise<string> {
  if (existsSync('/sys/fs/cgroup/freezer')) return (await fsp.readFile(`/sys/fs/cgroup/freezer/berth/${id}/freezer.state`, 'utf8')).trim();
  return (await fsp.readFile(`/sys/fs/cgroup/berth/${id}/cgroup.freeze`, 'utf8')).trim() === '1' ? 'FROZEN' : 'THAWED';
}

/**
 * The container lifecycle as a user of the docker CLI sees it against berthd: output, exit
 * codes, inspect, ps, events, and that nothing of a removed container is left behind. One
 * daemon for the file; each test removes the containers it made.
 */
describe('containers: lifecycle through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon('ct-life');
    await importBusybox(d);
    await importBusybox(d, 'ep:1', ['ENTRYPOINT ["echo","e"]', 'CMD ["c"]']);
  });
  after(async () => { await d?.stop(); });

  /** `docker run -d …`: the new container's id, removed after the test. */
  async function runDetached(t: { after: (fn: () => Promise<void>) => void }, args: string[]): Promise<string> {
    const r = await d.docker(['run', '-d', ...args]);
    const id = out(r).trim();
    assert.match(id, ID64);
    t.after(() => removeContainers(d, id));
    return id;
  }

  describe('run', () => {
    test('prints the container\'s output and passes its exit code through', async (t) => {
      t.after(() => removeContainers(d, 'run-echo', 'run-exit3'));
      const ok = await d.docker(['run', '--name', 'run-echo', 'busybox', 'echo', 'hello', 'world']);
      assert.equal(out(ok), 'hello world\n');
      assert.equal(ok.code, 0);
      const three = await d.docker(['run', '--name', 'run-exit3', 'busybox', 'sh', '-c', 'echo before; exit 3'], { allowFailure: true });
      assert.equal(three.code, 3);
      assert.equal(out(three), 'before\n');
      assert.equal(three.stderr, '');
      const c = await inspectContainer(d, 'run-exit3');
      assert.equal(c.State.Status, 'exited');
      assert.equal(c.State.ExitCode, 3);
    });

    test('-d prints the 64-hex id; --rm removes the container once it exits and leaves nothing', async () => {
      const r = await d.docker(['run', '-d', '--rm', 'busybox', 'sh', '-c', 'echo bye']);
      const id = out(r).trim();
      assert.match(out(r), /^[0-9a-f]{64}\n$/);
      await waitForGone(d, id);
      const gone = await d.docker(['inspect', id], { allowFailure: true });
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, new RegExp(`No such object: ${id}`));
      assert.deepEqual(await leaksOf(d, id), []);
      const attached = await d.docker(['run', '--rm', '--name', 'rm-attached', 'busybox', 'echo', 'attached']);
      assert.equal(out(attached), 'attached\n');
      await waitForGone(d, 'rm-attached');
    });

    test('--name names the container; a name in use fails with 125 and docker\'s message', async (t) => {
      const first = await runDetached(t, ['--name', 'taken', 'busybox', 'true']);
      const c = await inspectContainer(d, 'taken');
      assert.equal(c.Id, first);
      assert.equal(c.Name, '/taken');
      const before = (await d.request('GET', '/containers/json?all=1')).body;
      const r = await d.docker(['run', '--name', 'taken', 'busybox', 'true'], { allowFailure: true });
      assert.equal(r.code, 125);
      assert.match(r.stderr, new RegExp(`Conflict\\. The container name "/taken" is already in use by container "${first}"\\. You have to remove \\(or rename\\) that container to be able to reuse that name\\.`));
      assert.equal((JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length, (JSON.parse(before) as unknown[]).length, 'no half-created container');
    });

    test('-e, --env-file and -w set the environment and working directory', async (t) => {
      const envFile = path.join(d.dir, 'env.list');
      await fsp.writeFile(envFile, '# a comment\nFROM_FILE=1\nSPACED=two words\n');
      t.after(() => removeContainers(d, 'run-env'));
      const r = await d.docker(['run', '--name', 'run-env', '-e', 'X=y', '--env-file', envFile, '-w', '/tmp/work', 'busybox', 'sh', '-c', 'echo "$X|$FROM_FILE|$SPACED|$(pwd)"; env | grep -c ^PATH=']);
      assert.equal(out(r), 'y|1|two words|/tmp/work\n1\n');
      const c = await inspectContainer(d, 'run-env');
      assert.equal(c.Config.WorkingDir, '/tmp/work');
      for (const e of ['X=y', 'FROM_FILE=1', 'SPACED=two words']) assert.ok(c.Config.Env?.includes(e), `${e} in ${JSON.stringify(c.Config.Env)}`);
    });

    test('-u uid:gid, -u name resolved from the image\'s /etc/passwd, and --group-add', async () => {
      const numeric = await d.docker(['run', '--rm', '-u', '65534:65534', 'busybox', 'id']);
      assert.equal(out(numeric), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
      const named = await d.docker(['run', '--rm', '-u', 'nobody', 'busybox', 'id']);
      assert.equal(out(named), 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n');
      const added = await d.docker(['run', '--rm', '-u', 'nobody', '--group-add', 'daemon', '--group-add', '10', 'busybox', 'id']);
      assert.equal(out(added), 'uid=65534(nobody) gid=65534(nogroup) groups=1(daemon),10,65534(nogroup)\n');
      const unknownUser = await d.docker(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'id'], { allowFailure: true, timeoutMs: 20_000 });
      assert.equal(unknownUser.code, 125);
      assert.match(unknownUser.stderr, /Error response from daemon: unable to find user nosuchuser: no matching entries in passwd file/);
      const unknownGroup = await d.docker(['run', '--rm', '-u', '0:nosuchgroup', 'busybox', 'id'], { allowFailure: true, timeoutMs: 20_000 });
      assert.equal(unknownGroup.code, 125);
      assert.match(unknownGroup.stderr, /unable to find group nosuchgroup: no matching entries in group file/);
    });

    test('--entrypoint replaces the image\'s; --hostname sets hostname and /etc/hostname', async () => {
      const ep = await d.docker(['run', '--rm', '--entrypoint', 'echo', 'busybox', 'via', 'entrypoint']);
      assert.equal(out(ep), 'via entrypoint\n');
      const h = await d.docker(['run', '--rm', '--hostname', 'berth-host', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname']);
      assert.equal(out(h), 'berth-host\nberth-host\n');
      const c = await d.docker(['run', '--rm', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname']);
      const [name, file] = out(c).split('\n');
      assert.match(name!, /^[0-9a-f]{12}$/, 'the default hostname is the short id');
      assert.equal(file, name);
    });

    test('-l labels show in inspect; --read-only makes the root filesystem read-only', async (t) => {
      const id = await runDetached(t, ['-l', 'tier=web', '-l', 'owner=test', 'busybox', 'true']);
      assert.deepEqual((await inspectContainer(d, id)).Config.Labels, { tier: 'web', owner: 'test' });
      const ro = await d.docker(['run', '--rm', '--read-only', 'busybox', 'sh', '-c', 'touch /x; echo "rc=$?"; touch /tmp/x 2>/dev/null; echo "tmp=$?"']);
      assert.equal(out(ro), 'rc=1\ntmp=1\n');
      assert.match(ro.stderr, /touch: \/x: Read-only file system/);
    });

    test('--init runs docker-init (tini) as PID 1 with the command below it', async () => {
      const r = await d.docker(['run', '--rm', '--init', 'busybox', 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid,comm']);
      const lines = out(r).split('\n');
      assert.equal(lines[0], '/sbin/docker-init -- sh -c tr "\\0" " " < /proc/1/cmdline; echo; ps -o pid,comm ');
      assert.match(out(r), /^\s*1 docker-init$/m);
      const plain = await d.docker(['run', '--rm', 'busybox', 'ps', '-o', 'pid,comm']);
      assert.equal(out(plain), 'PID   COMMAND\n    1 ps\n', 'without --init the command is PID 1');
    });

    test('a missing command exits 127, a non-executable one 126, with docker\'s messages', async (t) => {
      t.after(() => removeContainers(d, 'run-127', 'run-126'));
      const missing = await d.docker(['run', '--name', 'run-127', 'busybox', 'nosuchcmd'], { allowFailure: true });
      assert.equal(missing.code, 127);
      assert.match(missing.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
      const notExec = await d.docker(['run', '--name', 'run-126', 'busybox', '/etc/passwd'], { allowFailure: true });
      assert.equal(notExec.code, 126);
      assert.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
      const c = await inspectContainer(d, 'run-127');
      assert.equal(c.State.Status, 'created');
      assert.equal(c.State.ExitCode, 127);
      assert.match(c.State.Error, /executable file not found/);
      assert.equal((await d.request('GET', '/_ping')).status, 200, 'the daemon stays healthy');
    });

    test('an unknown image fails with 125 and creates nothing', async () => {
      const before = (JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length;
      const r = await d.docker(['run', 'nosuch/image:v9'], { allowFailure: true });
      assert.equal(r.code, 125);
      assert.match(r.stderr, /Unable to find image 'nosuch\/image:v9' locally/);
      const create = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'nosuch/image:v9' }), { 'Content-Type': 'application/json' });
      assert.equal(create.status, 404);
      assert.equal(JSON.parse(create.body).message, 'No such image: nosuch/image:v9');
      assert.equal((JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length, before);
    });

    // Regression: a failed start of an AutoRemove container was left "created", so the CLI
    // waited on condition=removed forever. dockerd removes it; `docker run --rm` must end.
    test('--rm with a command that cannot start exits 127 and removes the container', async (t) => {
      t.after(() => removeContainers(d, 'rm-127'));
      const r = await d.docker(['run', '--rm', '--name', 'rm-127', 'busybox', 'nosuchcmd'], { allowFailure: true, timeoutMs: 8_000 });
      assert.equal(r.code, 127, `docker run ended with ${r.code ?? r.signal}`);
      await waitForGone(d, 'rm-127', 3_000);
    });
  });

  describe('run: stdin, create/start, bad values', () => {
    test('-i passes stdin to the container and its EOF ends it', async () => {
      const r = await d.docker(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'piped line\n' });
      assert.equal(out(r), 'piped line\ndone\n');
    });

    test('create, then start -a: created state first, then the output and exit code', async (t) => {
      const id = out(await d.docker(['create', '--name', 'created', 'busybox', 'sh', '-c', 'echo started; exit 5'])).trim();
      t.after(() => removeContainers(d, id));
      assert.match(id, ID64);
      const c = await inspectContainer(d, id);
      assert.equal(c.State.Status, 'created');
      assert.equal(c.State.StartedAt, '0001-01-01T00:00:00Z');
      assert.equal(out(await d.docker(['ps', '-a', '--filter', 'status=created', '--format', '{{.Names}}'])), 'created\n');
      const r = await d.docker(['start', '-a', id], { allowFailure: true });
      assert.equal(out(r), 'started\n');
      assert.equal(r.code, 5);
      const again = await d.docker(['start', id]);
      assert.equal(out(again), `${id}\n`, 'an exited container starts again');
    });

    test('invalid values are refused with 125 and docker\'s message; nothing is created', async () => {
      const before = (JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length;
      const restart = await d.docker(['run', '--restart', 'bogus', 'busybox', 'true'], { allowFailure: true });
      assert.equal(restart.code, 125);
      assert.match(restart.stderr, /invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'/);
      const signal = await d.docker(['run', '--stop-signal', 'FOO', 'busybox', 'true'], { allowFailure: true });
      assert.equal(signal.code, 125);
      assert.match(signal.stderr, /Invalid signal: FOO/);
      const api = await d.request('POST', '/containers/create', JSON.stringify({ Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'bogus' } } }), { 'Content-Type': 'application/json' });
      assert.equal(api.status, 400);
      assert.match(JSON.parse(api.body).message, /'bogus'/);
      assert.equal((JSON.parse((await d.request('GET', '/containers/json?all=1')).body) as unknown[]).length, before);
    });

    test('wait conditions over the API: next-exit and removed', async (t) => {
      const id = out(await d.docker(['create', 'busybox', 'sh', '-c', 'exit 6'])).trim();
      t.after(() => removeContainers(d, id));
      const nextExit = d.request('POST', `/containers/${id}/wait?condition=next-exit`);
      const removed = d.request('POST', `/containers/${id}/wait?condition=removed`);
      await d.docker(['start', id]);
      assert.deepEqual(JSON.parse((await nextExit).body), { StatusCode: 6, Error: null });
      await d.docker(['rm', id]);
      const r = await removed;
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(r.body).StatusCode, 6);
    });

    test('wait on an unknown container: 404, and docker wait exits 1 with "No such container"', async () => {
      const missing = await d.request('POST', '/containers/nosuch/wait');
      assert.equal(missing.status, 404);
      assert.equal(JSON.parse(missing.body).message, 'No such container: nosuch');
      const r = await d.docker(['wait', 'nosuch'], { allowFailure: true });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /No such container: nosuch/);
    });
  });

  describe('CMD and ENTRYPOINT', () => {
    test('ENTRYPOINT ["echo","e"] with CMD ["c"]: run, run with arguments, run --entrypoint', async () => {
      assert.equal(out(await d.docker(['run', '--rm', 'ep:1'])), 'e c\n');
      assert.equal(out(await d.docker(['run', '--rm', 'ep:1', 'x'])), 'e x\n');
      assert.equal(out(await d.docker(['run', '--rm', '--entrypoint', 'echo', 'ep:1'])), '\n', '--entrypoint resets the image\'s CMD');
      assert.equal(out(await d.docker(['run', '--rm', '--entrypoint', 'echo', 'ep:1', 'only'])), 'only\n');
    });

    test('inspect shows Path and Args as docker splits them', async (t) => {
      const id = await runDetached(t, ['ep:1', 'a', 'b']);
      const c = await inspectContainer(d, id);
      assert.equal(c.Path, 'echo');
      assert.deepEqual(c.Args, ['e', 'a', 'b']);
      assert.deepEqual(c.Config.Entrypoint, ['echo', 'e']);
      assert.deepEqual(c.Config.Cmd, ['a', 'b']);
    });
  });

  describe('stop, kill, restart, pause, rm, rename, wait', () => {
    test('stop -t 1: a shell PID 1 that ignores SIGTERM is killed at the timeout with 137', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
      await waitForLogs(d, id, /ready/);
      const start = performance.now();
      const r = await d.docker(['stop', '-t', '1', id]);
      const elapsedMs = performance.now() - start;
      assert.equal(out(r).trim(), id);
      const c = await inspectContainer(d, id);
      assert.equal(c.State.Status, 'exited');
      assert.equal(c.State.ExitCode, 137);
      assert.ok(elapsedMs >= 900 && elapsedMs < 8_000, `stop took ${Math.round(elapsedMs)} ms`);
    });

    test('stop with --init: tini forwards SIGTERM, the container exits 143 well before the timeout', async (t) => {
      const id = await runDetached(t, ['--init', 'busybox', 'sh', '-c', 'sleep 100']);
      await waitForStatus(d, id, 'running');
      const start = performance.now();
      await d.docker(['stop', id]);
      const elapsedMs = performance.now() - start;
      const c = await inspectContainer(d, id);
      assert.equal(c.State.ExitCode, 143);
      assert.ok(elapsedMs < 5_000, `stop took ${Math.round(elapsedMs)} ms against a 10 s timeout`);
    });

    test('kill -s USR1 is delivered to PID 1; kill of a stopped container fails', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'trap "echo got USR1" USR1; echo ready; while true; do usleep 50000; done']);
      await waitForLogs(d, id, /ready/);
      await d.docker(['kill', '-s', 'USR1', id]);
      await waitForLogs(d, id, /got USR1/);
      assert.equal((await inspectContainer(d, id)).State.Running, true, 'USR1 did not stop it');
      await d.docker(['kill', id]);
      const c = await waitForStatus(d, id, 'exited');
      assert.equal(c.State.ExitCode, 137);
      const again = await d.docker(['kill', id], { allowFailure: true });
      assert.equal(again.code, 1);
      assert.match(again.stderr, new RegExp(`container ${id} is not running`));
    });

    test('restart runs a new process in the same container', async (t) => {
      const id = await runDetached(t, ['busybox', 'sleep', '100']);
      const before = await waitForStatus(d, id, 'running');
      await d.docker(['restart', '-t', '0', id]);
      const after = await inspectContainer(d, id);
      assert.equal(after.State.Status, 'running');
      assert.notEqual(after.State.Pid, before.State.Pid);
      assert.ok(Date.parse(after.State.StartedAt) > Date.parse(before.State.StartedAt), `${after.State.StartedAt} > ${before.State.StartedAt}`);
      assert.equal(after.RestartCount, 0, 'a manual restart is not counted');
    });

    test('pause freezes the container (State.Paused, ps "(Paused)"), unpause thaws it', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; usleep 20000; done']);
      await waitForStatus(d, id, 'running');
      await d.docker(['pause', id]);
      const paused = await inspectContainer(d, id);
      assert.equal(paused.State.Status, 'paused');
      assert.equal(paused.State.Paused, true);
      assert.equal(paused.State.Running, true);
      assert.equal(await freezerState(id), 'FROZEN');
      assert.match(out(await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}'])), /^Up .*\(Paused\)\n$/);
      const pausedAgain = await d.docker(['pause', id], { allowFailure: true });
      assert.equal(pausedAgain.code, 1);
      assert.match(pausedAgain.stderr, /is already paused/);
      await d.docker(['unpause', id]);
      const running = await inspectContainer(d, id);
      assert.equal(running.State.Status, 'running');
      assert.equal(running.State.Paused, false);
      assert.equal(await freezerState(id), 'THAWED');
      assert.doesNotMatch(out(await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Status}}'])), /Paused/);
    });

    test('rm of a running container needs -f; rm -f leaves no mount, process, cgroup or directory', async (t) => {
      const id = await runDetached(t, ['--name', 'rm-me', 'busybox', 'sleep', '100']);
      await waitForStatus(d, id, 'running');
      const refused = await d.docker(['rm', 'rm-me'], { allowFailure: true });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /Error response from daemon: cannot remove container "\/rm-me": container is running: stop the container before removing or force remove/);
      assert.equal((await inspectContainer(d, id)).State.Running, true);
      assert.ok((await leaksOf(d, id)).length > 0, 'a running container has a mount, conmon and cgroup (the leak check sees them)');
      const r = await d.docker(['rm', '-f', 'rm-me']);
      assert.equal(out(r), 'rm-me\n');
      assert.equal((await d.request('GET', `/containers/${id}/json`)).status, 404);
      assert.deepEqual(await leaksOf(d, id), []);
      const gone = await d.docker(['rm', 'rm-me'], { allowFailure: true });
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /No such container: rm-me/);
    });

    test('rm of an exited container leaves nothing behind', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'echo x > /file']);
      await waitForStatus(d, id, 'exited');
      await d.docker(['rm', id]);
      assert.deepEqual(await leaksOf(d, id), []);
    });

    test('rename changes the name; the old one is free, a taken one is refused', async (t) => {
      const id = await runDetached(t, ['--name', 'old-name', 'busybox', 'sleep', '100']);
      await runDetached(t, ['--name', 'other', 'busybox', 'true']);
      await d.docker(['rename', 'old-name', 'new-name']);
      assert.equal((await inspectContainer(d, id)).Name, '/new-name');
      assert.equal(out(await d.docker(['ps', '--filter', `id=${id}`, '--format', '{{.Names}}'])), 'new-name\n');
      assert.equal((await d.request('GET', '/containers/old-name/json')).status, 404);
      const clash = await d.docker(['rename', 'new-name', 'other'], { allowFailure: true });
      assert.equal(clash.code, 1);
      assert.match(clash.stderr, /The container name "\/other" is already in use/);
      await runDetached(t, ['--name', 'old-name', 'busybox', 'true']);
    });

    test('wait prints the exit code once the container exits', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'sleep 0.3; exit 7']);
      const r = await d.docker(['wait', id]);
      assert.equal(out(r), '7\n');
      const again = await d.docker(['wait', id]);
      assert.equal(out(again), '7\n', 'wait on an exited container answers at once');
    });

    test('--stop-signal and --stop-timeout are the container\'s defaults for docker stop', async (t) => {
      const usr1 = await runDetached(t, ['--stop-signal', 'USR1', 'busybox', 'sh', '-c', 'trap "exit 5" USR1; echo ready; while true; do usleep 50000; done']);
      await waitForLogs(d, usr1, /ready/);
      await d.docker(['stop', usr1]);
      const a = await inspectContainer(d, usr1);
      assert.equal(a.State.ExitCode, 5, 'stopped by its own stop signal');
      const slow = await runDetached(t, ['--stop-timeout', '1', 'busybox', 'sh', '-c', 'trap "" TERM; echo ready; while true; do usleep 50000; done']);
      await waitForLogs(d, slow, /ready/);
      const start = performance.now();
      await d.docker(['stop', slow]);
      const elapsedMs = performance.now() - start;
      assert.equal((await inspectContainer(d, slow)).State.ExitCode, 137);
      assert.ok(elapsedMs >= 900 && elapsedMs < 6_000, `killed at its 1 s stop timeout, not the default 10 s: ${Math.round(elapsedMs)} ms`);
    });

    test('--restart always: a killed process is restarted; docker stop keeps it stopped', async (t) => {
      const id = await runDetached(t, ['--restart', 'always', 'busybox', 'sleep', '100']);
      const first = await waitForStatus(d, id, 'running');
      process.kill(first.State.Pid, 'SIGKILL');
      const second = await waitFor('the policy to restart it', async () => {
        const c = await inspectContainer(d, id);
        if (c.State.Status !== 'running' || c.RestartCount !== 1) throw new Error(`${c.State.Status}, RestartCount ${c.RestartCount}`);
        return c;
      });
      assert.notEqual(second.State.Pid, first.State.Pid);
      await d.docker(['stop', '-t', '0', id]);
      const stopped = await inspectContainer(d, id);
      assert.equal(stopped.State.Status, 'exited');
      assert.equal(stopped.RestartCount, 1);
      // A restart would come within the first backoff step (100 ms); watch well past it.
      const deadline = Date.now() + 1_000;
      while (Date.now() < deadline) {
        const c = await inspectContainer(d, id);
        assert.equal(c.State.Status, 'exited', 'a manually stopped container is not restarted');
      }
    });

    test('--init reaps orphaned zombies; a plain PID 1 leaves them', async (t) => {
      const orphan = '(sleep 0.2 &); echo ready; while true; do usleep 50000; done';
      const withInit = await runDetached(t, ['--init', 'busybox', 'sh', '-c', orphan]);
      const plain = await runDetached(t, ['busybox', 'sh', '-c', `(sleep 0.2 &); echo ready; exec sleep 100`]);
      await waitForLogs(d, withInit, /ready/);
      await waitForLogs(d, plain, /ready/);
      const sleeps = async (id: string) => out(await d.docker(['exec', id, 'ps', '-o', 'stat,comm'])).split('\n').filter((l) => /\ssleep$/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
      await waitFor('tini to reap the orphaned sleep', async () => {
        const s = await sleeps(withInit);
        if (s.length) throw new Error(`sleep processes: ${s.join(',')}`);
        return true;
      });
      const zombies = await waitFor('the orphan under a plain PID 1 to become a zombie', async () => {
        const s = await sleeps(plain);
        if (!s.includes('Z')) throw new Error(`sleep processes: ${s.join(',')}`);
        return s;
      });
      assert.deepEqual(zombies.sort(), ['S', 'Z'], 'PID 1 (sleep 100) and the unreaped orphan');
    });

    test('--restart on-failure:2 restarts a failing container twice, then leaves it exited', async (t) => {
      const id = await runDetached(t, ['--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'exit 1']);
      const c = await waitFor('two restarts then exited', async () => {
        const x = await inspectContainer(d, id);
        if (x.RestartCount !== 2 || x.State.Status !== 'exited') throw new Error(`${x.State.Status} after ${x.RestartCount} restarts`);
        return x;
      }, { timeoutMs: 15_000 });
      assert.equal(c.State.ExitCode, 1);
      assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
    });
  });

  describe('ps', () => {
    let ids: { a: string; b: string; c: string };
    before(async () => {
      const a = await d.docker(['run', '--name', 'ps-a', '-l', 'tier=a', 'busybox', 'sh', '-c', 'exit 3'], { allowFailure: true });
      assert.equal(a.code, 3);
      const b = out(await d.docker(['run', '-d', '--name', 'ps-b', '-l', 'tier=b', 'busybox', 'sleep', '100'])).trim();
      await d.docker(['run', '--name', 'ps-c', 'ep:1']);
      ids = { a: (await inspectContainer(d, 'ps-a')).Id, b, c: (await inspectContainer(d, 'ps-c')).Id };
    });
    after(async () => { await removeContainers(d, 'ps-a', 'ps-b', 'ps-c'); });

    const names = async (args: string[]): Promise<string> => out(await d.docker(['ps', ...args, '--format', '{{.Names}}']));

    test('running only by default; -a adds the others, newest first', async () => {
      assert.equal(await names([]), 'ps-b\n');
      assert.equal(await names(['-a']), 'ps-c\nps-b\nps-a\n');
    });

    test('-q, --no-trunc, -n 1 and -l', async () => {
      assert.equal(out(await d.docker(['ps', '-q'])), `${ids.b.slice(0, 12)}\n`);
      assert.equal(out(await d.docker(['ps', '-aq', '--no-trunc'])), `${ids.c}\n${ids.b}\n${ids.a}\n`);
      assert.equal(await names(['-n', '1']), 'ps-c\n');
      assert.equal(await names(['-l']), 'ps-c\n');
      const cmd = out(await d.docker(['ps', '-a', '--no-trunc', '--filter', 'name=ps-a', '--format', '{{.Command}}']));
      assert.equal(cmd, '"sh -c exit 3"\n');
    });

    test('filters: status, name, label, ancestor, exited', async () => {
      assert.equal(await names(['-a', '--filter', 'status=exited']), 'ps-c\nps-a\n');
      assert.equal(await names(['-a', '--filter', 'status=running']), 'ps-b\n');
      assert.equal(await names(['-a', '--filter', 'name=ps-a']), 'ps-a\n');
      assert.equal(await names(['-a', '--filter', 'label=tier=b']), 'ps-b\n');
      assert.equal(await names(['-a', '--filter', 'label=tier']), 'ps-b\nps-a\n');
      assert.equal(await names(['-a', '--filter', 'ancestor=busybox']), 'ps-b\nps-a\n');
      assert.equal(await names(['-a', '--filter', 'ancestor=ep:1']), 'ps-c\n');
      assert.equal(await names(['-a', '--filter', 'exited=3']), 'ps-a\n');
      assert.equal(await names(['-a', '--filter', 'exited=0']), 'ps-c\n');
      assert.equal(await names(['-a', '--filter', `id=${ids.b.slice(0, 10)}`]), 'ps-b\n');
      const bad = await d.docker(['ps', '--filter', 'nosuch=1'], { allowFailure: true });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /invalid filter 'nosuch'/);
    });

    test('filters before and since; -s adds the sizes', async () => {
      assert.equal(await names(['-a', '--filter', 'before=ps-c']), 'ps-b\nps-a\n');
      assert.equal(await names(['-a', '--filter', 'since=ps-a']), 'ps-c\nps-b\n');
      assert.equal(await names(['-a', '--filter', 'since=ps-a', '--filter', 'before=ps-c']), 'ps-b\n');
      const sizes = out(await d.docker(['ps', '-a', '-s', '--filter', 'name=ps-', '--format', '{{.Names}} {{.Size}}'])).trim().split('\n');
      assert.equal(sizes.length, 3);
      for (const l of sizes) assert.match(l, /^ps-[abc] \d+(\.\d+)?[kMG]?B \(virtual \d+(\.\d+)?[kMG]?B\)$/);
    });

    test('--format {{.Names}} {{.Status}}', async () => {
      const lines = out(await d.docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).trim().split('\n');
      assert.equal(lines.length, 3);
      assert.match(lines[0]!, /^ps-c Exited \(0\) .+ ago$/);
      assert.match(lines[1]!, /^ps-b Up .+$/);
      assert.match(lines[2]!, /^ps-a Exited \(3\) .+ ago$/);
    });
  });

  describe('inspect', () => {
    test('State, Config, HostConfig, LogPath and RestartCount of a running, then exited, container', async (t) => {
      const id = await runDetached(t, ['--restart', 'on-failure:5', 'busybox', 'sh', '-c', 'echo ready; exec sleep 100']);
      await waitForLogs(d, id, /ready/);
      const running = await inspectContainer(d, id);
      assert.equal(running.Id, id);
      assert.equal(running.State.Status, 'running');
      assert.equal(running.State.Running, true);
      assert.equal(running.State.Paused, false);
      assert.equal(running.State.Restarting, false);
      assert.equal(running.State.OOMKilled, false);
      assert.equal(running.State.Dead, false);
      assert.ok(running.State.Pid > 0 && existsSync(`/proc/${running.State.Pid}`), `pid ${running.State.Pid} is a live host process`);
      assert.equal(running.State.ExitCode, 0);
      assert.ok(Math.abs(Date.parse(running.State.StartedAt) - Date.now()) < 60_000, running.State.StartedAt);
      assert.equal(running.State.FinishedAt, '0001-01-01T00:00:00Z');
      assert.deepEqual(running.Config.Cmd, ['sh', '-c', 'echo ready; exec sleep 100']);
      assert.equal(running.Config.Image, 'busybox');
      assert.match(running.Image, /^sha256:[0-9a-f]{64}$/);
      assert.deepEqual(running.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 5 });
      assert.equal(running.RestartCount, 0);
      assert.ok(path.isAbsolute(running.LogPath) && existsSync(running.LogPath), `LogPath ${running.LogPath} exists`);
      await d.docker(['stop', '-t', '0', id]);
      const exited = await inspectContainer(d, id);
      assert.equal(exited.State.Status, 'exited');
      assert.equal(exited.State.Running, false);
      assert.equal(exited.State.Pid, 0);
      assert.equal(exited.State.ExitCode, 137);
      assert.ok(Date.parse(exited.State.FinishedAt) >= Date.parse(exited.State.StartedAt), `${exited.State.FinishedAt} >= ${exited.State.StartedAt}`);
      assert.equal(exited.RestartCount, 0, 'a manual stop does not trigger the policy');
      const fmt = await d.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.HostConfig.RestartPolicy.Name}}', id]);
      assert.equal(out(fmt), 'exited 137 on-failure\n');
    });

    test('HostConfig.LogConfig.Type is json-file', async (t) => {
      const id = await runDetached(t, ['busybox', 'true']);
      assert.equal(out(await d.docker(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', id])), 'json-file\n');
    });

    test('inspect of an unknown container: exit 1, "No such container"', async () => {
      const r = await d.docker(['container', 'inspect', 'nosuch'], { allowFailure: true });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /No such container: nosuch/);
    });
  });

  describe('top, diff, export, commit, prune, events', () => {
    test('top lists the container\'s processes', async (t) => {
      const id = await runDetached(t, ['--init', 'busybox', 'sleep', '100']);
      await waitForStatus(d, id, 'running');
      const r = await d.docker(['top', id]);
      const lines = out(r).trim().split('\n');
      assert.match(lines[0]!, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
      assert.ok(lines.some((l) => /\ssleep 100$/.test(l)), out(r));
      assert.ok(lines.some((l) => /\s\/sbin\/docker-init -- sleep 100$/.test(l)), out(r));
      const custom = await d.docker(['top', id, '-o', 'pid,comm']);
      assert.match(out(custom), /^PID\s+COMMAND\n\d+\s+docker-init\n\d+\s+sleep\n$/);
    });

    test('diff lists what the container changed: A, C and D, and nothing for an untouched one', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'echo new > /newfile; echo extra >> /etc/passwd; rm /bin/vi']);
      await waitForStatus(d, id, 'exited');
      const lines = out(await d.docker(['diff', id])).trim().split('\n').sort();
      assert.deepEqual(lines, ['A /newfile', 'C /bin', 'C /etc', 'C /etc/passwd', 'D /bin/vi']);
      const untouched = await runDetached(t, ['busybox', 'true']);
      await waitForStatus(d, untouched, 'exited');
      assert.equal(out(await d.docker(['diff', untouched])), '', 'the mount points and /etc files are not changes');
    });

    test('export writes the container\'s whole filesystem as a tar, its changes included', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'echo exported > /written; rm /bin/vi']);
      await waitForStatus(d, id, 'exited');
      const file = path.join(d.dir, 'export.tar');
      t.after(() => fsp.rm(file, { force: true }));
      await d.docker(['export', '-o', file, id]);
      const names = out(await exec('tar', ['-tf', file])).split('\n');
      assert.ok(names.includes('written'), 'the new file');
      assert.ok(names.includes('bin/busybox'), 'the image\'s files');
      assert.ok(!names.includes('bin/vi'), 'the deleted file');
      assert.ok(!names.some((n) => n.includes('.wh.')), 'no whiteouts in an export');
      assert.equal(out(await exec('tar', ['-xOf', file, 'written'])), 'exported\n');
    });

    test('commit -c -m -a makes an image of the changes; a deleted file stays deleted (whiteout)', async (t) => {
      const id = await runDetached(t, ['busybox', 'sh', '-c', 'echo hello > /hello; rm /bin/vi']);
      await waitForStatus(d, id, 'exited');
      const r = await d.docker(['commit', '-c', 'CMD ["cat","/hello"]', '-m', 'the message', '-a', 'the author', id, 'committed:1']);
      assert.match(out(r).trim(), /^sha256:[0-9a-f]{64}$/);
      t.after(async () => { await d.docker(['rmi', '-f', 'committed:1'], { allowFailure: true }); });
      const img = JSON.parse(out(await d.docker(['image', 'inspect', 'committed:1'])))[0] as { Comment: string; Author: string; RootFS: { Layers: string[] }; Config: { Cmd: string[] } };
      assert.equal(img.Comment, 'the message');
      assert.equal(img.Author, 'the author');
      assert.equal(img.RootFS.Layers.length, 2);
      assert.deepEqual(img.Config.Cmd, ['cat', '/hello']);
      assert.equal(out(await d.docker(['run', '--rm', 'committed:1'])), 'hello\n');
      const vi = await d.docker(['run', '--rm', 'committed:1', 'ls', '/bin/vi'], { allowFailure: true });
      assert.equal(vi.code, 1);
      assert.match(vi.stderr, /No such file or directory/);
      const saved = path.join(d.dir, 'committed.tar');
      t.after(() => fsp.rm(saved, { force: true }));
      await d.docker(['save', '-o', saved, 'committed:1']);
      const manifest = JSON.parse(out(await exec('tar', ['-xOf', saved, 'manifest.json']))) as Array<{ Layers: string[] }>;
      const top = out(await exec('bash', ['-c', `tar -xOf "$1" "$2" | tar -t`, 'list', saved, manifest[0]!.Layers.at(-1)!])).split('\n').map((n) => n.replace(/^\.\//, ''));
      assert.ok(top.includes('bin/.wh.vi'), `whiteout in the new layer: ${top.join(' ')}`);
      assert.ok(top.includes('hello'));
      assert.ok(!top.some((n) => /^etc\/(hostname|hosts|resolv\.conf)$/.test(n)), `no per-container /etc files: ${top.join(' ')}`);
    });

    // Regression (issue 11, finding 4): pause=1 is the API's default and what clients send;
    // dockerd pauses only a running container and commits a stopped one (exited, or created
    // and never started, which has no upper directory yet) as it is.
    test('commit with pause=1 (the default) of a stopped or never-started container commits it', async (t) => {
      const images: string[] = [];
      t.after(async () => { for (const i of images) await d.request('DELETE', `/images/${i}?force=1`); });
      const exited = await runDetached(t, ['busybox', 'sh', '-c', 'echo kept > /kept']);
      await waitForStatus(d, exited, 'exited');
      const created = out(await d.docker(['create', 'busybox', 'true'])).trim();
      t.after(() => removeContainers(d, created));
      const cli = await d.docker(['commit', exited, 'commit-exited:cli']);
      images.push('commit-exited:cli');
      assert.match(out(cli), /^sha256:[0-9a-f]{64}\n$/);
      assert.equal(out(await d.docker(['run', '--rm', 'commit-exited:cli', 'cat', '/kept'])), 'kept\n');
      const fresh = await d.docker(['commit', created, 'commit-created:cli'], { allowFailure: true });
      assert.equal(fresh.stderr, '');
      assert.equal(fresh.code, 0);
      images.push('commit-created:cli');
      for (const [id, repo] of [[exited, 'commit-exited'], [created, 'commit-created']] as const) {
        const r = await d.request('POST', `/commit?container=${id}&pause=1&repo=${repo}&tag=api`);
        assert.equal(r.status, 201, r.body);
        assert.match((JSON.parse(r.body) as { Id: string }).Id, /^sha256:[0-9a-f]{64}$/);
        images.push(`${repo}:api`);
      }
      const layers = (name: string) => d.request('GET', `/images/${name}/json`).then((r) => (JSON.parse(r.body) as { RootFS: { Layers: string[] } }).RootFS.Layers.length);
      assert.equal(await layers('commit-created:api'), (await layers('busybox')) + 1, 'one layer more, as dockerd');
      assert.equal((await inspectContainer(d, exited)).State.Status, 'exited');
      assert.equal((await inspectContainer(d, created)).State.Status, 'created');
      // A running container is paused for the commit and running again after it.
      const running = await runDetached(t, ['busybox', 'sleep', '1000']);
      const r = await d.request('POST', `/commit?container=${running}&pause=1&repo=commit-running&tag=api`);
      assert.equal(r.status, 201, r.body);
      images.push('commit-running:api');
      const state = (await inspectContainer(d, running)).State;
      assert.deepEqual([state.Status, state.Paused], ['running', false]);
    });

    test('container prune removes stopped containers only (label filter scopes it)', async (t) => {
      const running = await runDetached(t, ['-l', 'prune=yes', 'busybox', 'sleep', '100']);
      const stopped = await runDetached(t, ['-l', 'prune=yes', 'busybox', 'true']);
      const other = await runDetached(t, ['-l', 'prune=no', 'busybox', 'true']);
      await waitForStatus(d, stopped, 'exited');
      await waitForStatus(d, other, 'exited');
      const r = await d.docker(['container', 'prune', '-f', '--filter', 'label=prune=yes']);
      assert.match(out(r), new RegExp(`Deleted Containers:\\n${stopped}\\n`));
      assert.doesNotMatch(out(r), new RegExp(other));
      assert.equal((await d.request('GET', `/containers/${stopped}/json`)).status, 404);
      assert.equal((await inspectContainer(d, running)).State.Running, true);
      assert.equal((await inspectContainer(d, other)).State.Status, 'exited');
      assert.deepEqual(await leaksOf(d, stopped), []);
    });

    test('events: create, start, die with exitCode, destroy, replayed with --since/--until', async () => {
      const since = unixSeconds(Date.now() - 1000);
      const id = out(await d.docker(['run', '-d', '--name', 'evt', '-l', 'evt=1', 'busybox', 'sh', '-c', 'exit 4'])).trim();
      assert.equal(out(await d.docker(['wait', id])), '4\n');
      await d.docker(['rm', id]);
      const until = unixSeconds(Date.now() + 500);
      const r = await d.docker(['events', '--since', since, '--until', until, '--filter', 'type=container', '--filter', `container=${id}`, '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.exitCode}} {{.Actor.Attributes.name}} {{.Actor.Attributes.evt}}']);
      assert.deepEqual(out(r).trim().split('\n'), [
        'container create <no value> evt 1',
        'container start <no value> evt 1',
        'container die 4 evt 1',
        'container destroy <no value> evt 1',
      ]);
      const die = await d.docker(['events', '--since', since, '--until', until, '--filter', 'event=die', '--filter', `label=evt=1`, '--format', '{{.ID}} {{.Actor.Attributes.image}}']);
      assert.equal(out(die), `${id} busybox\n`);
    });

    test('events stream live to a follower: docker events shows actions as they happen', async (t) => {
      // --since a moment ago: what happened before the CLI connected is replayed, so no race.
      const follow = streamDocker(d, ['events', '--since', unixSeconds(Date.now() - 500), '--filter', 'type=container', '--filter', 'label=live=1', '--format', '{{.Action}}{{with .Actor.Attributes.exitCode}} {{.}}{{end}}']);
      t.after(() => follow.stop());
      const id = await runDetached(t, ['-l', 'live=1', 'busybox', 'sh', '-c', 'exit 2']);
      await follow.waitFor(/^die 2$/m);
      await d.docker(['rm', id]);
      await follow.waitFor(/^destroy$/m);
      await follow.stop();
      assert.equal(follow.text(), 'create\nstart\ndie 2\ndestroy\n');
    });

    test('events: stop, kill, pause, unpause, rename for a running container', async (t) => {
      const since = unixSeconds(Date.now() - 1000);
      const id = await runDetached(t, ['--name', 'evt2', 'busybox', 'sleep', '100']);
      await d.docker(['pause', id]);
      await d.docker(['unpause', id]);
      await d.docker(['rename', 'evt2', 'evt3']);
      await d.docker(['stop', '-t', '0', id]);
      const until = unixSeconds(Date.now() + 500);
      const r = await d.docker(['events', '--since', since, '--until', until, '--filter', `container=${id}`, '--format', '{{.Action}} {{.Actor.Attributes.name}}{{with .Actor.Attributes.signal}} {{.}}{{end}}{{with .Actor.Attributes.oldName}} from {{.}}{{end}}']);
      // As dockerd: the stop signal, then SIGKILL at the (zero) timeout: sleep as PID 1 ignores SIGTERM.
      assert.deepEqual(out(r).trim().split('\n'), ['create evt2', 'start evt2', 'pause evt2', 'unpause evt2', 'rename evt3 from /evt2', 'kill evt3 15', 'kill evt3 9', 'die evt3', 'stop evt3']);
    });
  });
});
