import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, promises as fsp, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, type ExecResult } from '../../src/util/index.js';
import { waitFor } from '../../src/util/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (tests run from dist/test/helpers). */
export const repoRoot = path.resolve(here, '../../..');
export const berthBin = path.join(repoRoot, 'bin/berth');
export const berthdBin = path.join(repoRoot, 'bin/berthd');

/**
 * The docker CLI the suite drives: $DOCKER_CLI, else `docker` on PATH. A DOCKER_CLI that is
 * not an executable file is a mistake and fails loudly; no docker at all skips the suites that
 * need one (`needsDocker`), each saying why. Debian's `docker.io` brings CLI 20.10 (API 1.41).
 */
function findDockerCli(): { path: string } | { missing: string } {
  const given = process.env.DOCKER_CLI;
  if (given) {
    if (!isExecutable(given)) throw new Error(`DOCKER_CLI=${given} is not an executable file`);
    return { path: given };
  }
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = path.join(dir, 'docker');
    if (isExecutable(p)) return { path: p };
  }
  return { missing: 'no docker CLI: set DOCKER_CLI or put docker on PATH (Debian: apt-get install docker.io)' };
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    // Absent or not executable: not a CLI we can run.
    return false;
  }
}

const dockerCli = findDockerCli();
export const dockerBin = 'path' in dockerCli ? dockerCli.path : 'docker';
/** Options for a `describe` whose tests run the docker CLI: skipped, with the reason, without one. */
export const needsDocker: { skip: string | false } = { skip: 'missing' in dockerCli ? dockerCli.missing : false };
if ('missing' in dockerCli) console.log(`# skipping the suites that drive the docker CLI: ${dockerCli.missing}`);

/** A scratch directory for one test file, under BERTH_TEST_TMP when the suite sets it. */
const STOP_TIMEOUT_MS = 30_000;

export async function scratchDir(prefix: string): Promise<string> {
  const base = process.env.BERTH_TEST_TMP ?? '/tmp';
  await fsp.mkdir(base, { recursive: true });
  return fsp.mkdtemp(path.join(base, `${prefix}-`));
}

