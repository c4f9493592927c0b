#!/usr/bin/env node
// Issue 12's speed figures, against a reference in the same run:
// 1. `docker run --rm <image> true` on the default bridge at most 0.4× a reference dockerd's
//    time (the issue saw dockerd at about 490 ms here). Each round times, on each daemon in a
//    rotating order, the run on the default bridge and with `--network none` (the difference is
//    what networking costs a run), and `docker version` (the CLI's floor). One warm-up round is
//    not counted.
// 2. 50 × `docker run -d … sleep` at concurrency 10 on one user-defined network, at most the same
//    burst with `--network none` plus 20 %.
// 3. Name resolution inside a container on a user network under 5 ms: a loop of busybox
//    `nslookup <peer>` against the same loop of `/bin/busybox true` (the fork and exec floor),
//    both in one `docker exec` timed from the host; the difference over the count is the
//    resolver's time per lookup (busybox asks for A and AAAA: two round trips).
// Entry point: bash bench/run.sh network [--reference-host HOST] [--before-repo DIR] [--rounds N]
// [--trace]; without --reference-host, a dockerd answering on /var/run/docker.sock is the reference.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, mountsUnder, removeLeftovers, startBerthd } from './lib/berthd.mjs';
import { docker, dockerTarget, removeLabelled, serverVersion } from './lib/docker.mjs';
import { pool } from './lib/proc.mjs';
import { fmtMs, fmtRatio, median, spread } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** dockerd's figure in issue 12, used (marked *) when no reference runs beside. */
const ISSUE_DOCKERD_MS = 490;
const TARGET_RATIO = 0.4;
const BURST = { count: 50, concurrency: 10, slack: 1.2 };
const DNS = { lookups: 100, targetMs: 5 };
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

const USAGE = `Usage: bash bench/run.sh network [options]
  --reference-host HOST  DOCKER_HOST of a reference daemon (default: /var/run/docker.sock if present)
  --before-repo DIR      also measure a berthd built in DIR (another checkout: the "before" of a change)
  --rounds N             run --rm rounds (default 15)
  --burst-rounds N       50-container bursts per network mode (default 2)
  --phases LIST          comma-separated: runRm,burst,dns (default all)
  --trace                berthd with debug logging: the median of each start step, bridge and none
`;

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  const { values } = parseArgs({
    options: {
      'reference-host': { type: 'string' }, 'before-repo': { type: 'string' }, rounds: { type: 'string', default: '15' },
      'burst-rounds': { type: 'string', default: '2' }, phases: { type: 'string', default: 'runRm,burst,dns' },
      trace: { type: 'boolean' }, tmp: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const rounds = Number(values.rounds);
  const burstRounds = Number(values['burst-rounds']);
  const phases = new Set(values.phases.split(','));
  const tmp = values.tmp ? resolve(values.tmp) : await mkdtemp('/tmp/berth-bench.');
  const cleanups = [];
  const ac = new AbortController();
  process.once('SIGINT', () => ac.abort());
  process.once('SIGTERM', () => ac.abort());
  const signal = ac.signal;
  try {
    progress('starting berthd');
    // A bridge device of the run's own: berthd's default (berth0) may belong to another berthd here.
    const runId = String(process.pid);
    const debug = values.trace ? { debug: true } : {};
    // And address pools of its own: two berthds of one run (--before-repo) would otherwise both
    // take the first free subnet for their networks (a bridge, and its route, exists only once a
    // container runs), and the host would route one's DNS queries to the other's bridge.
    const pools = (second) => ({ 'default-address-pools': [{ base: `10.${180 + (second ? 20 : 0) + (process.pid % 20)}.0.0/16`, size: 24 }] });
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, signal, cleanups, config: { bridge: `bb${runId}`.slice(0, 15), ...pools(false), ...debug } });
    const image = `berth-bench/busybox:net${runId}`;
    const label = `berth-bench=${runId}`;
    const targets = [{ ...dockerTarget('berthd', berthd.host), log: berthd.log }];
    if (values['before-repo']) {
      const dir = join(tmp, 'before');
      await mkdir(dir, { recursive: true });
      progress(`starting the berthd of ${values['before-repo']}`);
      const before = await startBerthd({ repoRoot: resolve(values['before-repo']), tmp: dir, signal, config: { bridge: `bc${runId}`.slice(0, 15), ...pools(true), ...debug } });
      cleanups.push(async () => {
        await before.stop();
        await removeLeftovers({ tmp: dir, runcRoots: [join(before.execRoot, 'runtime/runc')] });
      });
      targets.push({ ...dockerTarget('before', before.host), log: before.log });
    }
    // A dockerd on its default socket is the reference when none is named.
    const refHost = values['reference-host'] ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
    if (refHost) {
      progress(`reference: ${refHost}`);
      targets.push(dockerTarget('reference', refHost));
    }
    const userNet = `berth-bench-net${runId}`;
    for (const t of targets) {
      t.version = await serverVersion(t, signal);
      await docker(t, ['import', '--change', 'CMD ["sh"]', rootfsTar, image], { signal });
      await docker(t, ['network', 'create', '--label', label, userNet], { signal });
      cleanups.push(async () => {
        // A run interrupted mid-round may leave its --rm container: only the run's label goes.
        await removeLabelled(t, label);
        await docker(t, ['network', 'rm', userNet], { allowFailure: true, timeoutMs: 60_000 });
        await docker(t, ['rmi', image], { allowFailure: true, timeoutMs: 60_000 });
      });
    }
    const ctx = { targets, image, label, userNet, signal, rounds, burstRounds, traced: values.trace === true };
    const report = [];
    if (phases.has('runRm')) report.push(await benchRunRm(ctx));
    if (phases.has('burst')) report.push(await benchBurst(ctx));
    if (phases.has('dns')) report.push(await benchDns(ctx));
    process.stdout.write(report.join('\n'));
    if (values.trace) for (const t of targets) if (t.log) process.stdout.write(await startTrace(t));
  } finally {
    for (const step of cleanups.reverse()) await step().catch((err) => progress(`cleanup: ${err.message}`));
    if (!values.tmp) {
      const left = await mountsUnder(tmp);
      if (left.length) progress(`not removed: still mounted: ${left.join(', ')}`);
      else await rm(tmp, { recursive: true, force: true });
    }
  }
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) => `${row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`).join('');
}

