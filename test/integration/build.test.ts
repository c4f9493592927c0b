import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor, type ExecResult } from '../../src/util/index.js';
import { dockerBin, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, out, streamDocker } from '../helpers/containers.js';
import { debianRootfsTar } from '../helpers/debian.js';
import { startRegistry } from '../helpers/registry.js';

/**
 * A default bridge of the test's own (device and subnet), so RUN's network does not depend on
 * berth0 or 172.17/16, which other daemons on the machine may hold at the same time (apt-get
 * in a build lost its DNS twice that way).
 */
function netConfig(n: number): Record<string, unknown> {
  const octet = (process.pid + n) % 250 + 1;
  return { bridge: `bb${(process.pid + n) % 100000}`, bip: `10.229.${octet}.1/24`, 'default-address-pools': [{ base: `10.230.${octet}.0/24`, size: 28 }] };
}

/** The package list of the Debian base other tests use too (compose-stack), so its cached root serves. */
const DEBIAN_PACKAGES = ['nginx-light', 'redis-server', 'busybox', 'openssl'];

describe('docker build (legacy builder) through the real docker CLI', needsDocker, () => {
  let d: TestDaemon;
  let ctx: string;
  const build = (args: string[], allowFailure = false): Promise<ExecResult> => exec(dockerBin, ['build', ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0' },
    allowFailure, timeoutMs: 120_000,
  });
  const images = async (): Promise<string[]> => out(await d.docker(['images', '-a', '-q', '--no-trunc'])).trim().split('\n').filter((l, i, all) => l && all.indexOf(l) === i).sort();
  const containers = async (): Promise<string> => out(await d.docker(['ps', '-a', '-q'])).trim();

  before(async () => {
    d = await startDaemon('build', [], { config: netConfig(0) });
    await importBusybox(d);
    ctx = path.join(d.dir, 'ctx');
    await fsp.mkdir(path.join(ctx, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(ctx, 'hello.txt'), 'hello from the context\n');
    await fsp.writeFile(path.join(ctx, 'sub', 'run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    await fsp.writeFile(path.join(ctx, 'secret.key'), 'do not send');
    await fsp.writeFile(path.join(ctx, '.dockerignore'), '*.key\n');
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), [
      'FROM busybox',
      'ENV GREETING=hi DIR=/app',
      'WORKDIR $DIR',
      'RUN echo "$GREETING built" > built.txt && echo to-stdout',
      'COPY hello.txt sub/ ./',
      'CMD ["cat", "/app/built.txt"]',
    ].join('\n') + '\n');
  });
  after(async () => { await d.stop(); });

  test('builds, streams Docker\'s steps, and the image runs with its files and config', async () => {
    const r = await build(['-t', 'built:1', ctx]);
    const text = out(r);
    assert.match(text, /^Step 1\/6 : FROM busybox\n ---> [0-9a-f]{12}\nStep 2\/6 : ENV GREETING=hi DIR=\/app\n/m, text);
    assert.match(text, /Step 4\/6 : RUN echo "\$GREETING built" > built.txt && echo to-stdout\n ---> Running in [0-9a-f]{12}\nto-stdout\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
    assert.match(text, /Successfully built [0-9a-f]{12}\nSuccessfully tagged built:1\n$/);
    assert.equal(out(await d.docker(['run', '--rm', 'built:1'])), 'hi built\n');
    assert.equal(out(await d.docker(['run', '--rm', 'built:1', 'cat', 'hello.txt'])), 'hello from the context\n');
    assert.equal(out(await d.docker(['run', '--rm', 'built:1', 'sh', '-c', 'ls -A /app; ./run.sh; pwd; echo $GREETING'])), 'built.txt\nhello.txt\nrun.sh\nrun\n/app\nhi\n');
    const cfg = JSON.parse(out(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'built:1']))) as Record<string, unknown>;
    assert.deepEqual(cfg.Cmd, ['cat', '/app/built.txt']);
    assert.equal(cfg.WorkingDir, '/app');
    assert.ok((cfg.Env as string[]).includes('GREETING=hi'));
    const history = out(await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'built:1'])).trim().split('\n');
    assert.equal(history[0], '/bin/sh -c #(nop)  CMD ["cat" "/app/built.txt"]');
    assert.match(history[1]!, /^\/bin\/sh -c #\(nop\) COPY multi:[0-9a-f]{64} in \.\/ $/);
    assert.equal(history[2], '/bin/sh -c echo "$GREETING built" > built.txt && echo to-stdout');
    assert.equal(await containers(), '', 'no build container is left');
    // The intermediate images are listed only with -a, as dockerd lists them.
    assert.equal(out(await d.docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).trim().split('\n').sort().join(' '), 'built:1 busybox:latest');
  });

  test('a second build takes every step from the cache; --no-cache takes none', async () => {
    const before = await images();
    const r = out(await build(['-t', 'built:2', ctx]));
    assert.equal(r.match(/ ---> Using cache\n/g)?.length, 5, r);
    const first = out(await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'built:1'])).trim();
    const second = out(await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'built:2'])).trim();
    assert.equal(second, first);
    assert.deepEqual(await images(), before);
    const nc = out(await build(['--no-cache', '-q', ctx]));
    assert.doesNotMatch(nc, /Using cache/);
    assert.match(nc, /^sha256:[0-9a-f]{64}\n$/);
  });

  test('a malformed Dockerfile fails with Docker\'s message and leaves nothing behind', async () => {
    const bad = path.join(d.dir, 'bad');
    await fsp.mkdir(bad, { recursive: true });
    await fsp.writeFile(path.join(bad, 'Dockerfile'), 'FROM busybox\nRUN true\nRUNN echo hi\n');
    const imgs = await images();
    const r = await build(['-t', 'bad:1', bad], true);
    assert.equal(r.code, 1);
    assert.match(r.stderr.toString(), /Error response from daemon: dockerfile parse error on line 3: unknown instruction: RUNN\n/);
    assert.deepEqual(await images(), imgs);
    assert.equal(await containers(), '');
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'tmp')).then((l) => l.filter((n) => n.startsWith('build-'))), []);
  });

  test('a failing RUN reports its command and exit code; nothing is tagged or left', async () => {
    const bad = path.join(d.dir, 'fail');
    await fsp.mkdir(bad, { recursive: true });
    await fsp.writeFile(path.join(bad, 'Dockerfile'), 'FROM busybox\nRUN echo failing; exit 3\n');
    const r = await build(['-t', 'fail:1', bad], true);
    assert.equal(r.code, 3);
    assert.match(out(r), /failing\n/);
    assert.match(r.stderr.toString(), /The command '\/bin\/sh -c echo failing; exit 3' returned a non-zero code: 3/);
    assert.equal((await d.docker(['image', 'inspect', 'fail:1'], { allowFailure: true })).code, 1);
    assert.equal(await containers(), '');
  });
  test('multi-stage: COPY --from by name and index into a scratch stage; --target stops at its stage', async () => {
    const ms = path.join(d.dir, 'multi');
    await fsp.mkdir(ms, { recursive: true });
    await fsp.writeFile(path.join(ms, 'Dockerfile'), [
      'FROM busybox AS builder',
      'WORKDIR /src',
      'RUN echo compiled > out.bin && mkdir -p d && echo y > d/y',
      'FROM scratch',
      'COPY --from=builder /src/out.bin /out.bin',
      'COPY --from=0 /src/d /d/',
      'COPY --from=builder /bin/busybox /bin/',
      'ENTRYPOINT ["/bin/busybox"]',
    ].join('\n') + '\n');
    await build(['-t', 'multi:final', ms]);
    assert.equal(out(await d.docker(['run', '--rm', 'multi:final', 'cat', '/out.bin', '/d/y'])), 'compiled\ny\n');
    assert.equal(out(await d.docker(['run', '--rm', 'multi:final', 'ls', '/'])), 'bin\nd\ndev\netc\nout.bin\nproc\nsys\n');
    const history = out(await d.docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'multi:final'])).trim().split('\n');
    assert.equal(history.length, 4, history.join('\n'));
    const r = out(await build(['--target', 'builder', '-t', 'multi:builder', ms]));
    assert.match(r, /Step 3\/3 : RUN/);
    assert.equal(out(await d.docker(['run', '--rm', 'multi:builder', 'cat', '/src/out.bin'])), 'compiled\n');
    assert.equal(await containers(), '');
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'tmp')).then((l) => l.filter((n) => n.startsWith('build-'))), []);
  });
  test('multi-stage: stages the target does not need are skipped; a named one still builds with --target', async () => {
    const c = path.join(d.dir, 'skip');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), [
      'FROM busybox AS tool', 'RUN echo tool > /tool',
      'FROM busybox AS broken', 'RUN echo broken stage ran; exit 7',
      'FROM busybox', 'COPY --from=0 /tool /tool',
    ].join('\n') + '\n');
    const r = out(await build(['-t', 'skip:1', c]));
    assert.doesNotMatch(r, /broken/);
    assert.match(r, /^Step 1\/4 : FROM busybox AS tool\n/m);
    assert.match(r, /^Step 4\/4 : COPY --from=0 \/tool \/tool\n/m);
    assert.equal(out(await d.docker(['run', '--rm', 'skip:1', 'cat', '/tool'])), 'tool\n');
    assert.doesNotMatch(out(await d.berth(['build', c])), /broken/);
    const named = await build(['--target', 'broken', c], true);
    assert.equal(named.code, 7);
    assert.match(out(named), /broken stage ran/);
  });

  test('ARG with --build-arg, ADD of a local tar, --chown, USER/EXPOSE/LABEL; COPY reuses the cache only while contents match', async () => {
    const c = path.join(d.dir, 'args');
    await fsp.mkdir(path.join(c, 'pkg'), { recursive: true });
    await fsp.writeFile(path.join(c, 'pkg', 'inner.txt'), 'inside the tar\n');
    await exec('tar', ['-czf', path.join(c, 'pkg.tar.gz'), '-C', path.join(c, 'pkg'), 'inner.txt']);
    await fsp.writeFile(path.join(c, 'data.txt'), 'v1\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), [
      'ARG BASE=busybox',
      'FROM $BASE',
      'ARG WHO=nobody',
      'ARG UNSET',
      'RUN echo "who=$WHO unset=${UNSET:-default}" > /who.txt',
      'ADD pkg.tar.gz /opt/pkg/',
      'COPY --chown=1000:1001 data.txt /data/',
      'LABEL org.example.who=$WHO',
      'EXPOSE 8080/tcp 53/udp',
      'USER 1000',
    ].join('\n') + '\n');
    const r = out(await build(['--build-arg', 'WHO=me', '-t', 'args:1', c]));
    assert.match(r, /Successfully tagged args:1\n/);
    assert.equal(out(await d.docker(['run', '--rm', 'args:1', 'sh', '-c', 'cat /who.txt /opt/pkg/inner.txt; stat -c "%u:%g %n" /data/data.txt; id -u'])),
      'who=me unset=default\ninside the tar\n1000:1001 /data/data.txt\n1000\n');
    const cfg = JSON.parse(out(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'args:1']))) as Record<string, unknown>;
    assert.deepEqual(cfg.Labels, { 'org.example.who': 'me' });
    assert.deepEqual(cfg.ExposedPorts, { '53/udp': {}, '8080/tcp': {} });
    assert.equal(cfg.User, '1000');
    // Same contents: all cached. A changed file: the COPY and every later step run again.
    assert.equal(out(await build(['--build-arg', 'WHO=me', c])).match(/Using cache/g)?.length, 8);
    await fsp.writeFile(path.join(c, 'data.txt'), 'v2\n');
    const again = out(await build(['--build-arg', 'WHO=me', '-t', 'args:2', c]));
    assert.equal(again.match(/Using cache/g)?.length, 4, again);
    assert.match(again, /Step 7\/10 : COPY --chown=1000:1001 data.txt \/data\/\n ---> [0-9a-f]{12}\n/);
    assert.equal(out(await d.docker(['run', '--rm', 'args:2', 'cat', '/data/data.txt'])), 'v2\n');
    // Another build arg value changes the RUN's key.
    const other = out(await build(['--build-arg', 'WHO=you', c]));
    assert.equal(other.match(/Using cache/g)?.length, 2, other);
    assert.equal(await containers(), '');
  });
  test('COPY of a missing file or of a path outside the context fails with Docker\'s words; -f names a Dockerfile in a subdirectory', async () => {
    const c = path.join(d.dir, 'copyerr');
    await fsp.mkdir(path.join(c, 'docker'), { recursive: true });
    const cases: Array<[string, RegExp]> = [
      ['COPY nope.txt /x', /COPY failed: file not found in build context or excluded by \.dockerignore: stat nope\.txt: file does not exist/],
      ['COPY ../escape /x', /COPY failed: forbidden path outside the build context: \.\.\/escape \(\)/],
      // Symlinks in the context are followed inside it only (dockerd 20.10 answers the same):
      // these name the daemon host's /etc, which must never be read.
      ['COPY out/hostname /x', /COPY failed: file not found in build context or excluded by \.dockerignore: stat out\/hostname: file does not exist/],
      ['COPY direct /y', /COPY failed: file not found in build context or excluded by \.dockerignore: stat direct: file does not exist/],
      ['COPY out/* /z/', /COPY failed: no source files were specified/],
    ];
    await fsp.symlink('/etc', path.join(c, 'out')).catch(() => undefined);
    await fsp.symlink('/etc/hostname', path.join(c, 'direct')).catch(() => undefined);
    for (const [line, message] of cases) {
      await fsp.writeFile(path.join(c, 'docker', 'Build.df'), `FROM busybox\n${line}\n`);
      const r = await build(['-f', path.join(c, 'docker', 'Build.df'), '-t', 'copyerr:1', c], true);
      assert.equal(r.code, 1, line);
      assert.match(r.stderr.toString(), message);
      assert.match(out(r), /Step 2\/2 : /);
    }
    assert.equal((await d.docker(['image', 'inspect', 'copyerr:1'], { allowFailure: true })).code, 1);
    assert.equal(await containers(), '');
    // An absolute link resolves against the context's root: /real.txt is the context's file.
    await fsp.writeFile(path.join(c, 'real.txt'), 'in the context\n');
    await fsp.symlink('/real.txt', path.join(c, 'inlink')).catch(() => undefined);
    await fsp.writeFile(path.join(c, 'docker', 'Build.df'), 'FROM busybox\nCOPY inlink /copied\n');
    await build(['-f', path.join(c, 'docker', 'Build.df'), '-t', 'copyerr:link', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'copyerr:link', 'cat', '/copied'])), 'in the context\n');
  });
  test('a client that goes away stops the build: its RUN container is removed, nothing is tagged', async () => {
    const c = path.join(d.dir, 'cancel');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nRUN echo started && sleep 120\n');
    const s = streamDocker(d, ['build', '-t', 'cancel:1', c], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
    await s.waitFor(/started\n/);
    assert.notEqual(await containers(), '');
    await s.stop();
    await waitFor('the build container to be removed', async () => ((await containers()) === '' ? true : undefined), { timeoutMs: 30_000 });
    await waitFor('the build directory to be removed', async () => {
      const left = (await fsp.readdir(path.join(d.dataRoot, 'tmp'))).filter((n) => n.startsWith('build-'));
      return left.length === 0 ? true : undefined;
    }, { timeoutMs: 30_000 });
    assert.equal((await d.docker(['image', 'inspect', 'cancel:1'], { allowFailure: true })).code, 1);
  });

  test('berth build prints what docker build prints and gets the same image from the cache', async () => {
    const c = path.join(d.dir, 'same');
    await fsp.mkdir(path.join(c, 'dir'), { recursive: true });
    await fsp.writeFile(path.join(c, 'dir', 'f.txt'), 'f\n');
    await fsp.writeFile(path.join(c, 'x.txt'), 'x\n', { mode: 0o600 });
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nCOPY dir /dir\nRUN echo ran\nCOPY x.txt /\nENV A=1\n');
    await build(['-t', 'same:docker', c]);
    const viaDocker = out(await build([c]));
    const viaBerth = out(await d.berth(['build', '-t', 'same:berth', '-t', 'same:two', c]));
    assert.equal(viaBerth, `${viaDocker}Successfully tagged same:berth\nSuccessfully tagged same:two\n`);
    assert.match(viaBerth, /^Sending build context to Docker daemon {2}\S+\r\r\nStep 1\/5 : FROM busybox\n/);
    assert.equal(viaBerth.match(/ ---> Using cache\n/g)?.length, 4, viaBerth);
    const id = (ref: string): Promise<string> => d.docker(['image', 'inspect', '--format', '{{.Id}}', ref]).then((r) => out(r).trim());
    assert.equal(await id('same:berth'), await id('same:docker'));
    assert.equal(await id('same:two'), await id('same:docker'));
    // -q prints only the id; --iidfile gets it too.
    const iid = path.join(d.dir, 'iid');
    await fsp.writeFile(iid, 'stale');
    assert.equal(out(await d.berth(['build', '-q', '--iidfile', iid, c])), `${await id('same:docker')}\n`);
    assert.equal(await fsp.readFile(iid, 'utf8'), await id('same:docker'));
  });

  test('berth build: -f -, a tar or a Dockerfile on stdin, .dockerignore, --build-arg from the environment, --label, --target', async () => {
    const c = path.join(d.dir, 'stdin');
    await fsp.mkdir(path.join(c, 'keep'), { recursive: true });
    await fsp.writeFile(path.join(c, 'keep', 'a.txt'), 'a\n');
    await fsp.writeFile(path.join(c, 'skip.log'), 'no\n');
    await fsp.writeFile(path.join(c, '.dockerignore'), '*.log\nDockerfile\n');
    const df = 'FROM busybox AS one\nARG FROMENV\nRUN echo "one $FROMENV" > /one\nFROM one AS two\nCOPY . /ctx/\nRUN ls -A /ctx > /list\n';
    await fsp.writeFile(path.join(c, 'Dockerfile'), df);
    const env = (args: string[], input?: string | Buffer, extraEnv: Record<string, string> = {}): Promise<ExecResult> => exec(process.execPath, [path.join(process.cwd(), 'bin/berth'), ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, BERTH_HOST: d.host, ...extraEnv }, input, timeoutMs: 120_000,
    });
    const r = out(await env(['build', '--build-arg', 'FROMENV', '--label', 'via=berth', '-t', 'stdin:dir', c], undefined, { FROMENV: 'env-value' }));
    assert.match(r, /Successfully tagged stdin:dir\n$/);
    // The Dockerfile is sent although .dockerignore names it, and then, as dockerd's
    // removeDockerfile does, left out of the context that COPY sees; *.log is never sent.
    assert.equal(out(await d.docker(['run', '--rm', 'stdin:dir', 'cat', '/one', '/list'])), 'one env-value\n.dockerignore\nkeep\n');
    assert.equal(out(await d.docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', 'stdin:dir'])).trim(), '{"via":"berth"}');
    // -f -: the Dockerfile from stdin under a random name that .dockerignore then hides.
    await fsp.rm(path.join(c, 'Dockerfile'));
    await env(['build', '-f', '-', '--target', 'two', '-t', 'stdin:dash-f', c], df);
    assert.equal(out(await d.docker(['run', '--rm', 'stdin:dash-f', 'cat', '/list'])), '.dockerignore\nkeep\n');
    await env(['build', '-f', '-', '--target', 'one', '-t', 'stdin:one', c], df);
    assert.equal((await d.docker(['run', '--rm', 'stdin:one', 'test', '-e', '/list'], { allowFailure: true })).code, 1);
    // A Dockerfile alone on stdin; a tar context on stdin.
    await env(['build', '-t', 'stdin:text', '-'], 'FROM busybox\nRUN echo text > /t\n');
    assert.equal(out(await d.docker(['run', '--rm', 'stdin:text', 'cat', '/t'])), 'text\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nCOPY keep/a.txt /a\n');
    const tarball = (await exec('tar', ['-C', c, '-c', 'Dockerfile', 'keep'])).stdout;
    await env(['build', '-t', 'stdin:tar', '-'], tarball);
    assert.equal(out(await d.docker(['run', '--rm', 'stdin:tar', 'cat', '/a'])), 'a\n');
    assert.equal(await containers(), '');
  });

  test('berth build failures: a failing RUN exits with its code and message, bad paths and flags with docker\'s words', async () => {
    const c = path.join(d.dir, 'berthfail');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nRUN echo out; exit 5\n');
    const imgs = await images();
    const r = await d.berth(['build', '-t', 'berthfail:1', c], { allowFailure: true });
    assert.equal(r.code, 5);
    assert.match(out(r), /Step 2\/2 : RUN echo out; exit 5\n ---> Running in [0-9a-f]{12}\nout\n$/);
    assert.equal(r.stderr.toString(), "The command '/bin/sh -c echo out; exit 5' returned a non-zero code: 5\n");
    assert.deepEqual(await images(), imgs);
    assert.equal(await containers(), '');
    const q = await d.berth(['build', '-q', c], { allowFailure: true });
    // Quiet, the daemon sends no message before the failure, so it comes as an HTTP error
    // (exit 1), after the buffered progress, as docker's -q shows it.
    assert.equal(q.code, 1);
    assert.equal(out(q), '');
    assert.match(q.stderr.toString(), /^Sending build context to Docker daemon .*\r\r\nError response from daemon: The command '\/bin\/sh -c echo out; exit 5' returned a non-zero code: 5\n$/);
    const missing = await d.berth(['build', path.join(c, 'nope')], { allowFailure: true });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.toString(), `unable to prepare context: path "${path.join(c, 'nope')}" not found\n`);
    const nodf = await d.berth(['build', '-f', path.join(c, 'Nope.df'), c], { allowFailure: true });
    assert.equal(nodf.stderr.toString(), `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${path.join(c, 'Nope.df')}: no such file or directory\n`);
    const both = await d.berth(['build', '-f', '-', '-'], { allowFailure: true, input: '' });
    assert.equal(both.stderr.toString(), "invalid argument: can't use stdin for both build context and dockerfile\n");
    const tag = await d.berth(['build', '-t', 'Bad:x', c], { allowFailure: true });
    assert.equal(tag.code, 125);
    assert.match(tag.stderr.toString(), /^invalid argument "Bad:x" for "-t, --tag" flag: invalid reference format: repository name \(library\/Bad\) must be lowercase\n/);
    assert.deepEqual(await images(), imgs);
  });

  test('ONBUILD triggers run in the child build; COPY --chmod, --chown by name; FROM --platform; config instructions in the image', async () => {
    const c = path.join(d.dir, 'instr');
    await fsp.mkdir(path.join(c, 'tree'), { recursive: true });
    await fsp.writeFile(path.join(c, 'tree', 'f'), 'f\n', { mode: 0o644 });
    await fsp.writeFile(path.join(c, 'base.df'), [
      'FROM --platform=$BUILDPLATFORM busybox',
      'RUN echo "app:x:1500:1600::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1600:" > /etc/group && echo "staff:x:50:" >> /etc/group',
      'ONBUILD COPY --chown=app tree/f /onbuild-f',
      'ONBUILD RUN echo triggered > /triggered',
      'HEALTHCHECK --interval=30s --timeout=3s CMD true',
      'STOPSIGNAL SIGINT',
      'SHELL ["/bin/sh", "-ec"]',
      'VOLUME /data',
      'EXPOSE 8080',
    ].join('\n') + '\n');
    await build(['-f', path.join(c, 'base.df'), '-t', 'instr:base', c]);
    const baseCfg = JSON.parse(out(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'instr:base']))) as Record<string, unknown>;
    assert.deepEqual(baseCfg.OnBuild, ['COPY --chown=app tree/f /onbuild-f', 'RUN echo triggered > /triggered']);
    assert.deepEqual(baseCfg.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Timeout: 3e9 });
    assert.equal(baseCfg.StopSignal, 'SIGINT');
    assert.deepEqual(baseCfg.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(baseCfg.Volumes, { '/data': {} });
    assert.deepEqual(baseCfg.ExposedPorts, { '8080/tcp': {} });
    await fsp.writeFile(path.join(c, 'child.df'), [
      'FROM instr:base',
      'COPY --chmod=0640 --chown=app:staff tree /tree/',
      'COPY --chmod=750 tree/f /exec-f',
      'USER app',
    ].join('\n') + '\n');
    const r = out(await d.berth(['build', '-f', path.join(c, 'child.df'), '-t', 'instr:child', c]));
    assert.match(r, /Step 1\/4 : FROM instr:base\n# Executing 2 build triggers\n ---> Running in [0-9a-f]{12}\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\nStep 2\/4 : /, r);
    assert.equal(out(await d.docker(['run', '--rm', '--user', '0', 'instr:child', 'stat', '-c', '%u:%g %a %n', '/onbuild-f', '/tree/f', '/exec-f'])),
      '1500:1600 644 /onbuild-f\n1500:50 640 /tree/f\n0:0 750 /exec-f\n');
    assert.equal(out(await d.docker(['run', '--rm', 'instr:child', 'sh', '-c', 'cat /triggered; id -u'])), 'triggered\n1500\n');
    const childCfg = JSON.parse(out(await d.docker(['image', 'inspect', '--format', '{{json .Config}}', 'instr:child']))) as Record<string, unknown>;
    assert.deepEqual(childCfg.OnBuild ?? [], [], 'the triggers do not pass on to grandchildren');
    // Bad input: a user that is not there, a platform that is not the host's.
    await fsp.writeFile(path.join(c, 'bad.df'), 'FROM busybox\nCOPY --chown=ghost tree /t\n');
    const ghost = await build(['-f', path.join(c, 'bad.df'), c], true);
    assert.equal(ghost.code, 1);
    assert.match(ghost.stderr.toString(), /unable to convert uid\/gid chown string to host mapping: can't find uid for user ghost: no such user: ghost/);
    await fsp.writeFile(path.join(c, 'arm.df'), 'FROM --platform=linux/arm64 busybox\nRUN true\n');
    const arm = await build(['-f', path.join(c, 'arm.df'), c], true);
    assert.equal(arm.code, 1);
    assert.match(arm.stderr.toString(), /image with reference busybox was found but does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/);
    assert.equal(await containers(), '');
  });

  test('ADD <url>: berthd fetches it (mode 0600, not extracted), --checksum is verified, a 404 fails the step', async (t) => {
    const payload = Buffer.from('remote payload\n');
    const server = http.createServer((req, res) => {
      if (req.url === '/files/remote.txt') { res.writeHead(200, { 'Last-Modified': 'Wed, 01 Jan 2025 00:00:00 GMT' }); res.end(payload); return; }
      res.writeHead(404, 'Not Found'); res.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => { server.close(); });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sum = `sha256:${createHash('sha256').update(payload).digest('hex')}`;
    const c = path.join(d.dir, 'url');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM busybox\nADD ${base}/files/remote.txt /dl/\nADD --checksum=${sum} ${base}/files/remote.txt /named.txt\n`);
    await build(['-t', 'url:1', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'url:1', 'sh', '-c', 'stat -c "%a %u %n" /dl/remote.txt /named.txt; cat /named.txt'])), '600 0 /dl/remote.txt\n600 0 /named.txt\nremote payload\n');
    // Fetched again on a rebuild, but the same bytes keep the cache.
    assert.equal(out(await build([c])).match(/Using cache/g)?.length, 2);
    // URLs and local files in one ADD: the URL's file as downloaded, a local tar extracted.
    await fsp.writeFile(path.join(c, 'local.txt'), 'local\n');
    await fsp.mkdir(path.join(c, 'tree'), { recursive: true });
    await fsp.writeFile(path.join(c, 'tree', 'in-tar.txt'), 'in tar\n');
    await exec('tar', ['-C', path.join(c, 'tree'), '-cf', path.join(c, 'local.tar'), 'in-tar.txt']);
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM busybox\nADD local.txt ${base}/files/remote.txt local.tar /mixed/\n`);
    await build(['-t', 'url:mixed', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'url:mixed', 'sh', '-c', 'cd /mixed && ls && stat -c "%a %n" remote.txt local.txt && cat remote.txt in-tar.txt'])),
      'in-tar.txt\nlocal.txt\nremote.txt\n600 remote.txt\n644 local.txt\nremote payload\nin tar\n');
    await d.berth(['build', '-t', 'url:mixed-berth', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'url:mixed-berth', 'ls', '/mixed'])), 'in-tar.txt\nlocal.txt\nremote.txt\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM busybox\nADD local.txt ${base}/files/remote.txt /one\n`);
    assert.match((await build([c], true)).stderr.toString(), /When using ADD with more than one source file, the destination must be a directory and end with a \//);
    const cases: Array<[string, RegExp]> = [
      [`ADD --checksum=sha256:${'0'.repeat(64)} ${base}/files/remote.txt /x`, new RegExp(`digest mismatch ${sum}: sha256:0{64}`)],
      [`ADD ${base}/nope.txt /x`, new RegExp(`ADD failed: failed to GET ${base}/nope.txt with status 404 Not Found: \n`)],
      [`ADD --checksum=${sum} local.txt /x`, /checksum can't be specified for non-HTTP\(S\) sources/],
      [`ADD --checksum=${sum} ${base}/files/remote.txt local.txt /x/`, /checksum can't be specified for multiple sources/],
    ];
    for (const [line, message] of cases) {
      await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM busybox\n${line}\n`);
      const r = await build([c], true);
      assert.equal(r.code, 1, line);
      assert.match(r.stderr.toString(), message);
    }
    assert.equal(await containers(), '');
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'tmp')).then((l) => l.filter((n) => n.startsWith('build-'))), []);
  });

  test('heredocs: RUN <<EOF runs the document as a script, RUN cmd <<EOF feeds it, COPY <<EOF writes a file', async () => {
    const c = path.join(d.dir, 'heredoc');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), [
      'FROM busybox',
      'ENV WHO=world',
      'RUN <<EOF',
      'set -e',
      'echo "script $WHO" > /script.out',
      'echo second line >> /script.out',
      'EOF',
      'RUN cat > /fed.out <<EOF',
      'fed $WHO',
      'EOF',
      'COPY <<EOF /etc/greeting',
      'hello $WHO',
      'EOF',
      'COPY <<"RAW" /raw.txt',
      'kept $WHO',
      'RAW',
      'CMD ["cat", "/script.out", "/fed.out", "/etc/greeting", "/raw.txt"]',
    ].join('\n') + '\n');
    const r = out(await d.berth(['build', '-t', 'heredoc:1', c]));
    assert.match(r, /Step 3\/7 : RUN <<EOF\n/);
    assert.equal(out(await d.docker(['run', '--rm', 'heredoc:1'])), 'script world\nsecond line\nfed world\nhello world\nkept $WHO\n');
    assert.equal(out(await d.docker(['run', '--rm', 'heredoc:1', 'stat', '-c', '%a %u', '/etc/greeting'])), '644 0\n');
    assert.equal(out(await d.berth(['build', c])).match(/Using cache/g)?.length, 6);
    assert.equal(await containers(), '');
  });

  test('cache: COPY is keyed on contents and metadata, not mtimes; ARG values used by RUN are part of the key', async () => {
    const c = path.join(d.dir, 'cachekey');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'f.sh'), 'echo f\n', { mode: 0o644 });
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nARG V=1\nCOPY f.sh /f.sh\nRUN echo "$V" > /v\n');
    const cached = async (args: string[] = []): Promise<number> => out(await build([...args, c])).match(/Using cache/g)?.length ?? 0;
    await build([c]);
    assert.equal(await cached(), 3);
    // A new mtime alone keeps every step.
    await fsp.utimes(path.join(c, 'f.sh'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.equal(await cached(), 3);
    // A new mode is a new COPY (and so a new RUN after it).
    await fsp.chmod(path.join(c, 'f.sh'), 0o755);
    assert.equal(await cached(), 1);
    assert.equal(await cached(), 3);
    // The same ARG default given explicitly is the same key; another value is a new RUN only.
    assert.equal(await cached(['--build-arg', 'V=1']), 3);
    assert.equal(await cached(['--build-arg', 'V=2']), 2);
    assert.equal(await cached(['--no-cache']), 0);
  });

  test('RUN containers get the build\'s limits: memory, CPU quota and shares, /dev/shm, cgroup parent (docker build and berth build)', async (t) => {
    const c = path.join(d.dir, 'limits');
    await fsp.mkdir(c, { recursive: true });
    const isCgroup2 = !(await fsp.stat('/sys/fs/cgroup/memory').then(() => true, () => false));
    const read = isCgroup2
      ? 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight'
      : 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.shares';
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM busybox\nRUN ${read} > /limits; df -k /dev/shm | tail -1 | awk '{print $2}' > /shm; grep -E 'memory|0::' /proc/self/cgroup > /cg; grep -E 'extra-(one|two)' /etc/hosts > /hosts || true\n`);
    const parent = `berth-build-test-${process.pid}`;
    t.after(async () => {
      // Every hierarchy runc may have made the parent in (cgroup v1 controllers, the hybrid "unified" one).
      const hierarchies = isCgroup2 ? [''] : await fsp.readdir('/sys/fs/cgroup');
      for (const h of hierarchies) await fsp.rmdir(path.join('/sys/fs/cgroup', h, parent)).catch(() => undefined);
      assert.deepEqual(hierarchies.filter((h) => existsSync(path.join('/sys/fs/cgroup', h, parent))), [], 'the cgroup parent is removed');
    });
    const limits = ['--memory', '64m', '--cpu-quota', '50000', '--cpu-period', '100000', '--cpu-shares', '512', '--shm-size', '32m', '--cgroup-parent', parent,
      '--add-host', 'extra-one:10.1.2.3', '--add-host', 'extra-two:10.4.5.6', '--no-cache'];
    await build([...limits, '-t', 'limits:docker', c]);
    const expected = isCgroup2 ? `${64 << 20}\n50000 100000\n20\n` : `${64 << 20}\n50000\n512\n`;
    assert.equal(out(await d.docker(['run', '--rm', 'limits:docker', 'cat', '/limits', '/shm'])), `${expected}32768\n`);
    assert.match(out(await d.docker(['run', '--rm', 'limits:docker', 'cat', '/cg'])), new RegExp(`/${parent}/`));
    await d.berth(['build', ...limits, '-t', 'limits:berth', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'limits:berth', 'cat', '/limits', '/shm'])), `${expected}32768\n`);
    for (const tag of ['limits:docker', 'limits:berth']) {
      assert.equal(out(await d.docker(['run', '--rm', tag, 'sh', '-c', 'tr -s "\\t " " " < /hosts'])), '10.1.2.3 extra-one\n10.4.5.6 extra-two\n');
    }
    // Without limits the same step runs with the defaults (no cache, to really run it).
    await build(['--no-cache', '-t', 'limits:none', c]);
    assert.equal(out(await d.docker(['run', '--rm', 'limits:none', 'cat', '/shm'])), '65536\n');
    const bad = await build(['--isolation', 'hyperv', c], true);
    assert.match(bad.stderr.toString(), /Unsupported isolation: "hyperv"/);
    assert.equal(await containers(), '');
  });

  test('remote contexts: a tarball or a Dockerfile at a URL, fetched by berthd (remote=), by docker build and by berth build', async (t) => {
    const src = path.join(d.dir, 'remote-src');
    await fsp.mkdir(path.join(src, 'files'), { recursive: true });
    await fsp.writeFile(path.join(src, 'files', 'a.txt'), 'from the remote tarball\n');
    await fsp.writeFile(path.join(src, 'Dockerfile'), 'FROM busybox\nCOPY files/a.txt /a.txt\n');
    await fsp.writeFile(path.join(src, 'Other.df'), 'FROM busybox\nCOPY files/a.txt /other.txt\n');
    const tgz = (await exec('tar', ['-C', src, '-cz', 'Dockerfile', 'Other.df', 'files'])).stdout;
    const dockerfile = 'FROM busybox\nRUN echo "dockerfile only" > /only\n';
    const server = http.createServer((req, res) => {
      if (req.url === '/ctx.tar.gz') { res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); res.end(tgz); return; }
      if (req.url === '/Dockerfile') { res.writeHead(200); res.end(dockerfile); return; }
      if (req.url === '/plain') { res.writeHead(200, { 'Content-Type': 'text/plain' }); res.end(dockerfile); return; }
      res.writeHead(404, 'Not Found'); res.end('nothing here');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => { server.close(); });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The API's remote=: the daemon downloads; the request body is not the context.
    const api = async (query: string): Promise<string> => {
      const r = await d.request('POST', `/build?${query}`, '', { 'Content-Type': 'application/x-tar' });
      assert.equal(r.status, 200, r.body);
      return r.body;
    };
    let body = await api(`remote=${encodeURIComponent(`${base}/ctx.tar.gz`)}&t=remote:tar`);
    assert.match(body, new RegExp(`"status":"Downloading build context from remote url: ${base}/ctx.tar.gz"`));
    assert.match(body, /"aux":\{"ID":"sha256:[0-9a-f]{64}"\}/, body);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:tar', 'cat', '/a.txt'])), 'from the remote tarball\n');
    await api(`remote=${encodeURIComponent(`${base}/ctx.tar.gz`)}&dockerfile=Other.df&t=remote:other`);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:other', 'cat', '/other.txt'])), 'from the remote tarball\n');
    for (const p of ['/Dockerfile', '/plain']) {
      body = await api(`remote=${encodeURIComponent(base + p)}&t=remote:df`);
      assert.match(body, /"stream":"Step 2\/2 : RUN echo \\"dockerfile only\\" > \/only\\n"/);
      assert.equal(out(await d.docker(['run', '--rm', 'remote:df', 'cat', '/only'])), 'dockerfile only\n');
    }
    body = (await d.request('POST', `/build?remote=${encodeURIComponent(`${base}/missing`)}`, '')).body;
    assert.match(body, new RegExp(`error downloading remote context ${base}/missing: failed to GET ${base}/missing with status 404 Not Found`));
    // docker build <url> downloads on the client and sends the tar; berth build does the same.
    await build(['-t', 'remote:docker', `${base}/ctx.tar.gz`]);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:docker', 'cat', '/a.txt'])), 'from the remote tarball\n');
    await d.berth(['build', '-t', 'remote:berth', `${base}/ctx.tar.gz`]);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:berth', 'cat', '/a.txt'])), 'from the remote tarball\n');
    await d.berth(['build', '-f', 'Other.df', '-t', 'remote:berth-f', `${base}/ctx.tar.gz`]);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:berth-f', 'cat', '/other.txt'])), 'from the remote tarball\n');
    await d.berth(['build', '-t', 'remote:berth-df', `${base}/Dockerfile`]);
    assert.equal(out(await d.docker(['run', '--rm', 'remote:berth-df', 'cat', '/only'])), 'dockerfile only\n');
    const missing = await d.berth(['build', `${base}/missing`], { allowFailure: true });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr.toString(), /failed to GET .*\/missing with status 404 Not Found/);
    // A tarball on stdin as well (berth build - < ctx.tar.gz).
    await d.berth(['build', '-t', 'remote:stdin', '-'], { input: tgz });
    assert.equal(out(await d.docker(['run', '--rm', 'remote:stdin', 'cat', '/a.txt'])), 'from the remote tarball\n');
    assert.equal(await containers(), '');
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'tmp')).then((l) => l.filter((n) => n.startsWith('build-'))), []);
  });

  test('git contexts: <repo>.git[#ref][:subdir] cloned by berthd (remote=), by docker build and by berth build', async (t) => {
    const work = path.join(d.dir, 'git-work');
    const bare = path.join(d.dir, 'git-served', 'repo.git');
    await fsp.mkdir(path.join(work, 'sub'), { recursive: true });
    const git = (args: string[], cwd: string): Promise<ExecResult> => exec('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=master', ...args], { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir } });
    await fsp.writeFile(path.join(work, 'Dockerfile'), 'FROM busybox\nCOPY main.txt /from-git\n');
    await fsp.writeFile(path.join(work, 'main.txt'), 'master branch\n');
    await fsp.writeFile(path.join(work, 'sub', 'Dockerfile'), 'FROM busybox\nCOPY s.txt /from-git\n');
    await fsp.writeFile(path.join(work, 'sub', 's.txt'), 'subdir\n');
    await git(['init', '-q'], work);
    await git(['add', '.'], work);
    await git(['commit', '-qm', 'one'], work);
    await git(['checkout', '-qb', 'other'], work);
    await fsp.writeFile(path.join(work, 'sub', 's.txt'), 'other branch subdir\n');
    await git(['commit', '-qam', 'two'], work);
    await git(['checkout', '-q', 'master'], work);
    await git(['clone', '-q', '--bare', work, bare], d.dir);
    await git(['update-server-info'], bare);
    // git's "dumb" HTTP protocol: the bare repository's files, served as they are.
    const root = path.dirname(bare);
    const server = http.createServer((req, res) => {
      const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
      fsp.readFile(file).then((b) => { res.writeHead(200); res.end(b); }, () => { res.writeHead(404); res.end(); });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => { server.close(); });
    const repo = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo.git`;
    const api = async (remote: string, tag: string): Promise<void> => {
      const r = await d.request('POST', `/build?remote=${encodeURIComponent(remote)}&t=${tag}`, '');
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /"aux":\{"ID":"sha256:[0-9a-f]{64}"\}/, r.body);
    };
    const cat = async (tag: string): Promise<string> => out(await d.docker(['run', '--rm', tag, 'cat', '/from-git']));
    await api(repo, 'git:api');
    // No ref is "master", as docker's gitutils has it.
    assert.equal(await cat('git:api'), 'master branch\n');
    await api(`${repo}#other:sub`, 'git:api-other');
    assert.equal(await cat('git:api-other'), 'other branch subdir\n');
    const bad = await d.request('POST', `/build?remote=${encodeURIComponent(`${repo}#nobranch`)}`, '');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /unable to 'git clone' to temporary context directory/);
    // The docker CLI clones into $TMPDIR and leaves the clone there: a directory of the test's.
    const cliTmp = path.join(d.dir, 'docker-cli-tmp');
    await fsp.mkdir(cliTmp, { recursive: true });
    await exec(dockerBin, ['build', '-t', 'git:docker', `${repo}#:sub`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, DOCKER_BUILDKIT: '0', TMPDIR: cliTmp }, timeoutMs: 120_000,
    });
    assert.equal(await cat('git:docker'), 'subdir\n');
    await d.berth(['build', '-t', 'git:berth', `${repo}#other:sub`]);
    assert.equal(await cat('git:berth'), 'other branch subdir\n');
    // -f is relative to the clone: sub/Dockerfile is read, its COPY then looks in the repository's root.
    const viaF = await d.berth(['build', '-f', 'sub/Dockerfile', `${repo}#other`], { allowFailure: true });
    assert.match(viaF.stderr.toString(), /COPY failed: file not found in build context or excluded by \.dockerignore: stat s\.txt: file does not exist/);
    assert.match((await d.berth(['build', `${repo}#other:nope`], { allowFailure: true })).stderr.toString(), /Cannot locate specified Dockerfile|not found|unable to prepare context/);
    assert.deepEqual(await fsp.readdir(path.join(d.dataRoot, 'tmp')).then((l) => l.filter((n) => n.startsWith('build-'))), []);
  });

  test('--cache-from: an image\'s history stands for the steps once the local records are gone', async () => {
    const c = path.join(d.dir, 'cachefrom');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'f.txt'), 'f\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nENV A=1\nRUN echo ran > /ran\nCOPY f.txt /f.txt\nCMD ["cat", "/ran"]\n');
    await build(['-t', 'cachefrom:src', c]);
    const layers = async (ref: string): Promise<string> => out(await d.docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref]));
    const cached = async (args: string[]): Promise<number> => out(await build([...args, c])).match(/Using cache/g)?.length ?? 0;
    // The records go (cachefrom:src and its parents stay: a tag keeps them).
    await d.docker(['builder', 'prune', '-a', '-f']);
    assert.equal(await cached(['--cache-from', 'cachefrom:src', '-t', 'cachefrom:hit']), 4);
    assert.equal(await layers('cachefrom:hit'), await layers('cachefrom:src'));
    assert.equal(out(await d.docker(['run', '--rm', 'cachefrom:hit'])), 'ran\n');
    const berthOut = out(await d.berth(['build', '--cache-from', 'cachefrom:src', c]));
    assert.equal(berthOut.match(/Using cache/g)?.length, 4);
    // A changed file: the steps before it still come from the source image, the rest is built.
    await fsp.writeFile(path.join(c, 'f.txt'), 'changed\n');
    await d.docker(['builder', 'prune', '-a', '-f']);
    assert.equal(await cached(['--cache-from', 'cachefrom:src']), 2);
    await d.docker(['builder', 'prune', '-a', '-f']);
    assert.equal(await cached([]), 0);
  });

  test('FROM pulls a missing image; --pull pulls a newer one over the local tag (docker build and berth build)', async (t) => {
    const reg = await startRegistry('build-pull');
    t.after(() => reg.stop());
    const ref = `${reg.host}/base:1`;
    await d.docker(['tag', 'busybox', ref]);
    await d.docker(['push', ref]);
    await d.docker(['rmi', ref]);
    const c = path.join(d.dir, 'pull');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM ${ref}\nRUN cat /v 2>/dev/null || echo none\n`);
    // Missing locally: pulled, with the pull's progress in the build's output.
    const first = out(await build(['-t', 'pulled:1', c]));
    assert.match(first, new RegExp(`^Step 1/2 : FROM ${ref.replace(/\./g, '\\.')}\n1: Pulling from base\n`, 'm'), first);
    assert.match(first, /Status: Downloaded newer image for /);
    assert.match(first, /\nnone\n/);
    // A newer base in the registry under the same tag; the local tag stays the old one.
    const v2 = path.join(d.dir, 'pull-v2');
    await fsp.mkdir(v2, { recursive: true });
    await fsp.writeFile(path.join(v2, 'Dockerfile'), 'FROM busybox\nRUN echo v2 > /v\n');
    await build(['-t', ref, v2]);
    await d.docker(['push', ref]);
    await d.docker(['tag', 'busybox', ref]);
    const local = out(await build([c]));
    assert.doesNotMatch(local, /Pulling from/);
    assert.match(local, /Using cache/);
    const pulled = out(await build(['--pull', '-t', 'pulled:2', c]));
    assert.match(pulled, /1: Pulling from base\n/);
    assert.match(pulled, /\nv2\n/, pulled);
    assert.equal(out(await d.docker(['run', '--rm', 'pulled:2', 'cat', '/v'])), 'v2\n');
    // berth build --pull: the registry has nothing newer now, the build takes its cache.
    const again = out(await d.berth(['build', '--pull', c]));
    assert.match(again, /Status: Image is up to date for /);
    assert.match(again, /Using cache/);
    // A base that is nowhere: the pull's error ends the build.
    await fsp.writeFile(path.join(c, 'Dockerfile'), `FROM ${reg.host}/nothing:1\n`);
    const r = await build([c], true);
    assert.equal(r.code, 1);
    assert.match(r.stderr.toString(), /manifest unknown|not found/i);
    assert.equal(await containers(), '');
  });

  test('SOURCE_DATE_EPOCH: the same Dockerfile and context give the same image id on two data-roots (docker build and berth build)', async (t) => {
    const d2 = await startDaemon('build-repro', [], { config: netConfig(1) });
    t.after(() => d2.stop());
    // The same base on both: saved here, loaded there (an import would date it now).
    const saved = (await d.docker(['save', 'busybox'], { timeoutMs: 60_000 })).stdout;
    await d2.docker(['load'], { input: saved, timeoutMs: 60_000 });
    const c = path.join(d.dir, 'repro');
    await fsp.mkdir(path.join(c, 'sub'), { recursive: true });
    await fsp.writeFile(path.join(c, 'hello.txt'), 'hello\n');
    await fsp.writeFile(path.join(c, 'sub', 'b.txt'), 'b\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), [
      'FROM busybox', 'ENV A=1', 'WORKDIR /app/w', 'COPY hello.txt sub/ ./',
      'RUN echo built > out.txt && mkdir -p d/e && touch d/e/x z y a && echo hi > /etc/motd',
      'LABEL x=y', 'CMD ["cat", "out.txt"]',
    ].join('\n') + '\n');
    const epoch = 1700000000;
    const idOf = async (daemon: TestDaemon, ref: string): Promise<string> => out(await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
    await build(['--no-cache', '--build-arg', `SOURCE_DATE_EPOCH=${epoch}`, '-t', 'repro:1', c]);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d2.dir, BERTH_HOST: d2.host, SOURCE_DATE_EPOCH: String(epoch) };
    await exec(process.execPath, [path.join(process.cwd(), 'bin/berth'), 'build', '-t', 'repro:1', c], { env, timeoutMs: 120_000 });
    const first = await idOf(d, 'repro:1');
    assert.equal(await idOf(d2, 'repro:1'), first);
    // Dates are the epoch's, files are no newer than it.
    assert.equal(out(await d.docker(['image', 'inspect', '--format', '{{.Created}}', 'repro:1'])).trim(), '2023-11-14T22:13:20Z');
    const dates = out(await d.docker(['history', '--no-trunc', '--format', '{{.CreatedAt}} {{.CreatedBy}}', '--human=false', 'repro:1'])).trim().split('\n').slice(0, 6);
    for (const line of dates) assert.match(line, /^2023-11-14T22:13:20Z /, dates.join('\n'));
    assert.equal(out(await d.docker(['run', '--rm', 'repro:1', 'stat', '-c', '%Y', '/app/w/out.txt', '/app/w/d/e/x', '/app', '/etc/motd'])), `${epoch}\n`.repeat(4));
    // Again on d2 without its cache, and once more here: still the same id.
    await exec(process.execPath, [path.join(process.cwd(), 'bin/berth'), 'build', '--no-cache', '-t', 'repro:2', c], { env, timeoutMs: 120_000 });
    assert.equal(await idOf(d2, 'repro:2'), first);
    // Without it, two builds differ (this test could fail).
    await build(['--no-cache', '-t', 'repro:plain1', c]);
    await build(['--no-cache', '-t', 'repro:plain2', c]);
    assert.notEqual(await idOf(d, 'repro:plain1'), await idOf(d, 'repro:plain2'));
    const bad = await build(['--build-arg', 'SOURCE_DATE_EPOCH=yesterday', c], true);
    assert.match(bad.stderr.toString(), /invalid SOURCE_DATE_EPOCH: yesterday/);
  });

  test('builder prune and system df: the step cache is counted, pruned by docker builder prune and berth builder prune', async () => {
    const c = path.join(d.dir, 'prune');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nRUN head -c 300000 /dev/zero > /blob\nENV B=2\n');
    await build(['-t', 'prune:tagged', c]);
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nRUN head -c 500000 /dev/zero > /dangling\nENV B=2\n');
    await build([c]);
    await build(['-q', c]);
    const df = async (): Promise<Array<{ ID: string; Shared: boolean; Size: number; Description: string; UsageCount: number }>> =>
      (JSON.parse((await d.request('GET', '/system/df?type=build-cache')).body) as { BuildCache: Array<{ ID: string; Shared: boolean; Size: number; Description: string; UsageCount: number }> }).BuildCache;
    const entries = await df();
    const mine = entries.filter((e) => /head -c [35]00000/.test(e.Description));
    assert.equal(mine.length, 2, JSON.stringify(entries));
    const tagged = mine.find((e) => e.Description.includes('300000'))!;
    const loose = mine.find((e) => e.Description.includes('500000'))!;
    assert.equal(tagged.Shared, true);
    assert.equal(loose.Shared, false);
    assert.ok(loose.Size >= 500000, `size ${loose.Size}`);
    assert.equal(loose.UsageCount, 1);
    // docker system df shows the Build Cache row: reclaimable counts what no tag shares.
    const row = out(await d.docker(['system', 'df'])).split('\n').find((l) => l.startsWith('Build Cache'));
    assert.match(row ?? '', /^Build Cache\s+\d+\s+0\s+\S+\s+\S+/);
    // -v lists the entries: the docker CLI and berth read the same objects.
    for (const cli of [d.docker.bind(d), d.berth.bind(d)]) {
      const verbose = out(await cli(['system', 'df', '-v']));
      assert.match(verbose, /Build cache usage: \S+/);
      assert.match(verbose, new RegExp(`^${loose.ID.slice(0, 12)}\\S*\\s+regular\\s`, 'm'), verbose);
    }
    const imagesBefore = await images();
    // Without -a, the cache no tag shares goes, with its images; the tagged build still hits.
    const pruned = out(await d.docker(['builder', 'prune', '-f']));
    assert.match(pruned, new RegExp(`^Deleted build cache objects:\n(?:[0-9a-f]{25}\n)*${loose.ID}\n(?:[0-9a-f]{25}\n)*\nTotal reclaimed space: \\d+(\\.\\d+)?[kM]B\n$`));
    assert.ok(!(await df()).some((e) => e.ID === loose.ID));
    assert.ok((await df()).some((e) => e.ID === tagged.ID));
    assert.ok((await images()).length < imagesBefore.length);
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nRUN head -c 300000 /dev/zero > /blob\nENV B=2\n');
    assert.equal(out(await build([c])).match(/Using cache/g)?.length, 2);
    assert.equal(out(await d.berth(['builder', 'prune', '-f'])), 'Total reclaimed space: 0B\n');
    // keep-storage: a limit the cache is within deletes nothing, a small one the oldest first.
    assert.equal(out(await d.docker(['builder', 'prune', '-a', '-f', '--keep-storage', '100GB'])), 'Total reclaimed space: 0B\n');
    // -a drops every record; the tagged image stays and runs, the next build uses no cache.
    const all = out(await d.berth(['builder', 'prune', '-a', '-f']));
    assert.match(all, /^Deleted build cache objects:\n([0-9a-f]{25}\n)+\nTotal reclaimed space: /);
    assert.deepEqual(await df(), []);
    assert.equal(out(await d.docker(['run', '--rm', 'prune:tagged', 'wc', '-c', '/blob'])), '300000 /blob\n');
    assert.equal(out(await build([c])).match(/Using cache/g), null);
    // The prompt, refused, prunes nothing.
    const no = await d.berth(['builder', 'prune'], { input: 'n\n', allowFailure: true });
    assert.match(out(no), /^WARNING! This will remove all dangling build cache\. Are you sure you want to continue\? \[y\/N\] /);
    assert.equal((await df()).length, 2);
    // The filters reach the cache: until=1h keeps what was just used.
    assert.equal(out(await d.docker(['builder', 'prune', '-a', '-f', '--filter', 'until=1h'])), 'Total reclaimed space: 0B\n');
  });

  test('RUN apt-get install from a Debian base made with debootstrap: package downloads through the bridge', async () => {
    const rootfs = await debianRootfsTar(DEBIAN_PACKAGES);
    await d.docker(['import', rootfs, 'debian-base:build'], { timeoutMs: 300_000 });
    const c = path.join(d.dir, 'apt');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'Dockerfile'), [
      'FROM debian-base:build',
      'ENV DEBIAN_FRONTEND=noninteractive',
      'RUN apt-get -o Acquire::Retries=3 update -q && apt-get -o Acquire::Retries=3 install -y -q --no-install-recommends hello && rm -rf /var/lib/apt/lists/*',
      'CMD ["hello"]',
    ].join('\n') + '\n');
    const r = await build(['-t', 'apt:hello', c], true);
    assert.equal(r.code, 0, `${out(r)}\n${r.stderr.toString()}`);
    assert.match(out(r), /Setting up hello /);
    assert.equal(out(await d.docker(['run', '--rm', 'apt:hello'])), 'Hello, world!\n');
    assert.equal(await containers(), '');
  });

  test('context bodies: gzip (also as Content-Encoding), bzip2, xz; the platform query; --progress; the cache survives a berthd restart', async () => {
    const c = path.join(d.dir, 'bodies');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'f.txt'), 'body\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\n');
    const plain = (await exec('tar', ['-C', c, '-c', 'Dockerfile', 'f.txt'])).stdout;
    const packed: Array<[string, Buffer, Record<string, string>]> = [
      ['plain', plain, {}],
      ['gzip', (await exec('gzip', ['-c'], { input: plain })).stdout, {}],
      ['content-encoding', (await exec('gzip', ['-c'], { input: plain })).stdout, { 'Content-Encoding': 'gzip' }],
      ['bzip2', (await exec('bzip2', ['-c'], { input: plain })).stdout, {}],
      ['xz', (await exec('xz', ['-c'], { input: plain })).stdout, {}],
    ];
    for (const [name, body, headers] of packed) {
      const r = await d.request('POST', `/build?t=bodies:${name}`, body, { 'Content-Type': 'application/x-tar', ...headers });
      assert.equal(r.status, 200, `${name}: ${r.body}`);
      assert.match(r.body, /"aux":\{"ID":"sha256:[0-9a-f]{64}"\}/, `${name}: ${r.body}`);
      assert.equal(out(await d.docker(['run', '--rm', `bodies:${name}`, 'cat', '/g'])), 'body\n');
    }
    // platform: the host's builds, another is refused as FROM --platform is.
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    await build(['--platform', `linux/${arch}`, c]);
    const other = arch === 'arm64' ? 'amd64' : 'arm64';
    const bad = await build(['--platform', `linux/${other}`, c], true);
    assert.match(bad.stderr.toString(), new RegExp(`does not match the specified platform: wanted linux/${other}, actual: linux/${arch}`));
    assert.match(out(await d.berth(['build', '--progress', 'plain', c])), /Successfully built/);
    const badProgress = await d.berth(['build', '--progress', 'fancy', c], { allowFailure: true });
    assert.equal(badProgress.code, 125);
    // The step records are on disk: a restarted berthd takes every step from them.
    const exited = once(d.proc, 'exit');
    d.proc.kill('SIGTERM');
    await exited;
    d = await startDaemon('build', [], { dir: d.dir, config: netConfig(0) });
    assert.equal(out(await build([c])).match(/Using cache/g)?.length, 2);
  });

  test('a context past the in-memory bound (16 MiB) builds from its spill files, which go afterwards; a changed byte misses', async () => {
    const c = path.join(d.dir, 'bigctx');
    await fsp.mkdir(c, { recursive: true });
    const big = randomBytes(17 * 1024 * 1024);
    await fsp.writeFile(path.join(c, 'big.bin'), big);
    await fsp.writeFile(path.join(c, 'small.txt'), 'small\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nCOPY small.txt big.bin /in/\nRUN sha256sum /in/big.bin | cut -d" " -f1 > /sum\n');
    const sumIn = async (): Promise<string> => out(await d.docker(['run', '--rm', 'bigctx:1', 'cat', '/sum'])).trim();
    await build(['-t', 'bigctx:1', c]);
    assert.equal(await sumIn(), createHash('sha256').update(big).digest('hex'));
    assert.equal(out(await build(['-t', 'bigctx:1', c])).match(/Using cache/g)?.length, 2);
    // One byte in the middle of the spilled file, same size: COPY and the RUN after it miss.
    big[big.length >> 1] ^= 0xff;
    await fsp.writeFile(path.join(c, 'big.bin'), big);
    assert.equal(out(await build(['-t', 'bigctx:1', c])).match(/Using cache/g)?.length ?? 0, 0);
    assert.equal(await sumIn(), createHash('sha256').update(big).digest('hex'));
    const left = (await fsp.readdir(path.join(d.dataRoot, 'tmp'))).filter((n) => n.startsWith('build'));
    assert.deepEqual(left, [], 'no context or spill directory is left behind');
  });

  test('a built tag and its steps survive berthd killed with SIGKILL right after the build answered, also when a rebuild only re-tagged', async () => {
    const c = path.join(d.dir, 'killed');
    await fsp.mkdir(c, { recursive: true });
    await fsp.writeFile(path.join(c, 'f.txt'), 'kept\n');
    await fsp.writeFile(path.join(c, 'Dockerfile'), 'FROM busybox\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\nLABEL k=v\n');
    const id = (): Promise<string> => d.docker(['image', 'inspect', '--format', '{{.Id}}', 'killed:1']).then((r) => out(r).trim());
    const tagTime = (): Promise<string> => d.docker(['image', 'inspect', '--format', '{{.Metadata.LastTagTime}}', 'killed:1']).then((r) => out(r).trim());
    const killAndRestart = async (): Promise<void> => {
      const exited = once(d.proc, 'exit');
      d.proc.kill('SIGKILL');
      await exited;
      d = await startDaemon('build', [], { dir: d.dir, config: netConfig(0) });
    };
    await build(['-q', '-t', 'killed:1', c]);
    const first = await id();
    await killAndRestart();
    assert.equal(await id(), first, 'the tag written by the build is there after SIGKILL');
    const firstTagTime = await tagTime();
    // A rebuild takes every step from the cache and tags the same image again: the tag is not
    // rewritten, its LastTagTime is.
    assert.equal(out(await build(['-t', 'killed:1', c])).match(/Using cache/g)?.length, 3);
    assert.ok(await tagTime() > firstTagTime, 'LastTagTime moves on a re-tag, as dockerd\'s does');
    await killAndRestart();
    assert.equal(await id(), first);
    assert.equal(out(await build(['-t', 'killed:1', c])).match(/Using cache/g)?.length, 3, 'the step records are there after SIGKILL');
    // A changed file still misses after all that.
    await fsp.writeFile(path.join(c, 'f.txt'), 'changed\n');
    assert.equal(out(await build(['-q', '-t', 'killed:1', c])).trim() === first, false);
    assert.equal(out(await d.docker(['run', '--rm', 'killed:1', 'cat', '/g'])), 'changed\n');
  });
});