export interface TestDaemon {
  dir: string;
  dataRoot: string;
  socket: string;
  host: string;
  proc: ChildProcess;
  log: () => string;
  /** The real docker CLI against this daemon. */
  docker(args: string[], opts?: { input?: string | Buffer; allowFailure?: boolean; timeoutMs?: number }): Promise<ExecResult>;
  /** berth's CLI against this daemon. */
  berth(args: string[], opts?: { input?: string | Buffer; allowFailure?: boolean; timeoutMs?: number }): Promise<ExecResult>;
  /** A raw API request; resolves with status, headers and body text. */
  request(method: string, urlPath: string, body?: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a real berthd on its own data-root, exec-root and socket. Call `stop()` in
 * `after()`; it also unmounts anything left under the data-root and removes the directory.
 */
export async function startDaemon(name: string, extraArgs: string[] = [], opts: { config?: Record<string, unknown>; dir?: string; wrapper?: string[] } = {}): Promise<TestDaemon> {
  const dir = opts.dir ?? await scratchDir(name);
  const dataRoot = path.join(dir, 'root');
  const socket = path.join(dir, 'berth.sock');
  const logFile = path.join(dir, 'berthd.log');
  const configFile = path.join(dir, 'daemon.json');
  // A default bridge device of its own unless the test names one: berth0 belongs to the
  // quick start's berthd (CI runs the suite beside it), which a test daemon would share and,
  // stopping, remove from under it.
  if (!existsSync(configFile)) await fsp.writeFile(configFile, JSON.stringify({ bridge: `bt${randomBytes(4).toString('hex')}`.slice(0, 15), ...opts.config }));
  const bridge = (JSON.parse(readFileSync(configFile, 'utf8')) as { bridge?: unknown }).bridge;
  // Appended, so a daemon restarted on the same directory (live restore) keeps the old log.
  const fh = await fsp.open(logFile, 'a');
  // Every path of its own, so nothing on the machine's defaults (/var/lib/berth, /run/berth,
  // /run/berth.sock, /etc/berth: a quick-start berthd may be using them) can change a test.
  const certsArgs = extraArgs.includes('--certs-dir') ? [] : ['--certs-dir', path.join(dir, 'certs.d')];
  // `wrapper` runs before berthd and must exec it in place (systemd-socket-activate does), so
  // `proc` is berthd itself.
  const [cmd, ...pre] = [...(opts.wrapper ?? []), process.execPath];
  const proc = spawn(cmd!, [...pre, berthdBin, '--data-root', dataRoot, '--exec-root', path.join(dir, 'exec'), '-H', `unix://${socket}`, '--pidfile', path.join(dir, 'berthd.pid'), '--config-file', path.join(dir, 'daemon.json'), ...certsArgs, ...extraArgs], {
    stdio: ['ignore', fh.fd, fh.fd],
  });
  await fh.close();
  const host = `unix://${socket}`;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_CONFIG: path.join(dir, 'docker-config'), DOCKER_HOST: host, BERTH_HOST: host };
  const d: TestDaemon = {
    dir, dataRoot, socket, host, proc,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    docker: (args, o = {}) => exec(dockerBin, args, { env, input: o.input, allowFailure: o.allowFailure, timeoutMs: o.timeoutMs ?? 60_000 }),
    berth: (args, o = {}) => exec(process.execPath, [berthBin, ...args], { env, input: o.input, allowFailure: o.allowFailure, timeoutMs: o.timeoutMs ?? 60_000 }),
    request: (method, urlPath, body, headers = {}) => new Promise((resolve, reject) => {
      const req = http.request({ socketPath: socket, method, path: urlPath, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    }),
    stop: async (signal = 'SIGTERM') => {
      // Containers outlive berthd by design (live restore): a test daemon removes them first.
      if (proc.exitCode === null && proc.signalCode === null && signal === 'SIGTERM') {
        const list = await d.request('GET', '/containers/json?all=1').catch(() => undefined);
        const ids = list?.status === 200 ? (JSON.parse(list.body) as Array<{ Id: string }>).map((c) => c.Id) : [];
        for (const id of ids) await d.request('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
      }
      let code: number | null = proc.exitCode;
      let hung = false;
      if (code === null && proc.signalCode === null) {
        const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
        proc.kill(signal);
        // A berthd that does not stop fails the test instead of hanging the suite.
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<'hung'>((resolve) => { timer = setTimeout(resolve, STOP_TIMEOUT_MS, 'hung'); });
        const first = await Promise.race([exited, deadline]);
        clearTimeout(timer);
        if (first === 'hung') {
          hung = true;
          proc.kill('SIGKILL');
          code = await exited;
        } else {
          code = first;
        }
      }
      await sweepRuntime(path.join(dir, 'exec'));
      // A berthd that did not stop cleanly (killed, hung) leaves its bridge: this test's own.
      if (typeof bridge === 'string' && /^[\w.-]{1,15}$/.test(bridge) && existsSync(`/sys/class/net/${bridge}`)) await exec('ip', ['link', 'del', bridge], { allowFailure: true });
      await cleanupMounts(dir);
      await fsp.rm(dir, { recursive: true, force: true });
      if (hung) throw new Error(`berthd ${name} did not exit within ${STOP_TIMEOUT_MS} ms of ${signal}`);
      return code;
    },
  };
  try {
    await waitFor(`berthd ${name} to answer /_ping (log: ${logFile})`, async () => {
      if (proc.exitCode !== null) throw new Error(`berthd exited with ${proc.exitCode}: ${d.log()}`);
      const r = await d.request('GET', '/_ping').catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, { timeoutMs: 20_000 });
  } catch (err) {
    await d.stop('SIGKILL');
    throw err;
  }
  return d;
}

/** Unmounts every mount at or below `dir` (deepest first), so a failed test leaves none. */
export async function cleanupMounts(dir: string): Promise<void> {
  const mounts = mountsUnder(dir).sort((a, b) => b.length - a.length);
  for (const m of mounts) await exec('umount', ['-l', m], { allowFailure: true });
}

export function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return lines.map((l) => l.split(' ')[4]).filter((p): p is string => !!p && (p === dir || p.startsWith(dir + '/')));
}

/**
 * Whatever containers a failed test left behind under this exec-root: `runc delete --force`
 * each (which kills its processes), then kill any conmon still pointing into the directory.
 */
export async function sweepRuntime(execRoot: string): Promise<void> {
  const root = path.join(execRoot, 'runtime', 'runc');
  if (existsSync(root)) {
    const r = await exec('runc', ['--root', root, 'list', '-q'], { allowFailure: true });
    for (const id of r.stdout.toString().split('\n').filter(Boolean)) {
      await exec('runc', ['--root', root, 'delete', '--force', id], { allowFailure: true });
      for (const cg of ['memory', 'cpu', 'cpuacct', 'pids', 'freezer', 'blkio', 'devices', 'cpuset', 'hugetlb', 'net_cls', 'perf_event', 'rdma', 'misc', 'systemd', 'unified']) {
        await fsp.rmdir(path.join('/sys/fs/cgroup', cg, 'berth', id)).catch(() => undefined);
      }
    }
  }
  for (const pid of await fsp.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('/usr/bin/conmon') && cmd.includes(execRoot)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}
