#!/usr/bin/env node
// Issue 8's log figure: `docker logs --tail` and `--since` on a 1 GB log answer in well under a
// second. The log is written straight into a stopped container's json-file log (conmon's
// k8s-file format, 1 GB of 100-byte lines, one per microsecond of a past hour), then read back
// through the real docker CLI; `docker version` is timed too as the CLI's own floor.
// Entry point: bash bench/run.sh logs [--rounds N]
import { open, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, mountsUnder } from './lib/berthd.mjs';
import { docker, dockerTarget } from './lib/docker.mjs';
import { median } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LOG_BYTES = 1024 ** 3;
const START_MS = Date.UTC(2026, 0, 1);
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

async function writeLog(path) {
  const fh = await open(path, 'w');
  try {
    let written = 0;
    let i = 0;
    const chunk = [];
    let chunkBytes = 0;
    while (written < LOG_BYTES) {
      // Line i is stamped START + i microseconds.
      const t = new Date(START_MS + Math.floor(i / 1_000_000) * 1000).toISOString().slice(0, 19);
      const line = `${t}.${String((i % 1_000_000) * 1000).padStart(9, '0')}+00:00 stdout F ${String(i).padStart(54, '0')}\n`;
      chunk.push(line);
      chunkBytes += line.length;
      i++;
      if (chunkBytes >= 4 << 20) {
        await fh.write(chunk.join(''));
        written += chunkBytes;
        chunk.length = 0;
        chunkBytes = 0;
      }
    }
    return i;
  } finally {
    await fh.close();
  }
}

async function timed(fn) {
  const t0 = performance.now();
  const r = await fn();
  return { ms: performance.now() - t0, r };
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, tmp: { type: 'string' }, 'reference-host': { type: 'string' } } });
  const rounds = Number(values.rounds);
  const tmp = values.tmp ? resolve(values.tmp) : await mkdtemp('/tmp/berth-bench.');
  const cleanups = [];
  try {
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, cleanups });
    const b = dockerTarget('berthd', berthd.host);
    await docker(b, ['import', '--change', 'CMD ["sh"]', rootfsTar, 'bench/busybox:logs']);
    const id = (await docker(b, ['create', 'bench/busybox:logs', 'true'])).stdout.trim();
    const logPath = (await docker(b, ['inspect', '-f', '{{.LogPath}}', id])).stdout.trim();
    progress(`writing a ${LOG_BYTES / 1024 ** 3} GiB log`);
    const lines = await writeLog(logPath);
    // --since a point 99.99 % of the way in: a scan from the start would read the whole GiB.
    const sinceIdx = Math.floor(lines * 0.9999);
    const since = (START_MS / 1000 + sinceIdx / 1e6).toFixed(6);
    const samples = { version: [], tail: [], since: [] };
    let tailOut = '';
    let sinceLines = 0;
    for (let r = 0; r < rounds; r++) {
      samples.version.push((await timed(() => docker(b, ['version', '--format', '{{.Server.Version}}']))).ms);
      const t = await timed(() => docker(b, ['logs', '--tail', '10', id]));
      samples.tail.push(t.ms);
      tailOut = t.r.stdout;
      const s = await timed(() => docker(b, ['logs', '--since', since, id], { timeoutMs: 300_000 }));
      samples.since.push(s.ms);
      sinceLines = s.r.stdout.split('\n').filter(Boolean).length;
    }
    const m = (k) => median(samples[k]);
    process.stdout.write(`log: ${lines} lines, ${(LOG_BYTES / 1024 ** 3).toFixed(2)} GiB\n`);
    process.stdout.write(`docker version (CLI floor)      ${m('version').toFixed(0)} ms\n`);
    process.stdout.write(`docker logs --tail 10           ${m('tail').toFixed(0)} ms (${tailOut.split('\n').filter(Boolean).length} lines)\n`);
    process.stdout.write(`docker logs --since <99.99 %>   ${m('since').toFixed(0)} ms (${sinceLines} lines)\n`);
    process.stdout.write(`target: both well under a second (${m('tail') < 1000 && m('since') < 1000 ? 'met' : 'not met'})\n`);
    process.stdout.write(`samples (ms): ${JSON.stringify(samples)}\n`);
    await docker(b, ['rm', id]);
  } finally {
    for (const step of cleanups.reverse()) await step().catch((err) => progress(`cleanup: ${err.message}`));
    if (!values.tmp) {
      const left = await mountsUnder(tmp);
      if (left.length === 0) await rm(tmp, { recursive: true, force: true });
    }
  }
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
