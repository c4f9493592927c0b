#!/usr/bin/env node
// Times one process spawn from a Node process holding 0, 200 and 500 MB of heap, through
// Node's child_process.spawn (fork: copies the page tables) and through berthd's posix_spawn
// backend (src/sys/spawn.ts: CLONE_VM|CLONE_VFORK). Issue 15's figure: a spawn from berthd
// with 500 MB of heap within 20 % of a spawn from a bare process. Entry: bench/run.sh spawn.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    worker: { type: 'boolean' }, heap: { type: 'string', default: '0' }, backend: { type: 'string', default: 'node' },
    rounds: { type: 'string', default: '40' }, tmp: { type: 'string' }, 'reference-host': { type: 'string' }, help: { type: 'boolean', short: 'h' },
  },
  strict: false,
});
if (values.help) {
  process.stdout.write('Usage: bash bench/run.sh spawn [--rounds N]\n  times one spawn of /bin/true from Node with 0/200/500 MB of heap, fork vs posix_spawn\n');
  process.exit(0);
}

async function worker() {
  const util = await import(`${REPO_ROOT}/dist/src/util/index.js`);
  if (values.backend === 'posix') util.setSpawner((await import(`${REPO_ROOT}/dist/src/sys/index.js`)).posixSpawner);
  const keep = [];
  // Heap as berthd's is: many small objects and some buffers.
  for (let i = 0; i < Number(values.heap); i++) keep.push(Buffer.alloc(512 * 1024, 1), Array.from({ length: 8000 }, (_, j) => ({ i, j })));
  const rounds = Number(values.rounds);
  const samples = [];
  for (let i = 0; i < rounds + 5; i++) {
    const t = performance.now();
    await util.exec('/bin/true', []);
    if (i >= 5) samples.push(performance.now() - t);
  }
  process.stdout.write(JSON.stringify({ ms: median(samples), rssMiB: process.memoryUsage().rss / 1048576, kept: keep.length }));
}

function measure(heap, backend) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', '--heap', String(heap), '--backend', backend, '--rounds', values.rounds], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`worker ${heap} MB ${backend}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

if (values.worker) {
  await worker();
} else {
  const rows = [];
  let bare;
  for (const heap of [0, 200, 500]) {
    const fork = measure(heap, 'node');
    const vfork = measure(heap, 'posix');
    bare ??= fork.ms;
    rows.push([`${heap} MB (rss ${fork.rssMiB.toFixed(0)} MiB)`, `${fork.ms.toFixed(2)} ms`, `${vfork.ms.toFixed(2)} ms`, `${(vfork.ms / bare).toFixed(2)}×`]);
  }
  const head = ['heap held', 'child_process.spawn', 'posix_spawn (berthd)', 'posix ÷ bare fork'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join(' │ ');
  process.stdout.write(`\nspawn of /bin/true, median of ${values.rounds} (issue 15: with 500 MB within 1.2× of a bare process's spawn)\n${line(head)}\n${widths.map((w) => '─'.repeat(w)).join('─┼─')}\n${rows.map(line).join('\n')}\n`);
}
