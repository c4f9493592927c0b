#!/usr/bin/env node
// Issue 8's health figure: 100 containers with a 1 s health check, and the CPU berthd itself
// uses meanwhile (its utime+stime from /proc over a measured window, as % of one core). The
// probes' own conmon and runc processes are not berthd's and are reported apart (probes run).
// Entry point: bash bench/run.sh health [--count N] [--seconds S]
import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchBerthd, mountsUnder } from './lib/berthd.mjs';
import { spawn } from 'node:child_process';
import { DOCKER, docker, dockerTarget, removeLabelled } from './lib/docker.mjs';
import { pool } from './lib/proc.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);
const CLK_TCK = 100;

async function cpuTicks(pid) {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function main() {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, seconds: { type: 'string', default: '20' }, tmp: { type: 'string' }, 'reference-host': { type: 'string' }, rounds: { type: 'string' } } });
  const count = Number(values.count);
  const seconds = Number(values.seconds);
  const tmp = values.tmp ? resolve(values.tmp) : await mkdtemp('/tmp/berth-bench.');
  const cleanups = [];
  try {
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, cleanups });
    const b = dockerTarget('berthd', berthd.host);
    cleanups.push(() => removeLabelled(b, null, { timeoutMs: 300_000 }));
    await docker(b, ['import', '--change', 'CMD ["sh"]', rootfsTar, 'bench/busybox:health']);
    const idleStart = await cpuTicks(berthd.pid);
    await sleep(5000);
    const idlePct = ((await cpuTicks(berthd.pid)) - idleStart) / CLK_TCK / 5 * 100;
    progress(`starting ${count} containers with a 1 s health check`);
    await pool(Array.from({ length: count }, (_, i) => i), 10, (i) => docker(b, ['run', '-d', '--network', 'none', '--name', `hc-${i}`, '--health-cmd', 'true', '--health-interval', '1s', 'bench/busybox:health', 'sleep', '100000'], { timeoutMs: 120_000 }));
    await sleep(5000);
    const counter = countProbes(b);
    const t0 = performance.now();
    const c0 = await cpuTicks(berthd.pid);
    await sleep(seconds * 1000);
    const c1 = await cpuTicks(berthd.pid);
    const elapsed = (performance.now() - t0) / 1000;
    const probes = counter.stop();
    const pct = (c1 - c0) / CLK_TCK / elapsed * 100;
    const healthy = (await docker(b, ['ps', '-q', '--filter', 'health=healthy'])).stdout.split('\n').filter(Boolean).length;
    process.stdout.write(`containers: ${count}, health interval 1 s, window ${elapsed.toFixed(1)} s\n`);
    process.stdout.write(`berthd CPU, idle before:       ${idlePct.toFixed(1)} % of one core\n`);
    process.stdout.write(`berthd CPU, probing:           ${pct.toFixed(1)} % of one core (target < 10 %: ${pct < 10 ? 'met' : 'not met'})\n`);
    process.stdout.write(`probes completed in the window: ${probes} (${(probes / elapsed).toFixed(1)}/s; ${count}/s asked; each is a conmon + runc exec, which this 2-core machine paces)\n`);
    process.stdout.write(`healthy at the end: ${healthy}/${count}\n`);
  } finally {
    for (const step of cleanups.reverse()) await step().catch((err) => progress(`cleanup: ${err.message}`));
    if (!values.tmp) {
      const left = await mountsUnder(tmp);
      if (left.length === 0) await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** Counts `exec_die` events (one per probe) while it runs: `stop()` ends it and gives the count. */
function countProbes(b) {
  const child = spawn(DOCKER, ['events', '--filter', 'event=exec_die', '--format', '.'], { env: b.env, stdio: ['ignore', 'pipe', 'ignore'] });
  let n = 0;
  child.stdout.on('data', (c) => { n += c.toString().split('\n').filter(Boolean).length; });
  return { stop: () => { child.kill(); return n; } };
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
