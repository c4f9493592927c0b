import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { Socket } from 'node:net';
import { existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { berthdBin, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { busyboxRootfsTar } from '../helpers/fixtures.js';
import { importBusybox, out } from '../helpers/containers.js';

describe('berthd: socket, API versions, errors, events', needsDocker, () => {
  let d: TestDaemon;
  before(async () => { d = await startDaemon('daemon'); });
  after(async () => { await d?.stop(); });

  test('the socket is 0660 and never world-writable', () => {
    const st = statSync(d.socket);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('/info tells the truth about this host, and docker info prints exactly its warnings', async () => {
    const info = JSON.parse((await d.request('GET', '/info')).body) as Record<string, unknown>;
    const cg = (p: string) => existsSync(path.join('/sys/fs/cgroup', p));
    if (!cg('cgroup.controllers')) {
      // cgroup v1: each flag is a file's presence (dockerd's pkg/sysinfo).
      assert.deepEqual(
        { SwapLimit: info.SwapLimit, OomKillDisable: info.OomKillDisable, CPUShares: info.CPUShares, CpuCfsQuota: info.CpuCfsQuota, CPUSet: info.CPUSet, PidsLimit: info.PidsLimit, KernelMemoryTCP: info.KernelMemoryTCP },
        {
          SwapLimit: cg('memory/memory.memsw.limit_in_bytes'), OomKillDisable: cg('memory/memory.oom_control'), CPUShares: cg('cpu/cpu.shares'),
          CpuCfsQuota: cg('cpu/cpu.cfs_quota_us'), CPUSet: cg('cpuset'), PidsLimit: cg('pids'), KernelMemoryTCP: cg('memory/memory.kmem.tcp.limit_in_bytes'),
        },
      );
    }
    assert.equal(info.IPv4Forwarding, readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1');
    const warnings = (info.Warnings as string[] | null) ?? [];
    // dockerd (20.10.4+) does not warn about a missing blkio weight on cgroup v1: nobody can act on it.
    assert.ok(!warnings.some((w) => w.includes('blkio weight')), warnings.join('\n'));
    const r = await d.docker(['info']);
    assert.deepEqual(r.stderr.split('\n').filter((l) => l.startsWith('WARNING:')), warnings);
  });

  test('/_ping answers GET and HEAD with the headers the docker CLI reads', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await d.request(method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
      assert.equal(r.headers['api-version'], '1.50');
      assert.equal(r.headers['ostype'], 'linux');
      assert.equal(r.headers['docker-experimental'], 'false');
      assert.equal(r.headers['builder-version'], '1');
    }
  });

  test('every endpoint is served unversioned and under each version; others are refused', async () => {
    for (const v of ['', '/v1.24', '/v1.38', '/v1.41', '/v1.50']) {
      const r = await d.request('GET', `${v}/version`);
      assert.equal(r.status, 200, `${v}/version`);
      const body = JSON.parse(r.body) as { ApiVersion: string; MinAPIVersion: string };
      assert.equal(body.ApiVersion, '1.50');
      assert.equal(body.MinAPIVersion, '1.24');
    }
    const tooNew = await d.request('GET', '/v1.99/version');
    assert.equal(tooNew.status, 400);
    assert.equal(JSON.parse(tooNew.body).message, 'client version 1.99 is too new. Maximum supported API version is 1.50');
    const tooOld = await d.request('GET', '/v1.12/info');
    assert.equal(tooOld.status, 400);
    assert.match(JSON.parse(tooOld.body).message, /client version 1.12 is too old/);
    const v124 = await d.request('GET', '/v1.24/images/json');
    assert.equal(v124.status, 200);
  });

  test('docker version negotiates API 1.50 with berthd', async () => {
    const r = await d.docker(['version', '--format', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Client.APIVersion}}']);
    assert.equal(r.stdout.toString().trim(), '1.50 1.24 1.50');
  });

  test('docker info shows what berth knows', async () => {
    const r = await d.docker(['info', '--format', '{{json .}}']);
    const info = JSON.parse(r.stdout.toString()) as Record<string, unknown>;
    assert.equal(info.Driver, 'overlay2');
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.equal(info.OSType, 'linux');
    assert.equal(info.CgroupDriver, 'cgroupfs');
    assert.ok(['1', '2'].includes(info.CgroupVersion as string));
    assert.equal(info.DefaultRuntime, 'runc');
    assert.ok((info.Runtimes as Record<string, unknown>).runc);
    assert.equal(info.InitBinary, 'tini');
    assert.equal(typeof info.NCPU, 'number');
    assert.ok((info.MemTotal as number) > 0);
    assert.ok(((info.DriverStatus as string[][]).find((p) => p[0] === 'Backing Filesystem')?.[1] ?? '').length > 0);
    const text = await d.docker(['info']);
    assert.match(text.stdout.toString(), /Storage Driver: overlay2/);
    assert.match(text.stdout.toString(), /Docker Root Dir: /);
  });

  test('malformed requests get a 400 naming what is wrong; unknown paths a 404', async () => {
    const badFilter = await d.request('GET', '/images/json?filters=%7Bnot-json');
    assert.equal(badFilter.status, 400);
    assert.match(JSON.parse(badFilter.body).message, /invalid filter/);
    const badName = await d.request('GET', '/images/json?filters=' + encodeURIComponent('{"nosuch":["x"]}'));
    assert.equal(badName.status, 400);
    assert.equal(JSON.parse(badName.body).message, "invalid filter 'nosuch'");
    const badTag = await d.request('POST', '/images/nosuch/tag?repo=UPPER');
    assert.equal(badTag.status, 404);
    const badRepo = await d.request('POST', '/images/create?fromSrc=-&repo=Bad%20Name', 'x');
    assert.equal(badRepo.status, 400);
    assert.match(JSON.parse(badRepo.body).message, /invalid reference format/);
    const notFound = await d.request('GET', '/nosuch/endpoint');
    assert.equal(notFound.status, 404);
    assert.equal(JSON.parse(notFound.body).message, 'page not found');
    const ping = await d.request('GET', '/_ping');
    assert.equal(ping.status, 200, 'the daemon is still healthy');
  });

  test('events: image events stream live and replay with since/until and filters', async () => {
    const start = Math.floor(Date.now() / 1000) - 1;
    const rootfs = await busyboxRootfsTar();
    const id = (await d.docker(['import', rootfs, 'evt:one'])).stdout.toString().trim();
    await d.docker(['tag', 'evt:one', 'evt:two']);
    await d.docker(['rmi', 'evt:two']);
    const end = Math.floor(Date.now() / 1000) + 1;
    const r = await d.docker(['events', '--since', String(start), '--until', String(end), '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}']);
    const lines = r.stdout.toString().trim().split('\n');
    assert.deepEqual(lines, ['image import evt:one', 'image tag evt:two', 'image untag evt:two']);
    const onlyTag = await d.docker(['events', '--since', String(start), '--until', String(end), '--filter', 'event=tag', '--format', '{{.Action}} {{.ID}}']);
    assert.equal(onlyTag.stdout.toString().trim(), `tag ${id}`);
  });

  test('a second berthd on the same data-root exits with a clear message', async () => {
    const p = spawn(process.execPath, [berthdBin, '--data-root', d.dataRoot, '--exec-root', path.join(d.dir, 'exec2'), '-H', `unix://${path.join(d.dir, 'second.sock')}`, '--pidfile', path.join(d.dir, 'second.pid'), '--config-file', path.join(d.dir, 'daemon.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const code = await new Promise<number | null>((resolve) => p.on('close', (c) => resolve(c)));
    assert.equal(code, 1);
    assert.match(stderr, /another berthd is already running with data-root/);
    assert.equal(existsSync(path.join(d.dir, 'second.sock')), false);
  });
});

describe('berthd lifecycle', needsDocker, () => {
  test('SIGTERM shuts down cleanly: socket and pidfile removed, exit 0', async () => {
    const d = await startDaemon('lifecycle');
    const pidfile = path.join(d.dir, 'berthd.pid');
    assert.equal((await fsp.readFile(pidfile, 'utf8')).trim(), String(d.proc.pid));
    const exited = new Promise<number | null>((resolve) => d.proc.once('exit', (c) => resolve(c)));
    d.proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(d.socket), false);
    assert.equal(existsSync(pidfile), false);
    await d.stop();
  });

  // Regression: an attach stream still open kept the server's close waiting forever: berthd
  // logged "shutting down" and never exited.
  test('SIGTERM with an attach stream and a plain log stream open still exits 0 at once', async () => {
    const d = await startDaemon('lifecycle-attach');
    try {
      await importBusybox(d);
      const id = out(await d.docker(['run', '-d', 'busybox', 'sleep', '300'])).trim();
      const upgraded = await new Promise<Socket>((resolve, reject) => {
        const req = http.request({ socketPath: d.socket, method: 'POST', path: `/containers/${id}/attach?stream=1&stdout=1&stderr=1`, headers: { Connection: 'Upgrade', Upgrade: 'tcp' } });
        req.on('upgrade', (_res, socket) => resolve(socket as Socket));
        req.on('error', reject);
        req.end();
      });
      const follow = http.request({ socketPath: d.socket, method: 'GET', path: `/containers/${id}/logs?stdout=1&follow=1` });
      follow.on('error', () => undefined);
      follow.end();
      const exited = new Promise<number | null>((resolve) => d.proc.once('exit', (c) => resolve(c)));
      d.proc.kill('SIGTERM');
      assert.equal(await exited, 0);
      upgraded.destroy();
    } finally {
      await d.stop();
    }
  });

  // The quick start on a fresh machine printed "IPv4 forwarding is disabled. Networking will not
  // work." at the first `docker run`, then netavark turned forwarding on: the warning was false.
  test('berthd turns IPv4 forwarding on at start (dockerd\'s ip-forward); "ip-forward": false leaves it off', async () => {
    const fwd = '/proc/sys/net/ipv4/ip_forward';
    const before = readFileSync(fwd, 'utf8');
    try {
      await fsp.writeFile(fwd, '0\n');
      const off = await startDaemon('ipfwd-off', [], { config: { 'ip-forward': false } });
      try {
        // Another engine on the machine (netavark under any berthd) may turn it on meanwhile:
        // what this berthd did is read from its log, and /info must agree with itself.
        assert.doesNotMatch(off.log(), /IPv4 forwarding turned on/);
        const info = JSON.parse((await off.request('GET', '/info')).body) as { IPv4Forwarding: boolean; Warnings: string[] | null };
        assert.equal((info.Warnings ?? []).includes('WARNING: IPv4 forwarding is disabled'), !info.IPv4Forwarding);
      } finally {
        await off.stop();
      }
      await fsp.writeFile(fwd, '0\n');
      const on = await startDaemon('ipfwd-on');
      try {
        assert.equal(readFileSync(fwd, 'utf8').trim(), '1');
        const info = JSON.parse((await on.request('GET', '/info')).body) as { IPv4Forwarding: boolean; Warnings: string[] | null };
        assert.equal(info.IPv4Forwarding, true);
        assert.ok(!(info.Warnings ?? []).some((w) => w.includes('IPv4 forwarding')), String(info.Warnings));
        await importBusybox(on);
        const r = await on.docker(['create', 'busybox', 'true']);
        assert.equal(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /IPv4 forwarding/);
      } finally {
        await on.stop();
      }
    } finally {
      await fsp.writeFile(fwd, before);
    }
  });

  test('a bad daemon.json is refused with the key named', async () => {
    const d = await startDaemon('config-ok');
    await d.stop();
    const dir = await fsp.mkdtemp('/tmp/berth-cfg-');
    try {
      await fsp.writeFile(path.join(dir, 'daemon.json'), JSON.stringify({ 'max-concurrent-downloads': 'three' }));
      const p = spawn(process.execPath, [berthdBin, '--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '-H', `unix://${dir}/s.sock`, '--config-file', path.join(dir, 'daemon.json'), '--pidfile', path.join(dir, 'p')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      p.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
      const code = await new Promise<number | null>((resolve) => p.on('close', (c) => resolve(c)));
      assert.equal(code, 1);
      assert.match(stderr, /"max-concurrent-downloads" must be a number/);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
