#!/usr/bin/env node
// Times berthd against the raw runtime (`runc run`) and, when given, a reference daemon, through
// the real docker CLI, interleaved in one run; prints medians, ratios and issue 3's targets.
// Entry point: bench/run.sh (README.md there). Plain JS on node builtins: no build step.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mountsUnder, removeLeftovers, startBerthd } from './lib/berthd.mjs';
import { docker, dockerTarget, removeLabelled, serverVersion } from './lib/docker.mjs';
import { pool, runTool } from './lib/proc.mjs';
import { listProcesses, memoryOfAll, pidsNaming, socketOwner, treeOf } from './lib/procfs.mjs';
import { median } from './lib/report.mjs';
import { LOG_BYTES, printReport } from './lib/results.mjs';
import { makeRuncBundle, runcRun } from './lib/runc-bundle.mjs';

const USAGE = `Usage: bash bench/run.sh [--reference-host unix:///var/run/docker.sock] [--rounds N]

  --reference-host HOST  DOCKER_HOST of a running dockerd or Podman service to compare with
  --rounds N             rounds of the run --rm and exec medians (default 15)
  --network MODE         network of every bench container (default none, like the raw runc bundle)
  --tmp DIR              work directory (run.sh makes one under /tmp)
  --trace                berthd with debug logging: after the run --rm rounds, the median time
                         of each step of its starts (preparers, bundle, create, attach, start,
                         record), from its 'start steps' log lines
`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BURST = { count: 50, concurrency: 10 };
const IDLE_COUNT = 20;
// 99 letters and a newline per line, so `head -c` cuts exactly 500,000 whole lines.
const LOG_SCRIPT = `yes ${'a'.repeat(99)} | head -c ${LOG_BYTES}`;
const MEMORY_SAMPLES = { count: 5, intervalMs: 200 };

