/**
 * Container commands end to end: the real CLI and client against an in-process fake Engine
 * API, including the upgraded attach. Assertions are on what a user sees (stdout, stderr,
 * exit code) and on the requests the daemon received, in order.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { encodeFrame, StdStream } from '../client/index.js';
import { acceptUpgrade, runBerth, sendError, sendJson, startFakeEngine, type FakeEngine, type Recorded } from './testing/fake-engine.js';

process.env.TZ = 'UTC';

const ID = 'cad542ae419bdb072056598356460c9607300d73cdf7cedc8a3e1b1b5c04d418';
const NOW_S = Math.floor(Date.now() / 1000);

/** One fake container: start releases the attach output and the pending waits. */
class FakeContainer {
  exitCode = 0;
  stdout = '';
  stderr = '';
  /** Echo what the attach receives on stdin back as stdout (`cat`). */
  echoStdin = false;
  /** A TTY container: the attach stream is raw, stderr included in it. */
  tty = false;
  startError: [number, string] | undefined;
  private started!: () => void;
  private startedP!: Promise<void>;
  private stdinDone!: () => void;
  private stdinDoneP!: Promise<void>;

  reset(): void {
    this.exitCode = 0;
    this.stdout = '';
    this.stderr = '';
    this.echoStdin = false;
    this.tty = false;
    this.startError = undefined;
    this.startedP = new Promise((r) => { this.started = r; });
    this.stdinDoneP = new Promise((r) => { this.stdinDone = r; });
  }

  async attach(_req: Recorded, socket: Duplex): Promise<void> {
    acceptUpgrade(socket, this.tty ? 'application/vnd.docker.raw-stream' : undefined);
    const input: Buffer[] = [];
    socket.on('data', (c: Buffer) => input.push(c));
    socket.on('end', () => this.stdinDone());
    await this.startedP;
    if (this.echoStdin) await this.stdinDoneP;
    if (this.tty) {
      socket.end(`${this.stdout}${this.stderr}`);
      return;
    }
    if (this.stdout) socket.write(encodeFrame(StdStream.Stdout, this.stdout));
    if (this.stderr) socket.write(encodeFrame(StdStream.Stderr, this.stderr));
    if (this.echoStdin && input.length) socket.write(encodeFrame(StdStream.Stdout, Buffer.concat(input)));
    socket.end();
  }

  async wait(res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    await this.startedP;
    if (this.echoStdin) await this.stdinDoneP;
    res.end(`${JSON.stringify({ StatusCode: this.exitCode })}\n`);
  }

  start(res: ServerResponse): void {
    if (this.startError) return sendError(res, ...this.startError);
    this.started();
    res.writeHead(204).end();
  }
}

