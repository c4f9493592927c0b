#!/usr/bin/env node
// Issue 12's first speed figure: `docker run --rm` on the default bridge, at most 0.4× a
// reference dockerd's time in the same run (the issue saw dockerd at about 490 ms here). Each
// round times, on each daemon in a rotating order, `docker run --rm <image> true` on the default
// bridge and with `--network none` (the difference is what networking costs a run), and
// `docker version` (the CLI's floor). One warm-up round is not counted.
// Entry point: bash bench/run.sh network [--reference-host HOST] [--rounds N]; without
// --reference-host, a dockerd answering on /var/run/docker.sock is the reference.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, mountsUnder } from './lib/berthd.mjs';
import { docker, dockerTarget, removeLabelled, serverVersion } from './lib/docker.mjs';
import { fmtMs, fmtRatio, median, spread } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** dockerd's figure in issue 12, used (marked *) when no reference runs beside. */
const ISSUE_DOCKERD_MS = 490;
const TARGET_RATIO = 0.4;
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

async function timed(fn) {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  const { values } = parseArgs({
    options: { 'reference-host': { type: 'string' }, rounds: { type: 'string', default: '15' }, tmp: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('Usage: bash bench/run.sh network [--reference-host HOST] [--rounds N (default 15)]\n');
    return;
  }
  const rounds = Number(values.rounds);
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
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, signal, cleanups, config: { bridge: `bb${runId}`.slice(0, 15) } });
    const image = `berth-bench/busybox:net${runId}`;
    const label = `berth-bench=${runId}`;
    const targets = [dockerTarget('berthd', berthd.host)];
    // A dockerd on its default socket is the reference when none is named.
    const refHost = values['reference-host'] ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
    if (refHost) {
      progress(`reference: ${refHost}`);
      targets.push(dockerTarget('reference', refHost));
    }
    for (const t of targets) {
      t.version = await serverVersion(t, signal);
      await docker(t, ['import', '--change', 'CMD ["sh"]', rootfsTar, image], { signal });
      cleanups.push(async () => {
        // A run interrupted mid-round may leave its --rm container: only the run's label goes.
        await removeLabelled(t, label);
        await docker(t, ['rmi', image], { allowFailure: true, timeoutMs: 60_000 });
      });
    }
    const samples = {};
    for (const t of targets) for (const k of ['bridge', 'none', 'version']) samples[`${t.key}:${k}`] = [];
    for (let r = 0; r <= rounds; r++) {
      progress(r === 0 ? 'warm-up round' : `round ${r}/${rounds}`);
      const order = r % 2 ? [...targets].reverse() : targets;
      for (const t of order) {
        const run = (net) => timed(() => docker(t, ['run', '--rm', '--label', label, ...net, image, 'true'], { signal, timeoutMs: 60_000 }));
        const bridge = await run([]);
        const none = await run(['--network', 'none']);
        const version = await timed(() => docker(t, ['version'], { signal, timeoutMs: 30_000 }));
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
    const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
    for (const row of rows) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
    const ours = m('berthd:bridge');
    const ref = targets.length > 1 ? m('reference:bridge') : ISSUE_DOCKERD_MS;
    const mark = targets.length > 1 ? '' : '*';
    process.stdout.write(`\ntarget: run --rm on the default bridge at most ${TARGET_RATIO}× dockerd's: ${fmtRatio(ours, ref)}${mark} (${ours <= ref * TARGET_RATIO ? 'met' : 'not met'})\n`);
    if (mark) process.stdout.write(`* against issue 12's dockerd figure (${ISSUE_DOCKERD_MS} ms), not a reference in this run\n`);
    process.stdout.write('\ndetails:\n');
    for (const [k, v] of Object.entries(samples)) process.stdout.write(`  ${k}: ${spread(v)}\n`);
  } finally {
    for (const step of cleanups.reverse()) await step().catch((err) => progress(`cleanup: ${err.message}`));
    if (!values.tmp) {
      const left = await mountsUnder(tmp);
      if (left.length) progress(`not removed: still mounted: ${left.join(', ')}`);
      else await rm(tmp, { recursive: true, force: true });
    }
  }
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