const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'reference-host': { type: 'string' },
      rounds: { type: 'string', default: '15' },
      network: { type: 'string', default: 'none' },
      tmp: { type: 'string' },
      trace: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: not a positive integer: ${values.rounds}`);
  return { referenceHost: values['reference-host'], rounds, network: values.network, tmp: values.tmp, trace: values.trace, help: values.help };
}

/** Undo steps registered as soon as something exists, run in reverse; each failure is reported. */
class Cleanups {
  steps = [];
  push(what, fn) { this.steps.push({ what, fn }); }
  async runAll() {
    while (this.steps.length) {
      const { what, fn } = this.steps.pop();
      const started = performance.now();
      try {
        await fn();
        progress(`cleanup: ${what} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      } catch (err) {
        // Cleanup goes on past a failed step: the later ones (stop berthd, unmount) matter more.
        progress(`cleanup: ${what}: ${err.message}`);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Setup: rootfs tarball, our berthd, the image on each daemon, the runc bundle.

async function setup(ctx) {
  const { opts, signal, cleanups } = ctx;
  ctx.tmp = opts.tmp ? resolve(opts.tmp) : await mkdtemp('/tmp/berth-bench.');
  if (!opts.tmp) {
    const tmp = ctx.tmp;
    cleanups.push(`remove ${tmp}`, async () => {
      const left = await mountsUnder(tmp);
      if (left.length) throw new Error(`not removed: still mounted: ${left.join(', ')}`);
      await rm(tmp, { recursive: true, force: true });
    });
  }
  ctx.runId = basename(ctx.tmp).toLowerCase().replace(/[^a-z0-9]/g, '').replace(/^berthbench/, '') || String(process.pid);
  ctx.label = `berth-bench=${ctx.runId}`;
  ctx.image = `berth-bench/busybox:${ctx.runId}`;
  ctx.namePrefix = `berth-bench-${ctx.runId}`;
  ctx.host = {
    kernel: os.release(),
    cpus: os.cpus().length,
    memGiB: (os.totalmem() / 2 ** 30).toFixed(1),
    loadStart: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };

  progress(`work dir ${ctx.tmp}`);
  ctx.rootfsTar = join(ctx.tmp, 'busybox-rootfs.tar');
  await runTool('bash', [join(REPO_ROOT, 'scripts/make-busybox-rootfs.sh'), ctx.rootfsTar], { signal, timeoutMs: 60_000 });

  progress('starting berthd');
  const berthd = await startBerthd({ repoRoot: REPO_ROOT, tmp: ctx.tmp, signal, config: ctx.opts.trace ? { debug: true } : {} });
  ctx.berthd = berthd;
  const runcRoot = join(ctx.tmp, 'runc');
  cleanups.push('stop berthd and remove what it left', async () => {
    const exit = await berthd.stop();
    if (exit.code !== 0) progress(`cleanup: berthd exited with ${exit.code ?? exit.signal}`);
    const problems = await removeLeftovers({ tmp: ctx.tmp, runcRoots: [join(berthd.execRoot, 'runtime/runc'), runcRoot] });
    for (const p of problems) progress(`cleanup: ${p}`);
  });
  const b = { ...dockerTarget('berthd', berthd.host), daemonPid: berthd.pid, monitorPids: berthdMonitorPids(berthd) };
  // Every container in this berthd is the bench's, labelled or not.
  cleanups.push('remove containers from berthd', () => removeLabelled(b, null));
  ctx.targets = [b];
  b.version = await serverVersion(b, signal);

  await docker(b, ['import', '--change', 'CMD ["sh"]', ctx.rootfsTar, ctx.image], { signal });
  b.idle = await medianMemory(b, [], signal);

  progress('preparing the runc bundle');
  ctx.runc = { root: runcRoot, bundle: join(ctx.tmp, 'bundle') };
  await makeRuncBundle({ dir: ctx.runc.bundle, rootfsTar: ctx.rootfsTar, signal });
  ctx.runc.version = (await runTool('runc', ['--version'], { signal, timeoutMs: 10_000 })).stdout.split('\n')[0];

  if (opts.referenceHost) {
    const ref = { ...dockerTarget('reference', opts.referenceHost), daemonPid: null, monitorPids: referenceMonitorPids };
    ref.version = await serverVersion(ref, signal);
    if (ref.version.startsWith('unreachable')) throw new Error(`reference ${opts.referenceHost}: ${ref.version}`);
    // Registered first, so it runs after the containers are gone.
    cleanups.push(`remove ${ctx.image} from the reference`, () => docker(ref, ['rmi', ctx.image], { timeoutMs: 60_000 }));
    cleanups.push(`remove containers labelled ${ctx.label} from the reference`, () => removeLabelled(ref, ctx.label));
    progress(`importing ${ctx.image} into the reference (${ref.version})`);
    await docker(ref, ['import', '--change', 'CMD ["sh"]', ctx.rootfsTar, ctx.image], { signal });
    if (opts.referenceHost.startsWith('unix://')) ref.daemonPid = await socketOwner(opts.referenceHost.slice('unix://'.length));
    if (ref.daemonPid !== null) ref.idle = await medianMemory(ref, [], signal);
    ctx.targets.push(ref);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory: a daemon's own processes (its process tree, minus monitors and containers) and the
// monitors of given containers, read from smaps_rollup.

function berthdMonitorPids(berthd) {
  return async (procs, ids) => {
    const pids = [];
    for (const id of ids) {
      const file = join(berthd.execRoot, 'c', id.slice(0, 16), 'conmon.pid');
      const pid = Number((await readFile(file, 'utf8').catch((err) => (err.code === 'ENOENT' ? '' : Promise.reject(err)))).trim());
      const proc = procs.find((p) => p.pid === pid);
      // A pid file names a process only while that process still runs with this container's id.
      if (proc && proc.argv.some((a) => a.includes(id))) pids.push(pid);
      else pids.push(...pidsNaming(procs, id));
    }
    return pids;
  };
}

async function referenceMonitorPids(procs, ids) {
  // containerd-shim-runc-v2 (-id <id>) under dockerd; conmon (--cid <id>) under Podman.
  return [...new Set(ids.flatMap((id) => pidsNaming(procs, id)))];
}

async function memorySnapshot(target, ids) {
  const procs = await listProcesses();
  const monitors = await target.monitorPids(procs, ids);
  const daemonPids = treeOf(procs, target.daemonPid, new Set(monitors));
  return { daemon: await memoryOfAll(daemonPids), monitors: await memoryOfAll(monitors), daemonPids, monitorPids: monitors };
}

/** Median of a few snapshots: a Node heap moves between samples even when idle. */
async function medianMemory(target, ids, signal) {
  const snaps = [];
  for (let i = 0; i < MEMORY_SAMPLES.count; i++) {
    if (i) await sleep(MEMORY_SAMPLES.intervalMs, undefined, { signal });
    snaps.push(await memorySnapshot(target, ids));
  }
  const m = (f) => median(snaps.map(f));
  const last = snaps[snaps.length - 1];
  return {
    daemonRssKiB: m((s) => s.daemon.rssKiB), daemonPssKiB: m((s) => s.daemon.pssKiB),
    daemonAnonKiB: m((s) => s.daemon.anonKiB), daemonPssAnonKiB: m((s) => s.daemon.pssAnonKiB),
    monitorsRssKiB: m((s) => s.monitors.rssKiB), monitorsPssKiB: m((s) => s.monitors.pssKiB),
    daemonProcs: last.daemonPids.length, monitorProcs: last.monitorPids.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Measurements. Each fills ctx.results[name]; rounds rotate the order of participants so none
// always runs first (or right after another's cleanup).

const rotate = (list, by) => list.map((_, i) => list[(i + by) % list.length]);

async function benchRunRm(ctx) {
  const { signal, opts } = ctx;
  const runArgs = ['run', '--rm', '--network', opts.network, '--label', ctx.label, ctx.image, 'true'];
  const participants = [
    ...ctx.targets.map((t) => ({ key: t.key, run: () => docker(t, runArgs, { signal }) })),
    { key: 'runc', run: (i) => runcRun({ ...ctx.runc, id: `${ctx.namePrefix}-${i}`, signal }) },
  ];
  const floor = ctx.targets.map((t) => ({ key: t.key, run: () => docker(t, ['version'], { signal }) }));
  const samples = Object.fromEntries([...participants, ...floor.map((f) => ({ key: `floor:${f.key}` }))].map((p) => [p.key, []]));
  let n = 0;
  for (let round = 0; round <= opts.rounds; round++) {
    // Round 0 warms caches (page cache, the daemon's JIT) and is not counted.
    if (round) progress(`run --rm: round ${round}/${opts.rounds}`);
    for (const p of rotate(participants, round)) {
      const r = await p.run(n++);
      if (round) samples[p.key].push(r.ms);
    }
    for (const f of rotate(floor, round)) {
      const r = await f.run();
      if (round) samples[`floor:${f.key}`].push(r.ms);
    }
  }
  return samples;
}

async function benchBurst(ctx) {
  const { signal, opts } = ctx;
  const out = {};
  for (const t of ctx.targets) {
    progress(`${BURST.count} × run -d, concurrency ${BURST.concurrency}: ${t.key}`);
    const names = Array.from({ length: BURST.count }, (_, i) => `${ctx.namePrefix}-burst-${i}`);
    const started = performance.now();
    const ids = await pool(names, BURST.concurrency, async (name) => (await docker(t, [
      'run', '-d', '--network', opts.network, '--label', ctx.label, '--name', name, ctx.image, 'sleep', '1000',
    ], { signal })).stdout.trim());
    const runMs = performance.now() - started;
    const rmStarted = performance.now();
    await pool(ids, BURST.concurrency, (id) => docker(t, ['rm', '-f', id], { signal }));
    out[t.key] = { runMs, rmMs: performance.now() - rmStarted };
  }
  return out;
}

/** Memory per idle container, then `exec true` in one of those containers. */
async function benchIdleAndExec(ctx) {
  const { signal, opts } = ctx;
  const memory = {};
  const ids = Object.fromEntries(ctx.targets.map((t) => [t.key, []]));
  const before = {};
  for (const t of ctx.targets) if (t.daemonPid !== null) before[t.key] = await medianMemory(t, [], signal);
  progress(`starting ${IDLE_COUNT} idle containers on each daemon`);
  for (let i = 0; i < IDLE_COUNT; i++) {
    for (const t of rotate(ctx.targets, i)) {
      const r = await docker(t, ['run', '-d', '--network', opts.network, '--label', ctx.label, '--name', `${ctx.namePrefix}-idle-${i}`, ctx.image, 'sleep', '100000'], { signal });
      ids[t.key].push(r.stdout.trim());
    }
  }
  for (const t of ctx.targets) {
    if (t.daemonPid === null) { memory[t.key] = { error: 'daemon pid unknown (not a unix:// socket, or socket-activated)' }; continue; }
    const after = await medianMemory(t, ids[t.key], signal);
    // The daemon's growth is taken on Pss_Anon: the file-backed share of its PSS moves whenever
    // another process maps the same binary (other node processes on a shared machine).
    const growthKiB = after.daemonPssAnonKiB - before[t.key].daemonPssAnonKiB;
    memory[t.key] = {
      before: before[t.key], after, growthKiB,
      growthPssKiB: after.daemonPssKiB - before[t.key].daemonPssKiB,
      growthRssKiB: after.daemonRssKiB - before[t.key].daemonRssKiB,
      // A garbage-collected heap (Node's, Go's) can shrink while containers start: a fall is
      // collector noise, not memory a container gives back, so it counts as no growth.
      isGrowthNegative: growthKiB < 0,
      monitorPerContainerKiB: after.monitorsPssKiB / IDLE_COUNT,
      growthPerContainerKiB: growthKiB / IDLE_COUNT,
      perContainerKiB: (Math.max(growthKiB, 0) + after.monitorsPssKiB) / IDLE_COUNT,
    };
  }

  const exec = {};
  const runners = [];
  for (const t of ctx.targets) {
    const warm = await docker(t, ['exec', ids[t.key][0], 'true'], { signal, allowFailure: true });
    if (warm.code === 0) { exec[t.key] = []; runners.push(t); continue; }
    exec[t.key] = { unsupported: warm.stderr.trim().split('\n')[0] || `exit status ${warm.code}` };
  }
  for (let round = 1; round <= opts.rounds && runners.length; round++) {
    for (const t of rotate(runners, round)) exec[t.key].push((await docker(t, ['exec', ids[t.key][0], 'true'], { signal })).ms);
  }

  progress('removing the idle containers');
  for (const t of ctx.targets) await pool(ids[t.key], 10, (id) => docker(t, ['rm', '-f', id], { signal }));
  return { memory, exec };
}

/** A container writes 50 MB to stdout; then `docker logs` reads it all back. */
async function benchLogs(ctx) {
  const { signal, opts } = ctx;
  const out = {};
  for (const t of ctx.targets) {
    progress(`50 MB to stdout, then docker logs: ${t.key}`);
    const started = performance.now();
    const id = (await docker(t, ['run', '-d', '--network', opts.network, '--label', ctx.label, '--name', `${ctx.namePrefix}-logs`, ctx.image, 'sh', '-c', LOG_SCRIPT], { signal })).stdout.trim();
    const wait = await docker(t, ['wait', id], { signal, timeoutMs: 300_000 });
    const writtenMs = performance.now() - started;
    const logs = await docker(t, ['logs', id], { signal, timeoutMs: 300_000 });
    out[t.key] = {
      totalMs: performance.now() - started, writtenMs, readMs: logs.ms,
      exitCode: wait.stdout.trim(), bytes: logs.stdoutBytes, stderrBytes: logs.stderr.length,
    };
    await docker(t, ['rm', '-f', id], { signal });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

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
  let signals = 0;
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(s, () => {
      if (signals++ === 0) {
        progress(`${s}: stopping, then cleaning up`);
        controller.abort(new Error(`interrupted by ${s}`));
      } else progress(`${s}: still cleaning up`);
    });
  }
  const ctx = { opts, signal: controller.signal, cleanups: new Cleanups(), results: {}, errors: {} };
  let code = 0;
  try {
    await setup(ctx);
    // Memory follows the burst, so that code the daemons load and compile on their first
    // starts does not count as per-container growth. Garbage a collection frees between the
    // two samples still moves the daemon's part; the report flags a fall (README.md).
    const phases = [['runRm', benchRunRm], ['burst', benchBurst], ['idle', benchIdleAndExec], ['logs', benchLogs]];
    for (const [name, fn] of phases) {
      try {
        ctx.results[name] = await fn(ctx);
      } catch (err) {
        if (ctx.signal.aborted) throw err;
        // One broken feature should not hide the other figures: the table shows the error.
        ctx.errors[name] = err.message;
        progress(`${name} failed: ${err.message}`);
        code = 1;
        // The next phase starts from no containers, as it would have after a success.
        for (const t of ctx.targets) {
          await removeLabelled(t, t.key === 'berthd' ? null : ctx.label)
            .catch((e) => progress(`removing ${t.key}'s containers after ${name}: ${e.message}`));
        }
      }
    }
    ctx.host.loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    process.stdout.write(printReport(ctx));
    if (ctx.opts.trace) process.stdout.write(await startTrace(ctx.berthd.log));
  } catch (err) {
    if (ctx.signal.aborted) {
      progress('interrupted: cleaning up');
      code = 130;
    } else {
      progress(`failed: ${err.stack ?? err}`);
      code = 1;
    }
  } finally {
    await ctx.cleanups.runAll();
  }
  return code;
}

main().then((code) => { process.exitCode = code; });

/** Median milliseconds of each start step berthd logged ('start steps', debug level). */
async function startTrace(logPath) {
  const bySteps = new Map();
  const totals = [];
  for (const line of (await readFile(logPath, 'utf8')).split('\n')) {
    if (!line.includes('"start steps"')) continue;
    let entry;
    try { entry = JSON.parse(line); } catch { continue; }
    totals.push(entry.totalMs);
    for (const [step, ms] of Object.entries(entry.stepsMs ?? {})) bySteps.set(step, [...(bySteps.get(step) ?? []), ms]);
  }
  if (totals.length === 0) return '\nstart trace: no "start steps" lines in berthd\'s log\n';
  const rows = [...bySteps].map(([step, v]) => `  ${step.padEnd(28)} ${median(v).toFixed(1).padStart(7)} ms`);
  return `\nberthd's start path, median per step over ${totals.length} starts (total ${median(totals).toFixed(1)} ms; the rest of a run --rm is create, attach, wait, rm and the client):\n${rows.join('\n')}\n`;
}