describe('container commands against a fake Engine API', () => {
  let engine: FakeEngine;
  const box = new FakeContainer();
  const run = (args: string[], opts: Parameters<typeof runBerth>[1] = {}) => runBerth(args, { host: engine.host, ...opts });
  const paths = () => engine.requests.filter((r) => r.path !== '/_ping').map((r) => `${r.method} ${r.path}`);
  const last = (method: string, p: string) => engine.requests.filter((r) => r.method === method && r.path === p).at(-1)!;

  before(async () => {
    engine = await startFakeEngine({
      'POST /containers/create': (req, res) => {
        const body = JSON.parse(req.body.toString()) as { Image: string };
        if (body.Image === 'nosuch') return sendError(res, 404, 'No such image: nosuch:latest');
        sendJson(res, 201, { Id: ID, Warnings: req.query.get('name') === 'warned' ? ['Your kernel does not support swap limit capabilities.'] : [] });
      },
      'POST /images/create': (_req, res) => sendError(res, 501, 'pulling images from a registry is not implemented in berth yet'),
      [`POST /containers/${ID}/wait`]: (_req, res) => box.wait(res),
      [`POST /containers/${ID}/start`]: (_req, res) => box.start(res),
      'GET /containers/json': (req, res) => sendJson(res, 200, [
        { Id: ID, Names: ['/web'], Image: 'busybox', ImageID: 'sha256:c22f', Command: 'sh -c \'echo out1; echo err1 >&2; sleep 100\'', Created: NOW_S - 3600, Ports: [], Labels: {}, State: 'running', Status: 'Up About an hour', SizeRw: req.query.get('size') ? 12 : undefined },
        { Id: 'f'.repeat(64), Names: ['/done1'], Image: 'sha256:c22ff37bacc0086f867c8f64edc55fd2c4ee058db0b74af26f909851e3855412', ImageID: 'sha256:c22ff37bacc0086f867c8f64edc55fd2c4ee058db0b74af26f909851e3855412', Command: 'true', Created: NOW_S - 3 * 86400, Ports: [{ PrivatePort: 80, Type: 'tcp' }], Labels: {}, State: 'exited', Status: 'Exited (0) 9 seconds ago' },
      ]),
      'GET /containers/web/json': (_req, res) => sendJson(res, 200, { Id: ID, Name: '/web', Config: { Tty: false }, State: { Running: true } }),
      'GET /containers/tty1/json': (_req, res) => sendJson(res, 200, { Id: 'tty1id', Name: '/tty1', Config: { Tty: true } }),
      [`GET /containers/${ID}/logs`]: (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        res.end(Buffer.concat([encodeFrame(StdStream.Stdout, 'out1\n'), encodeFrame(StdStream.Stderr, 'err1\n'), encodeFrame(StdStream.Stdout, 'tick 0\n')]));
      },
      'GET /containers/tty1id/logs': (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.raw-stream' });
        res.end('ttyout\r\nttyerr\r\n');
      },
      'GET /containers/*/json': (req, res) => sendError(res, 404, `No such container: ${req.path.split('/')[2]}`),
      'DELETE /containers/web': (_req, res) => void res.writeHead(204).end(),
      'DELETE /containers/running': (_req, res) => sendError(res, 409, 'cannot remove container "/running": container is running: stop the container before removing or force remove'),
      'DELETE /containers/*': (req, res) => sendError(res, 404, `No such container: ${req.path.split('/')[2]}`),
      'POST /containers/web/stop': (_req, res) => void res.writeHead(204).end(),
      'POST /containers/*/stop': (req, res) => sendError(res, 404, `No such container: ${req.path.split('/')[2]}`),
      'POST /containers/web/wait': (_req, res) => sendJson(res, 200, { StatusCode: 137 }),
      'POST /containers/*/wait': (req, res) => sendError(res, 404, `No such container: ${req.path.split('/')[2]}`),
      'GET /containers/web/stats': (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', Ostype: 'linux' });
        res.end(`${JSON.stringify({
          id: ID, name: '/web', pids_stats: { current: 2 }, memory_stats: { usage: 700_000, limit: 2 * 1024 ** 3, stats: { inactive_file: 0 } },
          cpu_stats: { cpu_usage: { total_usage: 3000 }, system_cpu_usage: 2_000_000, online_cpus: 2 }, precpu_stats: { cpu_usage: { total_usage: 1000 }, system_cpu_usage: 1_000_000 },
          blkio_stats: { io_service_bytes_recursive: null }, networks: { eth0: { rx_bytes: 1000, tx_bytes: 2000 } },
        })}\n`);
      },
    }, {
      upgrades: { [`POST /containers/${ID}/attach`]: (req, socket) => box.attach(req, socket) },
    });
  });

  after(() => engine.close());

  beforeEach(() => {
    engine.requests.length = 0;
    box.reset();
  });

  it('run -d: create, wait, start; prints the full ID', async () => {
    const r = await run(['run', '-d', '--name', 'web', '-e', 'A=1', 'busybox', 'sleep', '100']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${ID}\n`);
    assert.equal(r.stderr, '');
    assert.deepEqual(paths(), ['POST /containers/create', `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`]);
    const create = last('POST', '/containers/create');
    assert.equal(create.query.get('name'), 'web');
    const body = JSON.parse(create.body.toString()) as Record<string, unknown>;
    assert.deepEqual([body.AttachStdin, body.AttachStdout, body.AttachStderr, body.Cmd, body.Env], [false, false, false, ['sleep', '100'], ['A=1']]);
    assert.equal(last('POST', `/containers/${ID}/wait`).query.get('condition'), 'next-exit');
  });

  it('run: attaches with an HTTP upgrade before start, demultiplexes, exits with the status', async () => {
    box.stdout = 'hello\n';
    box.stderr = 'oops\n';
    box.exitCode = 3;
    const r = await run(['run', 'busybox']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, 'oops\n');
    assert.deepEqual(paths(), ['POST /containers/create', `POST /containers/${ID}/attach`, `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`]);
    const attach = last('POST', `/containers/${ID}/attach`);
    assert.equal(attach.headers.connection, 'Upgrade');
    assert.equal(attach.headers.upgrade, 'tcp');
    assert.equal(attach.query.toString(), 'stderr=1&stdout=1&stream=1');
  });

  it('run -t: the TTY stream is copied raw to stdout', async () => {
    box.tty = true;
    box.stdout = 'out\r\n';
    box.stderr = 'err\r\n';
    const r = await run(['run', '-t', 'busybox']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'out\r\nerr\r\n');
    assert.equal(r.stderr, '');
    const body = JSON.parse(last('POST', '/containers/create').body.toString()) as { Tty: boolean };
    assert.equal(body.Tty, true);
  });

  it('start -a: attaches, starts, exits with the status; plain start prints names', async () => {
    box.stdout = 'started\n';
    box.exitCode = 5;
    const r = await run(['start', '-a', 'web']);
    assert.equal(r.code, 5);
    assert.equal(r.stdout, 'started\n');
    assert.deepEqual(paths(), ['GET /containers/web/json', `POST /containers/${ID}/attach`, `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`]);
    const m = await run(['start', '-a', 'web', 'tty1']);
    assert.equal(m.code, 1);
    assert.equal(m.stderr, 'you cannot start and attach multiple containers at once\n');
  });

  it('run -i --rm: sends stdin, half-closes at its end, waits for removal', async () => {
    box.echoStdin = true;
    const r = await run(['run', '-i', '--rm', 'busybox', 'cat'], { stdin: 'ping\n' });
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'ping\n');
    assert.equal(last('POST', `/containers/${ID}/attach`).query.get('stdin'), '1');
    assert.equal(last('POST', `/containers/${ID}/wait`).query.get('condition'), 'removed');
  });

  it('run: start failures exit 127/126/125 by their text, with the pointer to --help', async () => {
    const cases: Array<[string, number]> = [
      ['failed to create task for container: exec: "nosuchcmd": executable file not found in $PATH: unknown', 127],
      ['failed to create task for container: exec: "/etc": permission denied: unknown', 126],
      ['driver failed programming external connectivity', 125],
    ];
    for (const [message, code] of cases) {
      box.reset();
      box.startError = [400, message];
      const r = await run(['run', 'busybox']);
      assert.equal(r.code, code, message);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `berth: Error response from daemon: ${message}\n\nRun 'berth run --help' for more information\n`);
    }
  });

  it('run/create: a missing image is pulled first, and the pull error ends the run (125) or create (1)', async () => {
    const r = await run(['run', 'nosuch']);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, "Unable to find image 'nosuch:latest' locally\nberth: Error response from daemon: pulling images from a registry is not implemented in berth yet\n\nRun 'berth run --help' for more information\n");
    const pull = last('POST', '/images/create');
    assert.equal(pull.query.get('fromImage'), 'docker.io/library/nosuch');
    assert.equal(pull.query.get('tag'), 'latest');
    const c = await run(['create', '-q', 'nosuch']);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, 'Error response from daemon: pulling images from a registry is not implemented in berth yet\n');
  });

  it('create prints the ID and the daemon warnings', async () => {
    const r = await run(['create', '--name', 'warned', 'busybox']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${ID}\n`);
    assert.equal(r.stderr, 'WARNING: Your kernel does not support swap limit capabilities.\n');
  });

  it('run/create: flag and value errors exit 125 before any request', async () => {
    const m = await run(['run', '-m', 'abc', 'busybox']);
    assert.equal(m.code, 125);
    assert.equal(m.stderr, `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n`);
    const p = await run(['create', '--restart', ':1', 'busybox']);
    assert.equal(p.code, 125);
    assert.equal(p.stderr, "berth: invalid restart policy format: no policy provided before colon\n\nRun 'berth create --help' for more information\n");
    const t = await run(['run', '-it', 'busybox']);
    assert.equal(t.code, 1);
    assert.equal(t.stderr, 'the input device is not a TTY\n');
    assert.deepEqual(paths(), []);
  });

  it("ps: docker's table, truncated command, -s, -q, --no-trunc", async () => {
    const r = await run(['ps', '-a']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, [
      'CONTAINER ID   IMAGE          COMMAND                  CREATED             STATUS                     PORTS     NAMES',
      'cad542ae419b   busybox        "sh -c \'echo out1; e…"   About an hour ago   Up About an hour                     web',
      'ffffffffffff   c22ff37bacc0   "true"                   3 days ago          Exited (0) 9 seconds ago   80/tcp    done1',
      '',
    ].join('\n'));
    assert.equal(last('GET', '/containers/json').query.toString(), 'all=1');
    const s = await run(['ps', '--format', '{{.Names}} {{.Size}}']);
    assert.equal(s.stdout.split('\n')[0], 'web 12B');
    assert.equal(last('GET', '/containers/json').query.get('size'), '1');
    assert.equal((await run(['ps', '-q'])).stdout, `cad542ae419b\nffffffffffff\n`);
    assert.equal((await run(['container', 'ls', '-q', '--no-trunc'])).stdout, `${ID}\n${'f'.repeat(64)}\n`);
    await run(['ps', '-l']);
    assert.equal(last('GET', '/containers/json').query.toString(), 'limit=1');
  });

  it('logs: inspects for the TTY, then demultiplexes (or copies raw)', async () => {
    const r = await run(['logs', '-n', '5', 'web']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'out1\ntick 0\n');
    assert.equal(r.stderr, 'err1\n');
    assert.equal(last('GET', `/containers/${ID}/logs`).query.toString(), 'stderr=1&stdout=1&tail=5');
    const t = await run(['logs', 'tty1']);
    assert.equal(t.stdout, 'ttyout\r\nttyerr\r\n');
    const n = await run(['logs', 'nosuch']);
    assert.equal(n.code, 1);
    assert.equal(n.stderr, 'Error response from daemon: No such container: nosuch\n');
  });

  it('rm: prints what was removed, joins the errors (exit 1); -f forgives missing ones', async () => {
    const r = await run(['rm', 'web', 'nosuch', 'running']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'web\n');
    assert.equal(r.stderr, 'Error response from daemon: No such container: nosuch\nError response from daemon: cannot remove container "/running": container is running: stop the container before removing or force remove\n');
    const f = await run(['rm', '-f', '-v', 'nosuch', 'web']);
    assert.equal(f.code, 0);
    assert.equal(f.stdout, 'web\n');
    assert.equal(f.stderr, 'Error response from daemon: No such container: nosuch\n');
    assert.equal(last('DELETE', '/containers/web').query.toString(), 'force=1&v=1');
  });

  it('stop -t, wait: names and exit codes in argument order', async () => {
    const s = await run(['stop', '-t', '1', 'web', 'nosuch']);
    assert.equal(s.code, 1);
    assert.equal(s.stdout, 'web\n');
    assert.equal(last('POST', '/containers/web/stop').query.toString(), 't=1');
    const w = await run(['wait', 'web', 'nosuch', 'web']);
    assert.equal(w.code, 1);
    assert.equal(w.stdout, '137\n137\n');
    assert.equal(w.stderr, 'Error response from daemon: No such container: nosuch\n');
  });

  it('stats --no-stream: one table from one sample', async () => {
    const r = await run(['stats', '--no-stream', 'web']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, [
      'CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O     BLOCK I/O   PIDS',
      'cad542ae419b   web       0.40%     683.6KiB / 2GiB     0.03%     1kB / 2kB   0B / 0B     2',
      '',
    ].join('\n'));
    assert.equal(last('GET', '/containers/web/stats').query.toString(), 'stream=0');
    const n = await run(['stats', '--no-stream', 'nosuch']);
    assert.equal(n.code, 1);
    assert.equal(n.stderr, 'Error response from daemon: page not found\n');
  });
});
