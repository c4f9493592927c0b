import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor, type ExecResult } from '../../src/util/index.js';
import { berthBin, berthdBin, dockerBin, needsDocker, scratchDir, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, out, processesMatching, removeContainers, unixSeconds } from '../helpers/containers.js';
import { umociImage } from '../helpers/fixtures.js';
import { freePort, makeCerts, seedImage, startRegistry, type Certs, type TestRegistry } from '../helpers/registry.js';
import { Tmux } from '../helpers/tmux.js';

const PROMPT = /\/ # $/m;

const ossl = (args: string[]): Promise<ExecResult> => exec('openssl', args, { timeoutMs: 30_000 });

/** A client pair signed by `ca` (or a fresh CA of its own), valid for `days` (negative: already expired). */
async function clientCert(dir: string, name: string, ca: { cert: string; key: string } | 'own', days: number): Promise<{ cert: string; key: string }> {
  const p = (n: string) => path.join(dir, `${name}-${n}`);
  let signer = ca;
  if (signer === 'own') {
    await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', `/CN=${name}-ca`]);
    signer = { cert: p('ca.crt'), key: p('ca.key') };
  }
  await fsp.writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('key.pem'), '-out', p('client.csr'), '-subj', `/CN=${name}`]);
  await ossl(['x509', '-req', '-in', p('client.csr'), '-CA', signer.cert, '-CAkey', signer.key, '-CAcreateserial', '-out', p('cert.pem'), '-days', String(days), '-extfile', p('client.ext')]);
  return { cert: p('cert.pem'), key: p('key.pem') };
}

/** A DOCKER_CERT_PATH directory as docker expects it: ca.pem, cert.pem, key.pem. */
async function certPath(dir: string, ca: string, client?: { cert: string; key: string }): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  await fsp.copyFile(ca, path.join(dir, 'ca.pem'));
  if (client) {
    await fsp.copyFile(client.cert, path.join(dir, 'cert.pem'));
    await fsp.copyFile(client.key, path.join(dir, 'key.pem'));
  }
  return dir;
}

/** A CLI call that streams (logs -f, events): its stdout so far, waited on by pattern. */
function stream(argv: string[], args: string[], env: Record<string, string>) {
  let text = '';
  const sink = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString('utf8'); cb(); } });
  const abort = new AbortController();
  const done = exec(argv[0]!, [...argv.slice(1), ...args], { env, stdout: sink, allowFailure: true, timeoutMs: 30_000, signal: abort.signal })
    .catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
      return undefined;
    });
  return {
    text: () => text,
    done,
    stop: async () => { abort.abort(); await done; },
    waitFor: (re: RegExp) => waitFor(`${args.join(' ')} to print ${re}`, () => {
      if (re.test(text)) return text;
      throw new Error(`printed ${JSON.stringify(text.slice(-300))}`);
    }, { timeoutMs: 15_000 }),
  };
}

async function containerNames(d: TestDaemon): Promise<string[]> {
  const r = await d.request('GET', '/containers/json?all=1');
  assert.equal(r.status, 200);
  return (JSON.parse(r.body) as Array<{ Names: string[] }>).flatMap((c) => c.Names);
}

/**
 * The Engine API over TCP with mutual TLS (issue 20), from the real docker CLI and from berth:
 * every kind of endpoint (plain calls, hijacked attach and exec, long event and log streams,
 * pull progress), clients refused at the handshake, plain tcp:// refused, and fd:// sockets
 * passed by systemd-socket-activate as systemd passes them. Traffic only to 127.0.0.1.
 */
