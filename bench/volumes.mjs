#!/usr/bin/env node
// Issue 6's speed figure: writing 500 MB into a named volume runs at host-disk speed (within 10 %
// of the same write straight onto the host, in the same run) and faster than into the
// container's own overlay layer. Each write is the same static busybox `dd … conv=fsync`, timed
// inside the writer from /proc/uptime, so container start-up is not counted. With a reference
// daemon, the same two container writes run there too, interleaved round by round.
// Entry point: bash bench/run.sh volumes [--reference-host HOST] [--rounds N]
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, mountsUnder } from './lib/berthd.mjs';
import { docker, dockerTarget, serverVersion } from './lib/docker.mjs';
import { runTool } from './lib/proc.mjs';
import { fmtRatio, median } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MB = 500;
// Times from /proc/uptime (10 ms resolution; not namespaced), before and after the write.
const WRITE = (file) => `read a x < /proc/uptime; dd if=/dev/zero of=${file} bs=1M count=${MB} conv=fsync 2>/dev/null; read b x < /proc/uptime; rm -f ${file}; echo $a $b`;
// Changing a file the image already has: the layer copies the whole file up first, a volume does not.
const BIG_MB = 200;
const APPEND = (file) => `read a x < /proc/uptime; echo more >> ${file}; sync; read b x < /proc/uptime; echo $a $b`;
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

function seconds(stdout) {
  const [a, b] = stdout.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new Error(`unexpected writer output: ${JSON.stringify(stdout)}`);
  return b - a;
}

async function main() {
  const { values } = parseArgs({
    options: { 'reference-host': { type: 'string' }, rounds: { type: 'string', default: '3' }, tmp: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write('Usage: bash bench/run.sh volumes [--reference-host HOST] [--rounds N (default 3)]\n');
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
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, signal, cleanups });
    const runId = String(process.pid);
    const image = `berth-bench/busybox:vol${runId}`;
    const volume = `berth-bench-vol-${runId}`;
    const targets = [{ ...dockerTarget('berthd', berthd.host) }];
    if (values['reference-host']) targets.push({ ...dockerTarget('reference', values['reference-host']) });
    for (const t of targets) {
      t.version = await serverVersion(t, signal);
      await docker(t, ['import', '--change', 'CMD ["sh"]', rootfsTar, image], { signal });
      await docker(t, ['volume', 'create', volume], { signal });
      const maker = `${volume}-mk`;
      cleanups.push(async () => {
        await docker(t, ['rm', '-f', maker], { allowFailure: true, timeoutMs: 60_000 });
        await docker(t, ['volume', 'rm', '-f', volume, `${volume}-big`], { allowFailure: true, timeoutMs: 60_000 });
        await docker(t, ['rmi', `${image}-big`, image], { allowFailure: true, timeoutMs: 60_000 });
      });
      // An image with a 200 MB file, and a volume holding the same file.
      await docker(t, ['run', '--name', maker, '--network', 'none', image, 'dd', 'if=/dev/zero', 'of=/big', 'bs=1M', `count=${BIG_MB}`], { signal, timeoutMs: 300_000 });
      await docker(t, ['commit', maker, `${image}-big`], { signal, timeoutMs: 300_000 });
      await docker(t, ['rm', maker], { signal });
      await docker(t, ['run', '--rm', '--network', 'none', '-v', `${volume}-big:/v`, image, 'dd', 'if=/dev/zero', 'of=/v/big', 'bs=1M', `count=${BIG_MB}`], { signal, timeoutMs: 300_000 });
    }
    // The host's write goes to the same filesystem as berthd's data-root, with the same busybox.
    const hostDir = join(tmp, 'host-write');
    await mkdir(hostDir);
    const samples = { host: [] };
    for (const t of targets) for (const k of ['volume', 'layer', 'append-volume', 'append-layer']) samples[`${t.key}:${k}`] = [];
    for (let r = 0; r < rounds; r++) {
      progress(`round ${r + 1}/${rounds}`);
      samples.host.push(seconds((await runTool('busybox', ['sh', '-c', WRITE(join(hostDir, 'f'))], { signal, timeoutMs: 300_000 })).stdout));
      for (const t of r % 2 ? [...targets].reverse() : targets) {
        samples[`${t.key}:volume`].push(seconds((await docker(t, ['run', '--rm', '--network', 'none', '-v', `${volume}:/v`, image, 'sh', '-c', WRITE('/v/f')], { signal, timeoutMs: 300_000 })).stdout));
        samples[`${t.key}:layer`].push(seconds((await docker(t, ['run', '--rm', '--network', 'none', image, 'sh', '-c', WRITE('/f')], { signal, timeoutMs: 300_000 })).stdout));
        samples[`${t.key}:append-volume`].push(seconds((await docker(t, ['run', '--rm', '--network', 'none', '-v', `${volume}-big:/v`, image, 'sh', '-c', APPEND('/v/big')], { signal, timeoutMs: 300_000 })).stdout));
        samples[`${t.key}:append-layer`].push(seconds((await docker(t, ['run', '--rm', '--network', 'none', `${image}-big`, 'sh', '-c', APPEND('/big')], { signal, timeoutMs: 300_000 })).stdout));
      }
    }
    const mbps = (s) => `${(MB / s).toFixed(0)} MB/s`;
    const host = median(samples.host);
    const rows = [['write 500 MB, conv=fsync', 'median', 'throughput', 'vs host']];
    rows.push(['host directory (same filesystem)', `${host.toFixed(2)} s`, mbps(host), '1.00×']);
    for (const t of targets) {
      for (const kind of ['volume', 'layer']) {
        const m = median(samples[`${t.key}:${kind}`]);
        rows.push([`${t.key} (${t.version}): ${kind === 'volume' ? 'named volume' : 'container layer'}`, `${m.toFixed(2)} s`, mbps(m), fmtRatio(m, host)]);
      }
    }
    const rows2 = [[`append a line to a ${BIG_MB} MB file the image has`, 'median', '', ''], ...targets.flatMap((t) => ['append-volume', 'append-layer'].map((k) => {
      const m = median(samples[`${t.key}:${k}`]);
      return [`${t.key}: ${k === 'append-volume' ? 'in a named volume' : 'in the container layer (copy-up)'}`, `${m.toFixed(2)} s`, '', ''];
    }))];
    rows.push(['', '', '', ''], ...rows2);
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
    const vol = median(samples['berthd:volume']);
    const layer = median(samples['berthd:layer']);
    process.stdout.write(`\ntarget: berthd's volume within 10 % of the host (${vol <= host * 1.1 ? 'met' : 'not met'}: ${fmtRatio(vol, host)}), faster than its layer (${vol < layer ? 'met' : 'not met'}: ${fmtRatio(vol, layer)} of the layer's time)\n`);
    process.stdout.write(`samples (s): ${JSON.stringify(samples)}\n`);
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
