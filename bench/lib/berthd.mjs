// The bench's own berthd: started from bin/berthd on a temp data-root, exec-root and socket,
// stopped with SIGTERM (then SIGKILL after a deadline), and whatever it leaves behind removed.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runTool } from './proc.mjs';
import { listProcesses, pidsNaming } from './procfs.mjs';

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

function ping(socketPath) {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

async function logTail(logPath) {
  try {
    return (await readFile(logPath, 'utf8')).trim().split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts berthd and resolves once /_ping answers. It runs in its own session (`detached`), so a
 * Ctrl-C at the terminal reaches the bench, which removes containers through it before
 * stopping it, and not berthd itself. Its log goes to `<tmp>/berthd.log`.
 */
export async function startBerthd({ repoRoot, tmp, signal, config = {} }) {
  const d = {
    dataRoot: join(tmp, 'data'),
    execRoot: join(tmp, 'exec'),
    socket: join(tmp, 'berthd.sock'),
    pidfile: join(tmp, 'berthd.pid'),
    configFile: join(tmp, 'daemon.json'),
    log: join(tmp, 'berthd.log'),
  };
  // A daemon.json of its own (empty unless a suite gives keys), so the host's
  // /etc/berth/daemon.json cannot change the run; and a default bridge device of its own:
  // berth0 may belong to another berthd here (a quick start's), whose bridge this one would
  // share and, stopping, remove.
  await writeFile(d.configFile, `${JSON.stringify({ bridge: `bb${process.pid}`.slice(0, 15), ...config })}\n`);
  const logFd = openSync(d.log, 'a');
  // BERTH_BENCH_NODE_ARGS: node flags for the bench's berthd, e.g. a CPU profile of a suite:
  // BERTH_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' (written when berthd stops).
  const nodeArgs = (process.env.BERTH_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [
    ...nodeArgs,
    join(repoRoot, 'bin/berthd'),
    '--data-root', d.dataRoot, '--exec-root', d.execRoot, '-H', `unix://${d.socket}`,
    '--pidfile', d.pidfile, '--config-file', d.configFile,
  ], { detached: true, stdio: ['ignore', logFd, logFd], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  closeSync(logFd);
  let exit = null;
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => { exit = { code, signal: sig }; resolve(exit); }));
  const berthd = {
    ...d,
    pid: child.pid,
    host: `unix://${d.socket}`,
    hasExited: () => exit !== null,
    async stop() {
      if (exit) return exit;
      child.kill('SIGTERM');
      let timer;
      const deadline = new Promise((resolve) => { timer = setTimeout(resolve, STOP_TIMEOUT_MS, 'timeout'); });
      const first = await Promise.race([exited, deadline]);
      // A pending timer would keep the bench's event loop, and so the bench, alive for 20 s.
      clearTimeout(timer);
      if (first === 'timeout') {
        process.stderr.write(`bench: berthd did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killing it\n`);
        child.kill('SIGKILL');
      }
      return exited;
    },
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await ping(d.socket))) {
    if (exit) throw new Error(`berthd exited (${exit.code ?? exit.signal}) before it was ready; log:\n${await logTail(d.log)}`);
    if (Date.now() > deadline) {
      await berthd.stop();
      throw new Error(`berthd did not answer /_ping within ${READY_TIMEOUT_MS / 1000} s; log:\n${await logTail(d.log)}`);
    }
    await sleep(50, undefined, { signal });
  }
  return berthd;
}

/** Mount points at or under `dir`, deepest first (mountinfo escapes spaces as \040). */
export async function mountsUnder(dir) {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return text.split('\n').filter(Boolean).map((l) => unescape(l.split(' ')[4]))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * After berthd has stopped: delete runtime state still under its exec-root (`runc delete -f`
 * kills the container, and its conmon then exits), kill monitors still naming the exec-root,
 * and unmount anything left under `tmp`. Returns what could not be cleaned, for the report.
 */
export async function removeLeftovers({ tmp, runcRoots }) {
  const problems = [];
  for (const root of runcRoots) {
    const list = await runTool('runc', ['--root', root, 'list', '-q'], { allowFailure: true, timeoutMs: 10_000 });
    for (const id of list.code === 0 ? list.stdout.split('\n').filter(Boolean) : []) {
      const del = await runTool('runc', ['--root', root, 'delete', '-f', id], { allowFailure: true, timeoutMs: 20_000 });
      if (del.code !== 0) problems.push(`runc delete -f ${id}: ${del.stderr.trim()}`);
    }
  }
  for (const pid of pidsNaming(await listProcesses(), tmp)) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      // Already gone between the listing and the kill: nothing left to do.
      if (err.code !== 'ESRCH') problems.push(`kill ${pid}: ${err.message}`);
    }
  }
  for (const mount of await mountsUnder(tmp)) {
    const um = await runTool('umount', [mount], { allowFailure: true, timeoutMs: 10_000 });
    if (um.code === 0) continue;
    const lazy = await runTool('umount', ['-l', mount], { allowFailure: true, timeoutMs: 10_000 });
    if (lazy.code !== 0) problems.push(`umount ${mount}: ${lazy.stderr.trim()}`);
  }
  return problems;
}

/**
 * The common start of the single-daemon benches: a busybox rootfs tarball in `tmp` and a
 * berthd of their own. Its stop and cleanup go on `cleanups` (run in reverse by the caller).
 */
export async function benchBerthd({ repoRoot, tmp, signal, cleanups, config }) {
  const rootfsTar = join(tmp, 'busybox-rootfs.tar');
  await runTool('bash', [join(repoRoot, 'scripts/make-busybox-rootfs.sh'), rootfsTar], { signal, timeoutMs: 60_000 });
  const berthd = await startBerthd({ repoRoot, tmp, signal, config });
  cleanups.push(async () => {
    await berthd.stop();
    await removeLeftovers({ tmp, runcRoots: [join(berthd.execRoot, 'runtime/runc')] });
  });
  return { berthd, rootfsTar };
}
