#!/usr/bin/env node
// Issue 15's last row: what 1,000 containers (half of them running) cost. For each daemon, the
// same three commands are timed with no containers and then with N: `docker ps -a`,
// `docker inspect <one container>` and `docker run --rm --network none <image> true`; and the
// daemon's own memory is read before and after (its process tree minus the containers'
// monitors: berthd alone; dockerd with containerd). Entry point: bench/run.sh scale.
// Plain JS on node builtins: no build step.
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, mountsUnder } from './lib/berthd.mjs';
import { docker, dockerTarget, removeLabelled, serverVersion } from './lib/docker.mjs';
import { pool } from './lib/proc.mjs';
import { listProcesses, memoryOfAll, socketOwner, treeOf } from './lib/procfs.mjs';
import { fmtMiB, fmtMs, fmtRatio, median } from './lib/report.mjs';

const USAGE = `Usage: bash bench/run.sh scale [--reference-host HOST] [--containers N] [--rounds R]

  --reference-host HOST  DOCKER_HOST of a running dockerd to measure the same way
  --containers N         containers to add (default 1000): half run 'sleep', half are created only
  --rounds R             samples per median (default 15)
  --concurrency C        docker commands in flight while adding and removing (default 10)
`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'reference-host': { type: 'string' },
      containers: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '15' },
      concurrency: { type: 'string', default: '10' },
      tmp: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const num = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: not a positive integer: ${values[name]}`);
    return n;
  };
  return { referenceHost: values['reference-host'], containers: num('containers'), rounds: num('rounds'), concurrency: num('concurrency'), tmp: values.tmp, help: values.help };
}

/** The daemon's own processes (berthd; dockerd and containerd) without the containers' monitors and payloads. */
async function daemonMemory(target) {
  const samples = [];
  for (let i = 0; i < 5; i++) {
    if (i) await sleep(200);
    const procs = await listProcesses();
    // Monitors (conmon, containerd-shim) and everything under them are the containers' share.
    const monitors = new Set(procs.filter((p) => /(^|\/)(conmon|containerd-shim[^/]*)$/.test(p.argv[0] ?? '')).map((p) => p.pid));
    samples.push(await memoryOfAll(treeOf(procs, target.daemonPid, monitors)));
  }
  return { rssKiB: median(samples.map((s) => s.rssKiB)), pssAnonKiB: median(samples.map((s) => s.pssAnonKiB)) };
}

/** Milliseconds for the daemon's answer to GET /containers/json?all=1, read whole (no CLI). */
function listTime(target) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: target.host.slice('unix://'.length), path: '/containers/json?all=1' }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => resolve({ ms: performance.now() - started, bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Medians of ps -a, inspect and run --rm, the three interleaved round by round. */
async function timeCommands(target, ctx, inspectId) {
  const ps = [];
  const inspect = [];
  const runRm = [];
  const api = [];
  let apiBytes = 0;
  for (let round = 0; round <= ctx.opts.rounds; round++) {
    if (target.host.startsWith('unix://')) {
      const l = await listTime(target);
      if (round) api.push(l.ms);
      apiBytes = l.bytes;
    }
    const a = await docker(target, ['ps', '-a'], { signal: ctx.signal, timeoutMs: 120_000 });
    const b = await docker(target, ['inspect', inspectId], { signal: ctx.signal });
    const c = await docker(target, ['run', '--rm', '--network', 'none', '--label', ctx.label, ctx.image, 'true'], { signal: ctx.signal });
    // Round 0 warms caches and is not counted.
    if (round) { ps.push(a.ms); inspect.push(b.ms); runRm.push(c.ms); }
  }
  return { psMs: median(ps), inspectMs: median(inspect), runRmMs: median(runRm), apiMs: api.length ? median(api) : NaN, apiBytes };
}

async function measure(target, ctx) {
  const { opts, signal } = ctx;
  progress(`${target.key}: the commands with no containers`);
  // inspect needs a container: this one is the first of the N.
  const first = (await docker(target, ['create', '--network', 'none', '--label', ctx.label, '--name', `${ctx.namePrefix}-0`, ctx.image, 'true'], { signal })).stdout.trim();
  const empty = await timeCommands(target, ctx, first);
  const memBefore = target.daemonPid ? await daemonMemory(target) : null;
  const running = Math.floor(opts.containers / 2);
  progress(`${target.key}: adding ${opts.containers} containers (${running} running), ${opts.concurrency} at a time`);
  const started = performance.now();
  await pool(Array.from({ length: opts.containers - 1 }, (_, i) => i + 1), opts.concurrency, (i) => docker(target, [
    i <= running ? 'run' : 'create', ...(i <= running ? ['-d'] : []), '--network', 'none', '--label', ctx.label,
    '--name', `${ctx.namePrefix}-${i}`, ctx.image, ...(i <= running ? ['sleep', '100000'] : ['true']),
  ], { signal }));
  const addMs = performance.now() - started;
  progress(`${target.key}: the commands with ${opts.containers} containers`);
  const full = await timeCommands(target, ctx, first);
  const memAfter = target.daemonPid ? await daemonMemory(target) : null;
  progress(`${target.key}: removing them`);
  const rmStarted = performance.now();
  await removeLabelled(target, ctx.label, { timeoutMs: 300_000 });
  return { empty, full, addMs, rmMs: performance.now() - rmStarted, memBefore, memAfter };
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join(' │ ').trimEnd()).join('\n') + '\n';
}

async function main() {
  let opts;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) { process.stdout.write(USAGE); return 0; }
  const controller = new AbortController();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(s, () => controller.abort(new Error(`interrupted by ${s}`)));
  const cleanups = [];
  const tmp = opts.tmp ? resolve(opts.tmp) : await mkdtemp('/tmp/berth-bench.');
  const runId = tmp.replace(/.*berth-bench\./, '').toLowerCase().replace(/[^a-z0-9]/g, '') || String(process.pid);
  const ctx = { opts, signal: controller.signal, label: `berth-bench=${runId}`, image: `berth-bench/busybox:${runId}`, namePrefix: `berth-bench-${runId}` };
  let code = 0;
  try {
    progress(`work dir ${tmp}; starting berthd`);
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, signal: ctx.signal, cleanups: { push: (fn) => cleanups.push(fn) } });
    const targets = [{ ...dockerTarget('berthd', berthd.host), daemonPid: berthd.pid }];
    cleanups.push(() => removeLabelled(targets[0], null, { timeoutMs: 300_000 }));
    if (opts.referenceHost) {
      const ref = { ...dockerTarget('reference', opts.referenceHost), daemonPid: null };
      if ((await serverVersion(ref, ctx.signal)).startsWith('unreachable')) throw new Error(`reference ${opts.referenceHost} is unreachable`);
      if (opts.referenceHost.startsWith('unix://')) ref.daemonPid = await socketOwner(opts.referenceHost.slice('unix://'.length));
      cleanups.push(() => docker(ref, ['rmi', ctx.image], { allowFailure: true }));
      cleanups.push(() => removeLabelled(ref, ctx.label, { timeoutMs: 300_000 }));
      targets.push(ref);
    }
    for (const t of targets) {
      t.version = await serverVersion(t, ctx.signal);
      await docker(t, ['import', '--change', 'CMD ["sh"]', rootfsTar, ctx.image], { signal: ctx.signal });
    }
    const loadStart = os.loadavg()[0].toFixed(2);
    const results = {};
    for (const t of targets) results[t.key] = await measure(t, ctx);
    const n = opts.containers;
    const rows = [['', ...targets.map((t) => `${t.key} (${t.version})`)]];
    const row = (label, f) => rows.push([label, ...targets.map((t) => f(results[t.key]))]);
    row('docker ps -a: 0 → N containers', (r) => `${fmtMs(r.empty.psMs)} → ${fmtMs(r.full.psMs)} (${fmtRatio(r.full.psMs, r.empty.psMs)}; goal ≤ 1.5×)`);
    row('  of which GET /containers/json?all=1 (no CLI)', (r) => `${fmtMs(r.empty.apiMs)} → ${fmtMs(r.full.apiMs)} (${(r.full.apiBytes / 1024).toFixed(0)} KiB)`);
    row('docker inspect: 0 → N', (r) => `${fmtMs(r.empty.inspectMs)} → ${fmtMs(r.full.inspectMs)} (${fmtRatio(r.full.inspectMs, r.empty.inspectMs)}; goal ≤ 1.5×)`);
    row('run --rm --network none: 0 → N', (r) => `${fmtMs(r.empty.runRmMs)} → ${fmtMs(r.full.runRmMs)} (${fmtRatio(r.full.runRmMs, r.empty.runRmMs)}; goal ≤ 1.5×)`);
    row('daemon RSS: 0 → N', (r) => (r.memBefore ? `${fmtMiB(r.memBefore.rssKiB)} → ${fmtMiB(r.memAfter.rssKiB)}` : '—'));
    row('daemon growth per container (RSS; Pss_Anon)', (r) => (r.memBefore ? `${((r.memAfter.rssKiB - r.memBefore.rssKiB) / n).toFixed(1)} KiB; ${((r.memAfter.pssAnonKiB - r.memBefore.pssAnonKiB) / n).toFixed(1)} KiB (goal ≤ 50 KiB)` : '—'));
    row(`adding ${n} (${opts.concurrency} at a time)`, (r) => fmtMs(r.addMs));
    row(`removing ${n}`, (r) => fmtMs(r.rmMs));
    process.stdout.write(`\nscale: ${n} containers (${Math.floor(n / 2)} running), medians of ${opts.rounds}; load ${loadStart} → ${os.loadavg()[0].toFixed(2)}, ${os.cpus().length} CPUs\n`);
    process.stdout.write(table(rows));
    if (targets.length > 1) {
      const b = results.berthd;
      const r = results.reference;
      process.stdout.write(`berthd / reference with ${n} containers: ps -a ${fmtRatio(b.full.psMs, r.full.psMs)}, inspect ${fmtRatio(b.full.inspectMs, r.full.inspectMs)}, run --rm ${fmtRatio(b.full.runRmMs, r.full.runRmMs)}\n`);
    }
  } catch (err) {
    progress(`failed: ${err.stack ?? err}`);
    code = controller.signal.aborted ? 130 : 1;
  } finally {
    for (const fn of cleanups.reverse()) await Promise.resolve().then(fn).catch((err) => progress(`cleanup: ${err.message}`));
    if (!opts.tmp) {
      const left = await mountsUnder(tmp);
      if (left.length) progress(`not removed ${tmp}: still mounted: ${left.join(', ')}`);
      else await rm(tmp, { recursive: true, force: true });
    }
  }
  return code;
}

main().then((code) => { process.exitCode = code; });
