#!/usr/bin/env node
// Issue 13's figures: the legacy builder (`DOCKER_BUILDKIT=0 docker build`) on berthd and, when
// given, a reference daemon, in one run: a cold build (--no-cache) and a fully cached rebuild
// of the same 10-step Dockerfile (FROM, ENV, WORKDIR, COPY ×2, RUN ×3, LABEL, CMD), medians of
// interleaved rounds. Targets: cached at most 0.5× the reference's, cold no slower than it.
// With --before-repo DIR, a second berthd built in DIR (the "before" of a change) is measured in
// the same rounds. Entry point: bash bench/run.sh build [--rounds N] [--reference-host HOST] [--before-repo DIR]
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchBerthd, removeLeftovers, startBerthd } from './lib/berthd.mjs';
import { docker, dockerTarget, serverVersion } from './lib/docker.mjs';
import { fmtMs, fmtRatio, median } from './lib/report.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);
const HELP = `usage: bash bench/run.sh build [--rounds N] [--reference-host HOST] [--before-repo DIR]
  --rounds N             rounds of each build (default 5)
  --reference-host HOST  DOCKER_HOST of a running dockerd to compare with
  --before-repo DIR      also measure a berthd built in DIR (another checkout: the "before" of a change)
`;

const DOCKERFILE = `FROM bench/busybox:build
ENV APP=/app MODE=bench
WORKDIR $APP
COPY src/ ./src/
RUN for i in 1 2 3 4 5 6 7 8; do cat src/*.txt > out.$i; done
COPY config.json ./
RUN mkdir -p data && echo "$MODE" > data/mode
RUN ls -lR /app > /manifest.txt
LABEL org.example.bench=build
CMD ["cat", "/manifest.txt"]
`;

async function makeContext(dir, tag) {
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
  for (let i = 0; i < 20; i++) await writeFile(join(dir, 'src', `f${i}.txt`), `file ${i} ${'x'.repeat(4096)}\n`);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ tag }));
}

async function timedBuild(target, ctx, extra) {
  const t0 = performance.now();
  await docker(target, ['build', '-q', ...extra, ctx], { timeoutMs: 600_000 });
  return performance.now() - t0;
}

async function main() {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, tmp: { type: 'string' }, 'reference-host': { type: 'string' }, 'before-repo': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) { process.stdout.write(HELP); return; }
  const rounds = Number(values.rounds);
  const tmp = values.tmp ? resolve(values.tmp) : await mkdtemp('/tmp/berth-bench.');
  const cleanups = [];
  try {
    const { berthd, rootfsTar } = await benchBerthd({ repoRoot: REPO_ROOT, tmp, cleanups });
    const targets = [dockerTarget('berthd', berthd.host)];
    if (values['before-repo']) {
      const dir = join(tmp, 'before');
      await mkdir(dir, { recursive: true });
      progress(`starting the berthd of ${values['before-repo']}`);
      const before = await startBerthd({ repoRoot: resolve(values['before-repo']), tmp: dir });
      cleanups.push(async () => {
        await before.stop();
        await removeLeftovers({ tmp: dir, runcRoots: [join(before.execRoot, 'runtime/runc')] });
      });
      targets.push(dockerTarget('before', before.host));
    }
    if (values['reference-host']) targets.push(dockerTarget('reference', values['reference-host']));
    // A tag of this run only: the reference's images are not touched beyond it.
    const tag = `bench/build-${process.pid}`;
    const ctx = join(tmp, 'build-context');
    await makeContext(ctx, tag);
    for (const t of targets) {
      t.env.DOCKER_BUILDKIT = '0';
      progress(`${t.key}: ${await serverVersion(t)}`);
      await docker(t, ['import', '--change', 'CMD ["sh"]', rootfsTar, 'bench/busybox:build']);
      cleanups.push(async () => {
        // The cached images go with the tags: rmi removes the untagged parents it made.
        await docker(t, ['rmi', '-f', `${tag}:last`, 'bench/busybox:build'], { allowFailure: true });
        await docker(t, ['image', 'prune', '-f'], { allowFailure: true });
      });
      await timedBuild(t, ctx, ['-t', `${tag}:last`]); // warm-up, and fills the cache
    }
    const samples = Object.fromEntries(targets.flatMap((t) => [[`${t.key} cold`, []], [`${t.key} cached`, []]]));
    progress(`${rounds} rounds of a cold and a cached build on ${targets.map((t) => t.key).join(' and ')}`);
    for (let r = 0; r < rounds; r++) {
      // The daemons take turns in an order that rotates each round.
      for (const t of [...targets.slice(r % targets.length), ...targets.slice(0, r % targets.length)]) {
        samples[`${t.key} cold`].push(await timedBuild(t, ctx, ['--no-cache', '-t', `${tag}:last`]));
        samples[`${t.key} cached`].push(await timedBuild(t, ctx, ['-t', `${tag}:last`]));
        // The docker CLI's own floor under every figure: its start-up and one request.
        const t0 = performance.now();
        await docker(t, ['version', '--format', '{{.Server.Version}}']);
        (samples[`${t.key} version`] ??= []).push(performance.now() - t0);
      }
    }
    const m = (k) => median(samples[k] ?? []);
    const lines = ['| build (10 steps) | berthd | reference | berthd / reference | target | met? |', '|---|---|---|---|---|---|'];
    for (const [kind, target, limit] of [['cold', 'no slower (≤ 1×)', 1], ['cached', '≤ 0.5×', 0.5]]) {
      const b = m(`berthd ${kind}`);
      const ref = m(`reference ${kind}`);
      const met = Number.isFinite(ref) ? (b <= ref * limit ? 'yes' : 'no') : '—';
      lines.push(`| ${kind} | ${fmtMs(b)} | ${fmtMs(ref)} | ${fmtRatio(b, ref)} | ${target} | ${met} |`);
    }
    if (samples['before cold']) {
      lines.push('', '| build (10 steps) | berthd | before | berthd / before | before / reference |', '|---|---|---|---|---|');
      for (const kind of ['cold', 'cached']) lines.push(`| ${kind} | ${fmtMs(m(`berthd ${kind}`))} | ${fmtMs(m(`before ${kind}`))} | ${fmtRatio(m(`berthd ${kind}`), m(`before ${kind}`))} | ${fmtRatio(m(`before ${kind}`), m(`reference ${kind}`))} |`);
    }
    lines.push('', `docker version (the CLI's floor): ${targets.map((t) => `${t.key} ${fmtMs(m(`${t.key} version`))}`).join(', ')}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    for (const c of cleanups.reverse()) await c().catch((err) => progress(`cleanup: ${err.message}`));
  }
}

main().catch((err) => { process.stderr.write(`bench: ${err.stack ?? err}\n`); process.exitCode = 1; });