/** Figure 1: run --rm on the default bridge and with --network none, and the CLI's floor. */
async function benchRunRm({ targets, image, label, signal, rounds }) {
  const samples = {};
  for (const t of targets) for (const k of ['bridge', 'none', 'version']) samples[`${t.key}:${k}`] = [];
  for (let r = 0; r <= rounds; r++) {
    progress(r === 0 ? 'run --rm: warm-up round' : `run --rm: round ${r}/${rounds}`);
    const order = r % 2 ? [...targets].reverse() : targets;
    for (const t of order) {
      const run = (net) => timed(() => docker(t, ['run', '--rm', '--label', label, ...net, image, 'true'], { signal, timeoutMs: 60_000 }));
      const bridge = await run([]);
      const none = await run(['--network', 'none']);
      const version = await timed(() => docker(t, ['version'], { signal, timeoutMs: 30_000 }));
      if (t.log) t.startOrder = [...(t.startOrder ?? []), 'bridge', 'none'];
      if (r === 0) continue;
      samples[`${t.key}:bridge`].push(bridge);
      samples[`${t.key}:none`].push(none);
      samples[`${t.key}:version`].push(version);
    }
  }
  const m = (k) => median(samples[k]);
  const rows = [['docker run --rm … true', ...targets.map((t) => `${t.key} (${t.version})`)]];
  rows.push(['default bridge', ...targets.map((t) => fmtMs(m(`${t.key}:bridge`)))]);
  rows.push(['--network none', ...targets.map((t) => fmtMs(m(`${t.key}:none`)))]);
  rows.push(['bridge − none (networking)', ...targets.map((t) => fmtMs(m(`${t.key}:bridge`) - m(`${t.key}:none`)))]);
  rows.push(['docker version (CLI floor)', ...targets.map((t) => fmtMs(m(`${t.key}:version`)))]);
  let text = table(rows);
  const ours = m('berthd:bridge');
  const hasRef = targets.some((t) => t.key === 'reference');
  const ref = hasRef ? m('reference:bridge') : ISSUE_DOCKERD_MS;
  const mark = hasRef ? '' : '*';
  text += `\ntarget: run --rm on the default bridge at most ${TARGET_RATIO}× dockerd's: ${fmtRatio(ours, ref)}${mark} (${ours <= ref * TARGET_RATIO ? 'met' : 'not met'})\n`;
  if (mark) text += `* against issue 12's dockerd figure (${ISSUE_DOCKERD_MS} ms), not a reference in this run\n`;
  if (targets.some((t) => t.key === 'before')) text += `berthd against the before build on the bridge: ${fmtRatio(ours, m('before:bridge'))}\n`;
  text += '\ndetails:\n';
  for (const [k, v] of Object.entries(samples)) text += `  ${k}: ${spread(v)}\n`;
  return text;
}

