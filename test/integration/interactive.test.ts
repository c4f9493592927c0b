import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { exec, waitFor } from '../../src/util/index.js';
import { berthBin, dockerBin, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { demux, importBusybox, inspectContainer, out, processesMatching, removeContainers, unixSeconds, waitForStatus } from '../helpers/containers.js';
import { Tmux } from '../helpers/tmux.js';

const PROMPT = /\/ # $/m;

/**
 * People at a terminal and tools that stream, against berthd, from the real docker CLI and
 * from berth: `run -it`, `start -ai`, `attach`, `exec -it` under a real pty (tmux), with line
 * editing, sizes and resizes, Ctrl-C, detach keys and reattach; pipes with binary data and a
 * 100 MB stream checked by hash; exec's flags, exit codes, refusals, events and inspect.
 */
describe('interactive: terminals, pipes and exec', needsDocker, () => {
  let d: TestDaemon;
  let tmux: Tmux;
  before(async () => {
    d = await startDaemon('interactive');
    await importBusybox(d);
    tmux = await Tmux.start(`berth-interactive-${process.pid}`, {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, BERTH_HOST: d.host, TERM: 'xterm',
    });
  });
  after(async () => {
    await tmux?.kill();
    await d?.stop();
  });

  const clients = {
    docker: { argv: [dockerBin], run: (args: string[], o?: Parameters<TestDaemon['docker']>[1]) => d.docker(args, o) },
    berth: { argv: [process.execPath, berthBin], run: (args: string[], o?: Parameters<TestDaemon['berth']>[1]) => d.berth(args, o) },
  };

  for (const [cli, c] of Object.entries(clients)) {
    describe(`with ${cli}`, () => {
      test('run -it: line editing, the size and its changes, Ctrl-C; detach with Ctrl-P Ctrl-Q and reattach', { timeout: 90_000 }, async (t) => {
        const name = `${cli}-it`;
        t.after(() => removeContainers(d, name));
        const w = await tmux.run([...c.argv, 'run', '-it', '--name', name, 'busybox', 'sh']);
        await tmux.waitFor(w, PROMPT);
        // Raw mode on the client, line editing by the shell inside: a backspace edits the line.
        await tmux.type(w, 'echo abcX');
        await tmux.keys(w, 'BSpace');
        await tmux.line(w, 'd-$((40+2))');
        await tmux.waitFor(w, /^abcd-42\r?$/m);
        await tmux.line(w, 'stty size');
        await tmux.waitFor(w, /^24 80\r?$/m);
        await tmux.resize(w, 100, 30);
        await waitForPtySize(w, '30 100');
        // Ctrl-C reaches the foreground process inside, not the CLI.
        // A Ctrl-C that comes before the shell has made sleep the terminal's foreground
        // process goes to the shell (which ignores it): wait for sleep itself to run. Busybox's
        // ash sets the foreground group in the child before its exec, so once the process is
        // `sleep 1717` the Ctrl-C is its.
        await tmux.line(w, 'sleep 1717');
        await tmux.waitFor(w, /sleep 1717\r?\n(?!.*\/ # )/);
        await waitFor('sleep to run in the container', async () => ((await processesMatching('sleep\u00001717')).length > 0 ? true : undefined), { timeoutMs: 15_000 });
        await tmux.keys(w, 'C-c');
        await tmux.line(w, 'echo rc=$?');
        await tmux.waitFor(w, /^rc=130\r?$/m);
        // Detach: the CLI ends with 0 and the container runs on.
        await tmux.keys(w, 'C-p');
        await tmux.keys(w, 'C-q');
        await tmux.waitFor(w, /\[exit 0\]/);
        assert.equal((await inspectContainer(d, name)).State.Running, true);
        // Reattach and end the shell: attach exits with its code.
        const w2 = await tmux.run([...c.argv, 'attach', name]);
        await tmux.line(w2, 'echo back-$((2*3))');
        await tmux.waitFor(w2, /^back-6\r?$/m);
        await tmux.line(w2, 'exit 3');
        await tmux.waitFor(w2, /\[exit 3\]/);
        assert.equal((await waitForStatus(d, name, 'exited')).State.ExitCode, 3);
      });

      test('start -ai with --detach-keys; then attach with the default keys', { timeout: 60_000 }, async (t) => {
        const name = `${cli}-ai`;
        t.after(() => removeContainers(d, name));
        await c.run(['create', '-it', '--name', name, 'busybox', 'sh']);
        const w = await tmux.run([...c.argv, 'start', '-ai', '--detach-keys', 'ctrl-x,ctrl-y', name]);
        await tmux.line(w, 'echo started-$((1+1))');
        await tmux.waitFor(w, /^started-2\r?$/m);
        // Ctrl-P alone is just a key now: it must reach the shell and not detach.
        await tmux.keys(w, 'C-x');
        await tmux.keys(w, 'C-y');
        await tmux.waitFor(w, /\[exit 0\]/);
        assert.equal((await inspectContainer(d, name)).State.Running, true);
        const w2 = await tmux.run([...c.argv, 'attach', name]);
        await tmux.line(w2, 'exit 4');
        await tmux.waitFor(w2, /\[exit 4\]/);
      });

      test('exec -it: a shell with the terminal\'s size, resized, and its exit code', { timeout: 60_000 }, async (t) => {
        const id = out(await c.run(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
        t.after(() => removeContainers(d, id));
        const w = await tmux.run([...c.argv, 'exec', '-it', id, 'sh'], { cols: 90, rows: 20 });
        await tmux.waitFor(w, PROMPT);
        await tmux.line(w, 'stty size');
        await tmux.waitFor(w, /^20 90\r?$/m);
        await tmux.resize(w, 70, 15);
        await waitForPtySize(w, '15 70');
        await tmux.line(w, 'echo tty=$(tty)');
        await tmux.waitFor(w, /^tty=\/dev\/pts\/\d+\r?$/m);
        await tmux.line(w, 'exit 5');
        await tmux.waitFor(w, /\[exit 5\]/);
      });

      test('run -i pipes stdin: EOF ends the reader and the exit code is the container\'s', async () => {
        const r = await c.run(['run', '-i', '--rm', 'busybox', 'sh', '-c', 'cat; echo "<eof>"; exit 7'], { input: 'piped line\n', allowFailure: true });
        assert.equal(r.code, 7);
        assert.equal(out(r), 'piped line\n<eof>\n');
        const e = await c.run(['run', '--rm', 'busybox', 'sh', '-c', 'echo to-err >&2'], { allowFailure: true });
        assert.equal(e.stderr, 'to-err\n');
      });

      test('binary data and a 100 MB stream arrive intact (hashed at both ends)', { timeout: 240_000 }, async () => {
        // Every byte value, control keys (Ctrl-P Ctrl-Q, Ctrl-C, CR LF) included: no TTY, no translation.
        // 300 KB in one burst, five times: the end of such a burst, still queued when conmon
        // hangs up after stdin's EOF, used to be cut (ADR 6 addendum: libuv and SEQPACKET).
        for (let round = 0; round < 5; round++) {
          const bin = Buffer.concat([Buffer.from([0, 1, 2, 0xff, 0xfe, 13, 10, 16, 17, 3, 4]), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
          const r = await c.run(['run', '-i', '--rm', 'busybox', 'cat'], { input: bin });
          assert.equal(r.stdout.length, bin.length, `round ${round}: every byte back`);
          assert.ok(r.stdout.equals(bin), `round ${round}: binary round trip`);
        }
        const total = 100 * 1024 * 1024;
        const sent = createHash('sha256');
        const received = createHash('sha256');
        let receivedBytes = 0;
        const source = Readable.from((function* () {
          for (let off = 0; off < total; off += 1 << 20) {
            const chunk = randomBytes(1 << 20);
            sent.update(chunk);
            yield chunk;
          }
        })());
        const sink = new Writable({ write(chunk: Buffer, _e, cb) { received.update(chunk); receivedBytes += chunk.length; cb(); } });
        const argv = cli === 'docker' ? [dockerBin] : [process.execPath, berthBin];
        const res = await exec(argv[0]!, [...argv.slice(1), 'run', '-i', '--rm', 'busybox', 'cat'], {
          env: { PATH: process.env.PATH ?? '', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, BERTH_HOST: d.host },
          input: source, stdout: sink, timeoutMs: 200_000,
        });
        assert.equal(res.code, 0);
        assert.equal(receivedBytes, total);
        assert.equal(received.digest('hex'), sent.digest('hex'));
      });

      test('exec: -u -w -e --env-file --privileged, -i with a pipe, exit codes, -d', async (t) => {
        const id = out(await c.run(['run', '-d', '-e', 'FROMRUN=1', 'busybox', 'sleep', '1000'])).trim();
        t.after(() => removeContainers(d, id));
        const envFile = path.join(d.dir, `${cli}-exec.env`);
        await fsp.writeFile(envFile, '# comment\nFROMFILE=file\n');
        const r = await c.run(['exec', '-u', '1000:1001', '-w', '/tmp', '-e', 'X=y', '--env-file', envFile, id, 'sh', '-c', 'echo "$(id -u):$(id -g) $(pwd) $X $FROMFILE $FROMRUN"']);
        assert.equal(out(r), '1000:1001 /tmp y file 1\n');
        const caps = async (extra: string[]) => out(await c.run(['exec', ...extra, id, 'sh', '-c', 'grep CapEff /proc/self/status'])).trim();
        assert.notEqual(await caps(['--privileged']), await caps([]));
        const piped = await c.run(['exec', '-i', id, 'sh', '-c', 'tr a-z A-Z'], { input: 'shout\n' });
        assert.equal(out(piped), 'SHOUT\n');
        const failed = await c.run(['exec', id, 'sh', '-c', 'exit 42'], { allowFailure: true });
        assert.equal(failed.code, 42);
        // dockerd 20.10: an exec of a missing binary is 126 (127 is `run`'s), with runc's words on stdout.
        const missing = await c.run(['exec', id, 'no-such-binary'], { allowFailure: true });
        assert.equal(missing.code, 126);
        assert.match(out(missing), /^OCI runtime exec failed: .*exec: "no-such-binary": executable file not found in \$PATH: unknown\r?\n$/);
        assert.equal((JSON.parse((await d.request('GET', `/exec/${(await inspectContainer(d, id) as unknown as { ExecIDs: string[] }).ExecIDs.at(-1)}/json`)).body) as { ExitCode: number }).ExitCode, 126);
        const detached = await c.run(['exec', '-d', id, 'sh', '-c', 'echo detached > /tmp/detached']);
        assert.equal(out(detached), '');
        await waitForFile(c, id, '/tmp/detached', 'detached\n');
      });

      test('exec -it: the detachKeys of the client\'s config.json detach it; the shell keeps running', { timeout: 60_000 }, async (t) => {
        const id = out(await c.run(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
        t.after(() => removeContainers(d, id));
        const configFile = path.join(d.dir, 'docker-config', 'config.json');
        await fsp.mkdir(path.dirname(configFile), { recursive: true });
        await fsp.writeFile(configFile, JSON.stringify({ detachKeys: 'ctrl-x,x' }));
        t.after(() => fsp.rm(configFile, { force: true }));
        const w = await tmux.run([...c.argv, 'exec', '-it', id, 'sh']);
        await tmux.waitFor(w, PROMPT);
        await waitForShell(w);
        await tmux.keys(w, 'C-x', 'x');
        await tmux.waitFor(w, /read escape sequence[\s\S]*\[exit \d+\]/);
        const execs = (await inspectContainer(d, id) as unknown as { ExecIDs: string[] }).ExecIDs;
        const shell = JSON.parse((await d.request('GET', `/exec/${execs[0]}/json`)).body) as { Running: boolean; DetachKeys: string };
        assert.equal(shell.DetachKeys, 'ctrl-x,x');
        assert.equal(shell.Running, true, 'detaching leaves the shell running');
      });

      test('exec into a stopped or paused container is refused with docker\'s words', async (t) => {
        const id = out(await c.run(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
        t.after(() => removeContainers(d, id));
        await c.run(['pause', id]);
        const paused = await c.run(['exec', id, 'true'], { allowFailure: true });
        assert.equal(paused.code, 1);
        assert.equal(paused.stderr, `Error response from daemon: Container ${id} is paused, unpause the container before exec\n`);
        await c.run(['unpause', id]);
        await c.run(['kill', id]);
        await waitForStatus(d, id, 'exited');
        const stopped = await c.run(['exec', id, 'true'], { allowFailure: true });
        assert.equal(stopped.code, 1);
        assert.equal(stopped.stderr, `Error response from daemon: container ${id} is not running\n`);
        const noCtr = await c.run(['exec', `${cli}-nosuch`, 'true'], { allowFailure: true });
        assert.equal(noCtr.stderr, `Error response from daemon: No such container: ${cli}-nosuch\n`);
      });
    });
  }

  /**
   * The resize travels CLI → berthd → conmon while the next keys travel on the attach
   * stream: a command typed right after the resize may run before it lands (with dockerd
   * too). So ask again, each time with a fresh marker, until the pty shows the size.
   */
  async function waitForPtySize(w: string, size: string): Promise<void> {
    const { waitFor } = await import('../../src/util/index.js');
    let round = 0;
    let last = '';
    await waitFor(`the pty to be ${size} (last ${last})`, async () => {
      const marker = `sz${++round}`;
      await tmux.line(w, `echo ${marker}=$(stty size)`);
      const text = await tmux.waitFor(w, new RegExp(`^${marker}=(\\d+ \\d+)\\r?$`, 'm'));
      last = new RegExp(`^${marker}=(\\d+ \\d+)`, 'm').exec(text)![1]!;
      if (last === size) return true;
      throw new Error(`the pty is ${last}`);
    }, { timeoutMs: 15_000, intervalMs: 100 });
  }

  /**
   * Keys typed at the very first prompt were once seen lost (1 run in 3, docker CLI, not
   * reproduced since): type a fresh marker until the shell answers it.
   */
  async function waitForShell(w: string): Promise<void> {
    const { waitFor } = await import('../../src/util/index.js');
    let round = 0;
    await waitFor('the shell to answer', async () => {
      const n = ++round;
      await tmux.line(w, `echo ready$((${n}*7))`);
      await tmux.waitFor(w, new RegExp(`^ready${n * 7}\\r?$`, 'm'), 3_000);
      return true;
    }, { timeoutMs: 15_000, intervalMs: 100 });
  }

  async function waitForFile(c: { run: (args: string[], o?: { allowFailure?: boolean }) => Promise<{ stdout: Buffer; code: number | null }> }, id: string, file: string, content: string): Promise<void> {
    const { waitFor } = await import('../../src/util/index.js');
    await waitFor(`${file} in ${id}`, async () => {
      const r = await c.run(['exec', id, 'cat', file], { allowFailure: true });
      if (r.code === 0 && r.stdout.toString() === content) return true;
      throw new Error(`cat ${file}: ${r.code}`);
    });
  }

  test('exec API: inspect shows Running, Pid and ExitCode; exec_create, exec_start and exec_die events', async (t) => {
    const id = out(await d.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
    t.after(() => removeContainers(d, id));
    const since = unixSeconds();
    const created = await d.request('POST', `/containers/${id}/exec`, JSON.stringify({ Cmd: ['sh', '-c', 'while [ ! -e /tmp/stop ]; do usleep 20000; done; exit 6'] }), { 'Content-Type': 'application/json' });
    assert.equal(created.status, 201);
    const execId = (JSON.parse(created.body) as { Id: string }).Id;
    const before = JSON.parse((await d.request('GET', `/exec/${execId}/json`)).body) as Record<string, unknown>;
    assert.equal(before.Running, false);
    assert.equal(before.ExitCode, null);
    assert.equal(before.ContainerID, id);
    const started = await d.request('POST', `/exec/${execId}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' });
    assert.equal(started.status, 200);
    const running = JSON.parse((await d.request('GET', `/exec/${execId}/json`)).body) as Record<string, unknown>;
    assert.equal(running.Running, true);
    assert.ok(Number(running.Pid) > 0);
    await d.docker(['exec', id, 'touch', '/tmp/stop']);
    const again = await d.request('POST', `/exec/${execId}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' });
    assert.equal(again.status, 409);
    const { waitFor } = await import('../../src/util/index.js');
    const done = await waitFor('the exec to end', async () => {
      const j = JSON.parse((await d.request('GET', `/exec/${execId}/json`)).body) as Record<string, unknown>;
      if (j.Running === false && j.ExitCode !== null) return j;
      throw new Error(JSON.stringify(j));
    });
    assert.equal(done.Pid, 0);
    assert.equal(done.ExitCode, 6);
    const events = await d.request('GET', `/events?since=${since}&until=${unixSeconds(Date.now() + 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
    const actions = events.body.trim().split('\n').map((l) => (JSON.parse(l) as { Action: string }).Action);
    assert.ok(actions.includes('exec_create: sh -c while [ ! -e /tmp/stop ]; do usleep 20000; done; exit 6'), actions.join(','));
    assert.ok(actions.includes('exec_start: sh -c while [ ! -e /tmp/stop ]; do usleep 20000; done; exit 6'), actions.join(','));
    assert.ok(actions.some((a) => a === 'exec_die'), actions.join(','));
    const missing = await d.request('GET', '/exec/0123456789/json');
    assert.equal(missing.status, 404);
    assert.match(missing.body, /No such exec instance: 0123456789/);
  });

  test('attach API: upgraded with logs=1 replay and stdcopy framing; the plain hijacked form; resize', async (t) => {
    const id = out(await d.docker(['run', '-d', '-i', 'busybox', 'sh', '-c', 'echo early; echo early-err >&2; while read l; do echo "got $l"; echo "err $l" >&2; done'])).trim();
    t.after(() => removeContainers(d, id));
    const { waitFor } = await import('../../src/util/index.js');
    await waitFor('early output in the log', async () => {
      const l = await d.docker(['logs', id]);
      if (out(l).includes('early')) return true;
      throw new Error('not yet');
    });
    const sock = net.connect(d.socket);
    t.after(() => { sock.destroy(); });
    let raw = Buffer.alloc(0);
    sock.on('data', (b: Buffer) => { raw = Buffer.concat([raw, b]); });
    sock.write(`POST /v1.47/containers/${id}/attach?logs=1&stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n`);
    await waitFor('the 101 and the replayed log', () => {
      const text = raw.toString('latin1');
      if (/^HTTP\/1.1 101/.test(text) && text.includes('early-err')) return true;
      throw new Error(JSON.stringify(text));
    });
    sock.write('ping\n');
    await waitFor('the echo of stdin', () => {
      const body = raw.subarray(raw.indexOf('\r\n\r\n') + 4);
      const frames = demux(body);
      if (frames.some(([s, x]) => s === 1 && x.includes('got ping')) && frames.some(([s, x]) => s === 2 && x.includes('err ping'))) return frames;
      throw new Error(JSON.stringify(frames));
    });
    const frames = demux(raw.subarray(raw.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(frames.slice(0, 2).map(([s]) => s).sort(), [1, 2]);
    assert.match(raw.toString('latin1'), /Content-Type: application\/vnd.docker.multiplexed-stream/);
    // The plain form: output only, framed in an ordinary 200 response.
    const plain = net.connect(d.socket);
    t.after(() => { plain.destroy(); });
    let plainRaw = '';
    plain.on('data', (b: Buffer) => { plainRaw += b.toString('latin1'); });
    plain.write(`POST /containers/${id}/attach?logs=1&stdout=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    await waitFor('the plain attach', () => {
      if (/^HTTP\/1.1 200/.test(plainRaw) && plainRaw.includes('early')) return true;
      throw new Error(JSON.stringify(plainRaw));
    });
    // A container without a tty cannot be resized; an unknown one is a 404.
    assert.equal((await d.request('POST', '/containers/nosuch/resize?h=10&w=10')).status, 404);
    assert.equal((await d.request('POST', '/exec/nosuch/resize?h=10&w=10')).status, 404);
  });
});

/**
 * Regression (issue 11, finding 5): an exec's terminal is decided when it is created; the
 * start body's `Tty` decides the framing, as dockerd's (checked against dockerd 20.10): raw
 * with `Tty: true` (from a process without a terminal: its stdout only), framed otherwise (a
 * terminal's output as stdout frames). A terminal's output is what it writes, `\r\n` and
 * stdout and stderr in order, in the upgraded and the plain form alike. The detach keys end
 * an upgraded TTY session while the process goes on, as they do an attach.
 */
describe('interactive: exec with a TTY through the raw API', () => {
  let d: TestDaemon;
  let id: string;
  before(async () => {
    d = await startDaemon('exec-tty');
    await importBusybox(d);
    id = out(await d.docker(['run', '-d', 'busybox', 'sleep', '1000'])).trim();
  });
  after(async () => { await d?.stop(); });

  async function createExec(body: Record<string, unknown>): Promise<string> {
    const r = await d.request('POST', `/containers/${id}/exec`, JSON.stringify(body), { 'Content-Type': 'application/json' });
    assert.equal(r.status, 201, r.body);
    return (JSON.parse(r.body) as { Id: string }).Id;
  }

  /** `POST /exec/{id}/start` upgraded; `onData` sees everything after the request was sent. */
  function upgradedStart(execId: string, body: string, onData?: (raw: Buffer, sock: net.Socket) => void): { sock: net.Socket; ended: Promise<Buffer> } {
    const sock = net.connect(d.socket);
    let raw = Buffer.alloc(0);
    const ended = new Promise<Buffer>((resolve, reject) => {
      sock.on('data', (b: Buffer) => { raw = Buffer.concat([raw, b]); onData?.(raw, sock); });
      sock.on('end', () => resolve(raw));
      sock.on('error', reject);
    });
    sock.write(`POST /v1.47/exec/${execId}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    return { sock, ended };
  }

  const CMD = ['sh', '-c', 'echo a; echo b >&2; echo c'];
  for (const startBody of ['{"Tty":true}', '{"Detach":false,"Tty":true}']) {
    test(`created with Tty: start body ${startBody} answers the terminal's bytes raw, upgraded and plain`, async () => {
      const up = await createExec({ Cmd: CMD, Tty: true, AttachStdout: true, AttachStderr: true });
      const raw = await upgradedStart(up, startBody).ended;
      const text = raw.toString('latin1');
      assert.match(text, /^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.raw-stream\r\n/);
      assert.equal(text.slice(text.indexOf('\r\n\r\n') + 4), 'a\r\nb\r\nc\r\n');
      const plain = await createExec({ Cmd: CMD, Tty: true, AttachStdout: true, AttachStderr: true });
      const res = await d.request('POST', `/exec/${plain}/start`, startBody, { 'Content-Type': 'application/json' });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'application/vnd.docker.raw-stream');
      assert.equal(res.body, 'a\r\nb\r\nc\r\n');
    });
  }

  for (const startBody of ['{"Tty":false}', '{}']) {
    test(`created with Tty: start body ${startBody} frames the terminal's bytes as stdout (docker-py's low-level exec_start)`, async () => {
      const up = await createExec({ Cmd: CMD, Tty: true, AttachStdout: true, AttachStderr: true });
      const raw = await upgradedStart(up, startBody).ended;
      assert.match(raw.toString('latin1'), /^HTTP\/1.1 101 UPGRADED\r\nContent-Type: application\/vnd.docker.multiplexed-stream\r\n/);
      const frames = demux(raw.subarray(raw.indexOf('\r\n\r\n') + 4));
      assert.deepEqual([...new Set(frames.map(([st]) => st))], [1]);
      assert.equal(frames.map(([, x]) => x).join(''), 'a\r\nb\r\nc\r\n');
    });
  }

  test('created without a TTY: the start body\'s Tty gets stdout raw (no stderr), its absence the framed streams', async () => {
    const cmd = ['sh', '-c', 'echo out; echo err >&2'];
    const rawStart = await upgradedStart(await createExec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }), '{"Tty":true}').ended;
    const rawText = rawStart.toString('latin1');
    assert.match(rawText, /Content-Type: application\/vnd.docker.raw-stream\r\n/);
    assert.equal(rawText.slice(rawText.indexOf('\r\n\r\n') + 4), 'out\n');
    const plain = await d.request('POST', `/exec/${await createExec({ Cmd: cmd, AttachStdout: true, AttachStderr: true })}/start`, '{"Tty":true}', { 'Content-Type': 'application/json' });
    assert.equal(plain.headers['content-type'], 'application/vnd.docker.raw-stream');
    assert.equal(plain.body, 'out\n');
    const framed = await upgradedStart(await createExec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }), '{"Tty":false}').ended;
    assert.match(framed.toString('latin1'), /Content-Type: application\/vnd.docker.multiplexed-stream\r\n/);
    const frames = demux(framed.subarray(framed.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(frames.filter(([st]) => st === 1).map(([, x]) => x).join(''), 'out\n');
    assert.deepEqual(frames.filter(([st]) => st === 2).map(([, x]) => x).join(''), 'err\n');
  });

  for (const [keys, typed] of [['', '\x10\x11'], ['ctrl-x,x', '\x18x']] as const) {
    test(`the detach keys ${keys || '(default ctrl-p,ctrl-q)'} end the upgraded session; the shell keeps running`, { timeout: 60_000 }, async () => {
      const since = unixSeconds();
      const e = await createExec({ Cmd: ['sh'], Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true, ...(keys ? { DetachKeys: keys } : {}) });
      let sent = false;
      const { sock, ended } = upgradedStart(e, '{"Detach":false,"Tty":true}', (raw, s) => {
        const text = raw.toString('latin1');
        if (sent || !text.includes('/ # ')) return;
        sent = true;
        // The keys split across writes still count, and what precedes them reaches the shell.
        s.write(`echo typed-before > /tmp/detached-${keys.length}\n${typed.slice(0, 1)}`);
        s.write(typed.slice(1));
      });
      const { waitFor } = await import('../../src/util/index.js');
      let isEnded = false;
      void ended.then(() => { isEnded = true; }, () => undefined);
      await waitFor('berthd to end the session after the detach keys', () => {
        if (isEnded) return true;
        throw new Error(`sent ${sent}`);
      }, { timeoutMs: 10_000 });
      sock.destroy();
      const j = JSON.parse((await d.request('GET', `/exec/${e}/json`)).body) as { Running: boolean; Pid: number; ExitCode: number | null };
      assert.equal(j.Running, true);
      assert.ok(j.Pid > 0);
      assert.equal(j.ExitCode, null);
      await waitFor('the line typed before the keys', async () => {
        const r = await d.docker(['exec', id, 'cat', `/tmp/detached-${keys.length}`], { allowFailure: true });
        if (out(r) === 'typed-before\n') return true;
        throw new Error(`${r.code} ${out(r)}`);
      });
      const events = await d.request('GET', `/events?since=${since}&until=${unixSeconds(Date.now() + 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: [id], event: ['exec_detach'] }))}`);
      const detached = events.body.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Actor: { Attributes: Record<string, string> } });
      assert.deepEqual(detached.map((m) => m.Actor.Attributes.execID), [e]);
    });
  }
});

/**
 * Exec sessions outlive berthd as containers do: a running exec keeps running through a
 * `kill -9` of the daemon and is re-adopted by the next one, which records its exit code;
 * one that ends while berthd is down has its code read back from conmon's exit file.
 */
describe('interactive: exec across a berthd restart', needsDocker, () => {
  let d: TestDaemon;
  let dir: string;
  before(async () => {
    d = await startDaemon('exec-restore');
    dir = d.dir;
    await importBusybox(d);
  });
  after(async () => { await d?.stop(); });

  test('kill -9 of berthd: running execs keep running; exits are recorded before and after the restart', { timeout: 120_000 }, async (t) => {
    const id = out(await d.docker(['run', '-d', 'busybox', 'sh', '-c', 'mkfifo /tmp/a /tmp/b; sleep 1000'])).trim();
    t.after(() => removeContainers(d, id));
    const { waitFor } = await import('../../src/util/index.js');
    await waitFor('the fifos', async () => {
      const r = await d.docker(['exec', id, 'ls', '/tmp/a', '/tmp/b'], { allowFailure: true });
      if (r.code === 0) return true;
      throw new Error(r.stderr);
    });
    const start = async (cmd: string): Promise<string> => {
      const c = await d.request('POST', `/containers/${id}/exec`, JSON.stringify({ Cmd: ['sh', '-c', cmd] }), { 'Content-Type': 'application/json' });
      const execId = (JSON.parse(c.body) as { Id: string }).Id;
      assert.equal((await d.request('POST', `/exec/${execId}/start`, JSON.stringify({ Detach: true }), { 'Content-Type': 'application/json' })).status, 200);
      return execId;
    };
    const execA = await start('read x < /tmp/a; exit 9');
    const execB = await start('read x < /tmp/b; exit 8');
    const merged = ((await inspectContainer(d, id)) as unknown as { GraphDriver?: { Data?: { MergedDir?: string } } }).GraphDriver?.Data?.MergedDir as string;
    assert.ok(merged);
    d.proc.kill('SIGKILL');
    await new Promise((resolve) => d.proc.once('exit', resolve));
    // B ends while berthd is down: its reader gets a line through the rootfs.
    await fsp.writeFile(path.join(merged, 'tmp', 'b'), 'go\n');
    d = await startDaemon('exec-restore', [], { dir });
    const inspectExec = async (e: string) => JSON.parse((await d.request('GET', `/exec/${e}/json`)).body) as { Running: boolean; ExitCode: number | null };
    const b = await waitFor('exec B recorded', async () => {
      const j = await inspectExec(execB);
      if (!j.Running && j.ExitCode !== null) return j;
      throw new Error(JSON.stringify(j));
    });
    assert.equal(b.ExitCode, 8);
    const a = await inspectExec(execA);
    assert.equal(a.Running, true);
    await fsp.writeFile(path.join(merged, 'tmp', 'a'), 'go\n');
    const aDone = await waitFor('exec A recorded', async () => {
      const j = await inspectExec(execA);
      if (!j.Running && j.ExitCode !== null) return j;
      throw new Error(JSON.stringify(j));
    });
    assert.equal(aDone.ExitCode, 9);
  });
});
