#!/usr/bin/env node
// Issue 18's figures: how fast the berth CLI answers, against a bare `node -e 0` started the
// same way, in one run (interleaved rounds, medians): `berth --version`, `berth ps`,
// `berth inspect <id>` against a berthd of the bench's own; and how long berthd takes to
// answer /_ping after a start with 0 containers and after a kill -9 with --containers N.
// Entry point: bash bench/run.sh cli [--rounds N] [--containers N] [--baseline DIR]
// --baseline DIR adds the same commands run by another build's launcher (DIR/bin/berth, e.g.
// a copy of main's bin/, dist/berth* and package.json), for before/after in one run.
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, startBerthd } from './lib/berthd.mjs';
import { docker, dockerTarget, removeLabelled } from './lib/docker.mjs';
import { pool } from './lib/proc.mjs';
import { median } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BERTH = join(REPO_ROOT, 'bin', 'berth');
const MODULES = join(REPO_ROOT, 'dist', 'src', 'berth.js');
const FLOOR = `const s = require('node:net').connect(process.env.BERTH_HOST.slice(7)); let b = '', n = 0;
s.write('HEAD /_ping HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n');
s.on('data', (d) => { b += d; const i = b.indexOf('\\r\\n\\r\\n'); if (i < 0) return;
  const cl = /content-length: *(\\d+)/i.exec(b.slice(0, i)); if (n > 0 && !(cl ? b.length >= i + 4 + Number(cl[1]) : b.endsWith('\\r\\n0\\r\\n\\r\\n'))) return;
  if (n++ === 0) { b = ''; s.write('GET /v1.50/containers/json HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'); }
  else { process.stdout.write(b.slice(i + 4) + '\\n'); s.destroy(); } });`;
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

function timed(file, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

async function readyMs(tmp) {
  const t0 = performance.now();
  const d = await startBerthd({ repoRoot: REPO_ROOT, tmp });
  return { ms: performance.now() - t0, d };
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, containers: { type: 'string', default: '1000' }, tmp: { type: 'string' }, 'reference-host': { type: 'string' }, baseline: { type: 'string' } } });
  const rounds = Number(values.rounds);
  const count = Number(values.containers);
  const tmp = values.tmp ? resolve(values.tmp) : await mkdtemp('/tmp/berth-bench.');
  const cleanups = [];
  try {
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, cleanups });
    const b = dockerTarget('berthd', berthd.host);
    await docker(b, ['import', '--change', 'CMD ["sh"]', rootfsTar, 'bench/busybox:cli']);
    const id = (await docker(b, ['create', '--network', 'none', '--label', 'berth.bench=1', 'bench/busybox:cli', 'true'])).stdout.toString().trim();
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, BERTH_HOST: berthd.host };
    const cases = {
      'node -e 0': [process.execPath, ['-e', '0']],
      'berth --version': [process.execPath, [BERTH, '--version']],
      'berth ps': [process.execPath, [BERTH, 'ps']],
      [`berth inspect <id>`]: [process.execPath, [BERTH, 'inspect', id]],
      // The least any Node client can do for `berth ps`: connect, HEAD /_ping, then GET
      // /containers/json on the same connection, print the answer. No berth code: a floor.
      'floor: node -e (ping + list over net)': [process.execPath, ['-e', FLOOR]],
      // The same CLI from its modules (no bundle, no code cache): the figure before ADR 0014.
      'modules: berth --version': [process.execPath, [MODULES, '--version']],
      'modules: berth ps': [process.execPath, [MODULES, 'ps']],
    };
    if (values.baseline) {
      const other = join(resolve(values.baseline), 'bin', 'berth');
      cases['baseline: berth --version'] = [process.execPath, [other, '--version']];
      cases['baseline: berth ps'] = [process.execPath, [other, 'ps']];
      cases['baseline: berth inspect <id>'] = [process.execPath, [other, 'inspect', id]];
    }
    const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
    for (const [file, args] of Object.values(cases)) timed(file, args, env); // warm-up
    progress(`CLI start-up: ${rounds} rounds`);
    for (let r = 0; r < rounds; r++) {
      const names = Object.keys(cases);
      // The order rotates each round, so that no case always runs after the same one.
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + r) % names.length];
        const [file, args] = cases[name];
        samples[name].push(timed(file, args, env));
      }
    }
    const base = median(samples['node -e 0']);
    const lines = ['| command | median ms | ratio to node -e 0 |', '|---|---|---|'];
    for (const [name, s] of Object.entries(samples)) lines.push(`| ${name} | ${median(s).toFixed(1)} | ${(median(s) / base).toFixed(2)}× |`);

    // berthd ready after a start: empty, then with `count` containers after a kill -9.
    await removeLabelled(b, 'berth.bench=1');
    await berthd.stop();
    const empty = await readyMs(tmp);
    const d2 = dockerTarget('berthd', empty.d.host);
    progress(`creating ${count} containers`);
    await pool(Array.from({ length: count }, (_, i) => i), 8, () => docker(d2, ['create', '--network', 'none', '--label', 'berth.bench=1', 'bench/busybox:cli', 'true'], { timeoutMs: 120_000 }));
    process.kill(empty.d.pid, 'SIGKILL');
    await new Promise((r) => { const t = setInterval(() => { if (empty.d.hasExited()) { clearInterval(t); r(); } }, 20); });
    const full = await readyMs(tmp);
    cleanups.push(async () => { await removeLabelled(dockerTarget('berthd', full.d.host), 'berth.bench=1', { timeoutMs: 600_000 }); await full.d.stop(); });
    lines.push('', '| berthd ready (/_ping) | ms |', '|---|---|', `| start, 0 containers | ${empty.ms.toFixed(0)} |`, `| start after kill -9, ${count} containers | ${full.ms.toFixed(0)} |`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err) => progress(`cleanup: ${err.message}`));
  }
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