/** Figure 2: 50 × run -d at concurrency 10 on one user network against --network none. */
async function benchBurst({ targets, image, label, userNet, signal, burstRounds, traced }) {
  const samples = {};
  for (const t of targets) for (const k of ['user', 'none']) samples[`${t.key}:${k}`] = [];
  for (let r = 0; r < burstRounds; r++) {
    for (const t of targets) {
      const modes = r % 2 ? ['user', 'none'] : ['none', 'user'];
      for (const mode of modes) {
        progress(`${BURST.count} × run -d, concurrency ${BURST.concurrency}, ${mode === 'user' ? 'user network' : '--network none'}: ${t.key} (${r + 1}/${burstRounds})`);
        const net = mode === 'user' ? userNet : 'none';
        const names = Array.from({ length: BURST.count }, (_, i) => `bench-burst-${process.pid}-${r}-${mode}-${i}`);
        const ids = [];
        const from = t.log && traced ? (await logLines(t, 'start steps')).length : 0;
        const ms = await timed(() => pool(names, BURST.concurrency, async (name) => {
          ids.push((await docker(t, ['run', '-d', '--network', net, '--label', label, '--name', name, image, 'sleep', '1000'], { signal })).stdout.trim());
        }));
        samples[`${t.key}:${mode}`].push(ms);
        if (t.log && traced) t.burstMarks = [...(t.burstMarks ?? []), { mode, from, to: (await logLines(t, 'start steps')).length }];
        await pool(ids, BURST.concurrency, (id) => docker(t, ['rm', '-f', id], { signal }));
      }
    }
  }
  const m = (k) => median(samples[k]);
  const rows = [[`${BURST.count} × run -d, concurrency ${BURST.concurrency}`, ...targets.map((t) => t.key)]];
  rows.push(['one user network', ...targets.map((t) => fmtMs(m(`${t.key}:user`)))]);
  rows.push(['--network none', ...targets.map((t) => fmtMs(m(`${t.key}:none`)))]);
  rows.push(['user / none', ...targets.map((t) => fmtRatio(m(`${t.key}:user`), m(`${t.key}:none`)))]);
  let text = table(rows);
  const ratio = m('berthd:user') / m('berthd:none');
  text += `\ntarget: the burst on one user network at most ${BURST.slack}× the burst without networking: ${ratio.toFixed(2)}× (${ratio <= BURST.slack ? 'met' : 'not met'})\n`;
  text += '\ndetails:\n';
  for (const [k, v] of Object.entries(samples)) text += `  ${k}: ${spread(v)}\n`;
  return text;
}

/** Figure 3: a name looked up inside a container on a user network. */
async function benchDns({ targets, image, label, userNet, signal }) {
  const rows = [[`name lookup in a container (${DNS.lookups} × nslookup)`, ...targets.map((t) => t.key)]];
  const results = [];
  for (const t of targets) {
    progress(`name lookups: ${t.key}`);
    const peer = `bench-dns-peer-${process.pid}`;
    const client = `bench-dns-client-${process.pid}`;
    for (const name of [peer, client]) await docker(t, ['run', '-d', '--network', userNet, '--label', label, '--name', name, image, 'sleep', '1000'], { signal });
    const loop = (cmd) => ['exec', client, 'sh', '-c', `i=0; while [ $i -lt ${DNS.lookups} ]; do ${cmd} >/dev/null || exit 1; i=$((i+1)); done`];
    const lookups = [];
    const floors = [];
    let failure;
    try {
      // Warm-up, then three of each, interleaved.
      await docker(t, loop(`nslookup ${peer}`), { signal });
      for (let i = 0; i < 3; i++) {
        lookups.push(await timed(() => docker(t, loop(`nslookup ${peer}`), { signal })));
        floors.push(await timed(() => docker(t, loop('/bin/busybox true'), { signal })));
      }
    } catch (err) {
      // A daemon whose lookups fail is reported as such; the others are still measured.
      if (signal.aborted) throw err;
      failure = err.result ? `nslookup failed (exit status ${err.result.code})` : `failed: ${err.message}`;
    }
    await pool([peer, client], 2, (name) => docker(t, ['rm', '-f', name], { signal }));
    const perLookup = failure ? NaN : (median(lookups) - median(floors)) / DNS.lookups;
    results.push({ t, perLookup, lookups, floors, failure });
  }
  rows.push(['per lookup (nslookup − exec floor)', ...results.map((r) => r.failure ?? `${r.perLookup.toFixed(2)} ms`)]);
  rows.push(['per nslookup, exec included', ...results.map((r) => (r.failure ? '—' : `${(median(r.lookups) / DNS.lookups).toFixed(2)} ms`))]);
  let text = table(rows);
  const ours = results.find((r) => r.t.key === 'berthd').perLookup;
  text += `\ntarget: name resolution inside a container under ${DNS.targetMs} ms: ${ours.toFixed(2)} ms (${ours < DNS.targetMs ? 'met' : 'not met'})\n`;
  return text;
}