describe('the API over TCP with TLS', needsDocker, () => {
  let dir: string;
  let certs: Certs;
  let d: TestDaemon;
  let reg: TestRegistry;
  let port: number;
  let tmux: Tmux;
  let goodEnv: Record<string, string>;

  before(async () => {
    dir = await scratchDir('tls');
    certs = await makeCerts(path.join(dir, 'certs'));
    const good = path.join(dir, 'good');
    await fsp.mkdir(good);
    await fsp.copyFile(certs.clientCert, path.join(good, 'cert.pem'));
    await fsp.copyFile(certs.clientKey, path.join(good, 'key.pem'));
    await fsp.copyFile(certs.caCert, path.join(good, 'ca.pem'));
    reg = await startRegistry('tls');
    await seedImage(`oci:${(await umociImage()).layout}:v1`, `${reg.host}/umoci/busybox:v1`);
    port = await freePort();
    d = await startDaemon('tls', ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.caCert, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey], { config: { 'insecure-registries': [reg.host] } });
    await importBusybox(d);
    goodEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_CONFIG: path.join(dir, 'docker-config'),
      DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: good, TERM: 'xterm',
    };
    tmux = await Tmux.start(`berth-tls-${process.pid}`, goodEnv);
  });
  after(async () => {
    await tmux?.kill();
    await d?.stop();
    await reg?.stop();
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  const clients = {
    docker: { argv: [dockerBin] },
    berth: { argv: [process.execPath, berthBin] },
  };
  const run = (argv: string[], args: string[], env: Record<string, string>, allowFailure = false): Promise<ExecResult> =>
    exec(argv[0]!, [...argv.slice(1), ...args], { env, allowFailure, timeoutMs: 60_000 });

  for (const [cli, c] of Object.entries(clients)) {
    describe(`with ${cli}`, () => {
      test('run attaches over TLS and prints the output; version answers', async () => {
        const r = await run(c.argv, ['run', '--rm', 'busybox', 'echo', `hello-${cli}`], goodEnv);
        assert.equal(out(r), `hello-${cli}\n`);
        const v = await run(c.argv, ['version', '--format', '{{.Server.APIVersion}}'], goodEnv);
        assert.match(out(v).trim(), /^1\.\d+$/);
      });

      test('exec -it and run -it under a terminal: hijacked streams both ways', { timeout: 90_000 }, async (t) => {
        const name = `tls-${cli}-it`;
        t.after(() => removeContainers(d, name));
        const w = await tmux.run([...c.argv, 'run', '-it', '--name', name, 'busybox', 'sh']);
        await tmux.waitFor(w, PROMPT);
        await tmux.line(w, 'echo $((6*7))-run');
        await tmux.waitFor(w, /^42-run\r?$/m);
        const e = await tmux.run([...c.argv, 'exec', '-it', name, 'sh']);
        await tmux.waitFor(e, PROMPT);
        await tmux.line(e, 'echo $((7*8))-exec; exit 3');
        await tmux.waitFor(e, /^56-exec\r?$/m);
        await tmux.waitFor(e, /^\[exit 3\]$/m);
        await tmux.line(w, 'exit');
        await tmux.waitFor(w, /^\[exit 0\]$/m);
      });

      test('logs -f follows over TLS until the container ends', async (t) => {
        const name = `tls-${cli}-logs`;
        t.after(() => removeContainers(d, name));
        // `stop` ends it (its TERM trap prints the last line): an exec that made the container
        // exit would race its own end against the container's (and be killed, 137).
        await run(c.argv, ['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'trap "echo second; exit 0" TERM; echo first; while :; do sleep 0.1; done'], goodEnv);
        const logs = stream(c.argv, ['logs', '-f', name], goodEnv);
        await logs.waitFor(/^first\n$/);
        await run(c.argv, ['stop', name], goodEnv);
        const r = await logs.done;
        assert.equal(r?.code, 0);
        assert.equal(logs.text(), 'first\nsecond\n');
      });

      test('events streams over TLS: past events with --since, then live ones', async (t) => {
        const name = `tls-${cli}-events`;
        t.after(() => removeContainers(d, name));
        const since = unixSeconds(Date.now() - 1000);
        await d.docker(['create', '--name', name, 'busybox', 'true']);
        const ev = stream(c.argv, ['events', '--since', since, '--filter', `container=${name}`, '--format', '{{.Action}} {{.Actor.Attributes.name}}'], goodEnv);
        t.after(() => ev.stop());
        await ev.waitFor(new RegExp(`^create ${name}$`, 'm'));
        await d.docker(['start', name]);
        await ev.waitFor(new RegExp(`^start ${name}$`, 'm'));
        await ev.waitFor(new RegExp(`^die ${name}$`, 'm'));
      });

      test('pull over TLS streams docker\'s progress', async () => {
        const ref = `${reg.host}/umoci/busybox:v1`;
        await d.request('DELETE', `/images/${encodeURIComponent(ref)}?force=1`);
        const r = await run(c.argv, ['pull', ref], goodEnv);
        const text = out(r);
        assert.match(text, /^v1: Pulling from umoci\/busybox$/m);
        assert.match(text, /^[0-9a-f]{12}: Pull complete$/m);
        assert.match(text, new RegExp(`^Status: Downloaded newer image for ${ref.replace(/[.]/g, '\\.')}$`, 'm'));
      });
    });
  }

  describe('clients refused at the handshake, nothing created', () => {
    // Go's client sends a certificate only when its issuer is among the CAs the server names,
    // so with another CA's docker sends none; Node's client sends it and is refused for it. A
    // certificate that fails verification ends the connection as the handshake completes,
    // before a byte of HTTP is read (Node checks it there; Go then sees a reset).
    const cases: Array<{ name: string; make: () => Promise<string>; docker: RegExp; berth: RegExp }> = [
      { name: 'no certificate', make: () => certPath(path.join(dir, 'none'), certs.caCert), docker: /remote error: tls: certificate required/, berth: /remote error: tls: certificate required/ },
      {
        name: 'a certificate from another CA', make: async () => certPath(path.join(dir, 'other'), certs.caCert, await clientCert(dir, 'other', 'own', 2)),
        docker: /remote error: tls: certificate required/, berth: /^error during connect: Head "https:\/\/127\.0\.0\.1:\d+\/_ping": EOF\n$/,
      },
      {
        name: 'an expired certificate', make: async () => certPath(path.join(dir, 'expired'), certs.caCert, await clientCert(dir, 'expired', { cert: certs.caCert, key: path.join(certs.dir, 'ca.key') }, -1)),
        docker: /^error during connect: Head "https:\/\/127\.0\.0\.1:\d+\/_ping": (EOF|read tcp [\d.:]+->[\d.:]+: read: connection reset by peer)\n$/,
        berth: /^error during connect: Head "https:\/\/127\.0\.0\.1:\d+\/_ping": EOF\n$/,
      },
    ];
    for (const k of cases) {
      test(k.name, async () => {
        const env = { ...goodEnv, DOCKER_CERT_PATH: await k.make() };
        const name = `tls-refused-${createHash('sha256').update(k.name).digest('hex').slice(0, 8)}`;
        const dr = await run(clients.docker.argv, ['create', '--name', name, 'busybox', 'true'], env, true);
        assert.equal(dr.code, 1, dr.stderr);
        assert.match(dr.stderr, k.docker);
        const br = await run(clients.berth.argv, ['create', '--name', `${name}-b`, 'busybox', 'true'], env, true);
        assert.equal(br.code, 1, br.stderr);
        assert.match(br.stderr, k.berth);
        assert.deepEqual((await containerNames(d)).filter((n) => n.startsWith('/tls-refused')), []);
      });
    }

    test('a plain-HTTP client on the TLS port gets no answer from the API', async () => {
      const env = { ...goodEnv, DOCKER_TLS_VERIFY: '' };
      const r = await run(clients.docker.argv, ['create', '--name', 'tls-refused-plain', 'busybox', 'true'], env, true);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^error during connect: /);
      assert.deepEqual((await containerNames(d)).filter((n) => n === '/tls-refused-plain'), []);
    });
  });

  test('berth with -H and the TLS flags instead of the environment', async () => {
    const env = { PATH: goodEnv.PATH!, HOME: dir, DOCKER_CONFIG: path.join(dir, 'flags-config') };
    const flags = ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.caCert, '--tlscert', certs.clientCert, '--tlskey', certs.clientKey];
    const r = await run(clients.berth.argv, [...flags, 'run', '--rm', 'busybox', 'echo', 'via-flags'], env);
    assert.equal(out(r), 'via-flags\n');
    // Without the client certificate the daemon refuses the same call.
    const refused = await run(clients.berth.argv, [...flags.slice(0, 5), 'ps'], env, true);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /remote error: tls: certificate required/);
  });

  describe('docker contexts', () => {
    test('a context made by docker context create serves docker and berth', async () => {
      const env = { PATH: goodEnv.PATH!, HOME: dir, DOCKER_CONFIG: path.join(dir, 'ctx-config') };
      await run(clients.docker.argv, ['context', 'create', 'tls-remote', '--docker', `host=tcp://127.0.0.1:${port},ca=${certs.caCert},cert=${certs.clientCert},key=${certs.clientKey}`], env);
      const dr = await run(clients.docker.argv, ['--context', 'tls-remote', 'run', '--rm', 'busybox', 'echo', 'via-docker-context'], env);
      assert.equal(out(dr), 'via-docker-context\n');
      const br = await run(clients.berth.argv, ['--context', 'tls-remote', 'run', '--rm', 'busybox', 'echo', 'via-berth-context'], env);
      assert.equal(out(br), 'via-berth-context\n');
      const viaEnv = await run(clients.berth.argv, ['run', '--rm', 'busybox', 'echo', 'via-DOCKER_CONTEXT'], { ...env, DOCKER_CONTEXT: 'tls-remote' });
      assert.equal(out(viaEnv), 'via-DOCKER_CONTEXT\n');
    });
  });
});