/** The JSON lines of berthd's log with one message (debug level: --trace). */
async function logLines(t, msg) {
  const out = [];
  for (const line of (await readFile(t.log, 'utf8')).split('\n')) {
    if (!line.includes(`"${msg}"`)) continue;
    try { out.push(JSON.parse(line)); } catch { /* a line cut by a write in progress */ }
  }
  return out;
}

/** Median milliseconds of each step of `entries` (each with its kind), per kind, as a table. */
function stepTable(entries, kinds) {
  const by = Object.fromEntries(kinds.map((k) => [k, new Map()]));
  const totals = Object.fromEntries(kinds.map((k) => [k, []]));
  for (const { kind, entry } of entries) {
    totals[kind].push(entry.totalMs);
    for (const [step, ms] of Object.entries(entry.stepsMs ?? {})) by[kind].set(step, [...(by[kind].get(step) ?? []), ms]);
  }
  const steps = [...new Set(kinds.flatMap((k) => [...by[k].keys()]))];
  const cell = (v) => (v && v.length ? `${median(v).toFixed(1)} ms` : '—');
  const rows = [['step', ...kinds], ...steps.map((s) => [s, ...kinds.map((k) => cell(by[k].get(s)))])];
  rows.push(['total', ...kinds.map((k) => cell(totals[k]))]);
  return table(rows);
}

/**
 * Median milliseconds of each start step berthd logged ('start steps', debug level), bridge and
 * none apart; the same of each exit step of the run --rm containers ('exit steps': the runtime's
 * delete, each step's release, the auto-removal), and of the burst's starts, user network and none.
 */
async function startTrace(t) {
  const starts = await logLines(t, 'start steps');
  const exits = await logLines(t, 'exit steps');
  const order = t.startOrder ?? [];
  if (starts.length === 0) return `\nstart trace (${t.key}): no "start steps" lines in its log\n`;
  // The run --rm rounds come first, one start and one exit per run in the order they ran.
  let text = `\n${t.key}'s start path, median per step over the run --rm starts:\n`;
  text += stepTable(starts.slice(0, order.length).map((entry, i) => ({ kind: order[i], entry })), ['bridge', 'none']);
  text += `\n${t.key}'s exit path of the run --rm containers (exit to removal), median per step:\n`;
  text += stepTable(exits.slice(0, order.length).map((entry, i) => ({ kind: order[i], entry })), ['bridge', 'none']);
  if (t.burstMarks?.length) {
    const burst = t.burstMarks.flatMap((m) => starts.slice(m.from, m.to).map((entry) => ({ kind: m.mode, entry })));
    text += `\n${t.key}'s start path in the bursts, median per step:\n${stepTable(burst, ['user', 'none'])}`;
  }
  const calls = await logLines(t, 'netavark call');
  if (calls.length) {
    const kindOf = (e) => (e.cmd === 'setup' ? `setup (${e.how ?? (e.isShared ? 'shared' : 'exclusive')})` : e.cmd);
    const kinds = [...new Set(calls.map(kindOf))].sort();
    text += `\n${t.key}'s netavark calls (all of the run; "direct": made without netavark), median per step and count:\n`;
    text += stepTable(calls.map((entry) => ({ kind: kindOf(entry), entry })), kinds);
    text += `  count: ${kinds.map((k) => `${k} ${calls.filter((e) => kindOf(e) === k).length}`).join(', ')}\n`;
  }
  return text;
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