describe('berthd listeners', () => {
  test('plain tcp:// is refused at start-up, saying why, unless --tls=false', async () => {
    const dir = await scratchDir('tls-plain');
    try {
      await fsp.writeFile(path.join(dir, 'daemon.json'), '{}');
      const port = await freePort();
      const args = ['--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'pid'), '--config-file', path.join(dir, 'daemon.json'), '-H', `tcp://127.0.0.1:${port}`];
      const r = await exec(process.execPath, [berthdBin, ...args], { allowFailure: true, timeoutMs: 30_000 });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `berthd: invalid host "tcp://127.0.0.1:${port}": Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network. Pass --tlsverify with --tlscacert, --tlscert and --tlskey, or override this by explicitly specifying '--tls=false' or '--tlsverify=false'\n`);
      await assert.rejects(fsp.stat(path.join(dir, 'root')), { code: 'ENOENT' });
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });

  test('with --tls=false it serves plain HTTP with dockerd\'s warnings', needsDocker, async (t) => {
    const port = await freePort();
    const d = await startDaemon('tls-false', ['-H', `tcp://127.0.0.1:${port}`, '--tls=false']);
    t.after(() => d.stop());
    assert.match(d.log(), /Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network\./);
    const r = await exec(dockerBin, ['version', '--format', '{{.Server.Os}}'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'dc'), DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    assert.equal(out(r), 'linux\n');
  });

  test('fd:// serves the socket systemd passes (systemd-socket-activate: fd 3, LISTEN_FDS, LISTEN_PID), with TLS', needsDocker, async (t) => {
    const dir = await scratchDir('tls-fd');
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    const certs = await makeCerts(path.join(dir, 'certs'));
    const port = await freePort();
    const good = await certPath(path.join(dir, 'good'), certs.caCert, { cert: certs.clientCert, key: certs.clientKey });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_CONFIG: path.join(dir, 'dc'), DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: good };
    // systemd-socket-activate binds the port and, like systemd, starts berthd on the first
    // connection: this client's, which waits in the listen backlog meanwhile.
    const waitForPort = waitFor(`systemd-socket-activate to bind 127.0.0.1:${port}`, () => new Promise<true>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', reject);
    }), { timeoutMs: 15_000 });
    const daemon = startDaemon('tls-fd', ['-H', 'fd://', '--tlsverify', '--tlscacert', certs.caCert, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey], {
      wrapper: ['systemd-socket-activate', '-l', `127.0.0.1:${port}`],
    });
    await waitForPort;
    const d = await daemon;
    t.after(() => d.stop());
    // The UNIX socket answers /_ping before the fd listener is up and its line is logged.
    await waitFor('berthd to log its fd listener', () => (/API listen on fd 3/.test(d.log()) ? true : undefined), { timeoutMs: 15_000 });
    assert.doesNotMatch(d.log(), /LISTEN_FDS/);
    await importBusybox(d);
    const r = await exec(dockerBin, ['run', '--rm', 'busybox', 'echo', 'activated'], { env, timeoutMs: 60_000 });
    assert.equal(out(r), 'activated\n');
    await exec(process.execPath, [berthBin, 'run', '-d', '--name', 'tls-fd-sleeper', 'busybox', 'sleep', '60'], { env, timeoutMs: 60_000 });
    const b = await exec(process.execPath, [berthBin, 'ps', '--format', '{{.Names}}'], { env, timeoutMs: 60_000 });
    assert.equal(out(b), 'tls-fd-sleeper\n');
    // berthd marked the inherited socket close-on-exec: the container's monitor (conmon,
    // which outlives berthd) does not hold the API socket.
    const socket = await fsp.readlink(`/proc/${d.proc.pid}/fd/3`);
    assert.match(socket, /^socket:\[\d+\]$/);
    const monitors = (await processesMatching('conmon')).filter((p) => p.cmdline.startsWith('/usr/bin/conmon') && p.cmdline.includes(d.dir));
    assert.equal(monitors.length, 1);
    const held = await Promise.all((await fsp.readdir(`/proc/${monitors[0]!.pid}/fd`)).map((fd) => fsp.readlink(`/proc/${monitors[0]!.pid}/fd/${fd}`).catch(() => '')));
    assert.equal(held.includes(socket), false);
  });

  test('shutdown drops hijacked TLS connections: berthd stops at once with an attach open', needsDocker, async (t) => {
    const dir = await scratchDir('tls-stop');
    t.after(() => fsp.rm(dir, { recursive: true, force: true }));
    const certs = await makeCerts(path.join(dir, 'certs'));
    const port = await freePort();
    const d = await startDaemon('tls-stop', ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', certs.caCert, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey]);
    t.after(() => d.stop());
    await importBusybox(d);
    const good = await certPath(path.join(dir, 'good'), certs.caCert, { cert: certs.clientCert, key: certs.clientKey });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_CONFIG: path.join(dir, 'dc'), DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: good };
    const attached = stream([dockerBin], ['run', '-i', '--name', 'tls-stop-attached', 'busybox', 'sh', '-c', 'echo up; exec sleep 60'], env);
    t.after(() => attached.stop());
    await attached.waitFor(/^up\n$/);
    const exited = new Promise<number | null>((resolve) => d.proc.once('exit', (code) => resolve(code)));
    d.proc.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(d.log(), /"msg":"stopped"/);
    assert.doesNotMatch(d.log(), /shutdown did not finish in time/);
    // The client saw its stream end rather than hang.
    await attached.done;
  });

  test('fd:// without socket activation fails as dockerd does', async () => {
    const dir = await scratchDir('tls-nofd');
    try {
      await fsp.writeFile(path.join(dir, 'daemon.json'), '{}');
      const args = ['--data-root', path.join(dir, 'root'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'pid'), '--config-file', path.join(dir, 'daemon.json'), '-H', 'fd://', '--certs-dir', path.join(dir, 'certs.d')];
      const r = await exec(process.execPath, [berthdBin, ...args], { allowFailure: true, timeoutMs: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LISTEN_FDS: '1' } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no sockets found via socket activation: make sure the service was started by systemd/);
      await assert.rejects(fsp.stat(path.join(dir, 'root')), { code: 'ENOENT' }, 'refused before the daemon started');
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  });
});
