#!/usr/bin/env node
// Times `docker pull` of a multi-layer image from a local docker-registry: berthd and, when
// given, a reference daemon, in turns; prints medians, throughput and the ratio (issue 5's
// target: berthd at 2x dockerd's throughput). Entry point: bench/run.sh (README.md there).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { spawn } from 'node:child_process';
import { mountsUnder, removeLeftovers, startBerthd } from './lib/berthd.mjs';
import { docker, dockerTarget, serverVersion } from './lib/docker.mjs';
import { runTool } from './lib/proc.mjs';
import { fmtRatio, fmtS, median, printTable } from './lib/report.mjs';

const USAGE = `Usage: bash bench/run.sh --suite pull [--reference-host unix:///var/run/docker.sock] [--rounds N]

  --reference-host HOST  DOCKER_HOST of a running dockerd to compare with
  --rounds N             timed pulls per daemon (default 3)
  --layers N             layers of the test image (default 4)
  --layer-mb N           size of each layer in MB of random data (default 50)
  --tmp DIR              work directory (run.sh makes one under /tmp)
`;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'reference-host': { type: 'string' },
      rounds: { type: 'string', default: '3' },
      layers: { type: 'string', default: '4' },
      'layer-mb': { type: 'string', default: '50' },
      network: { type: 'string' },
      tmp: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const int = (name, v) => { const n = Number(v); if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: not a positive integer: ${v}`); return n; };
  return { referenceHost: values['reference-host'], rounds: int('rounds', values.rounds), layers: int('layers', values.layers), layerMb: int('layer-mb', values['layer-mb']), tmp: values.tmp, help: values.help };
}

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
  });
}

async function sha256File(file) {
  const h = createHash('sha256');
  for await (const c of createReadStream(file)) h.update(c);
  return `sha256:${h.digest('hex')}`;
}

/** One layer: a tar of two files of random bytes, gzip-compressed; returns digests and sizes. */
async function makeLayer(dir, i, mb) {
  const root = join(dir, `layer${i}`);
  await mkdir(join(root, `data${i}`), { recursive: true });
  for (const part of [0, 1]) {
    const out = createWriteStream(join(root, `data${i}`, `part${part}.bin`));
    const total = Math.floor((mb * 1e6) / 2);
    for (let done = 0; done < total;) {
      const n = Math.min(1 << 20, total - done);
      if (!out.write(randomBytes(n))) await new Promise((r) => out.once('drain', r));
      done += n;
    }
    await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  }
  const tar = join(dir, `layer${i}.tar`);
  await runTool('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=2024-01-01', '-C', root, '-cf', tar, '.'], { timeoutMs: 300_000 });
  await rm(root, { recursive: true, force: true });
  const gz = `${tar}.gz`;
  await pipeline(createReadStream(tar), createGzip({ level: 1 }), createWriteStream(gz));
  const diffId = await sha256File(tar);
  await rm(tar, { force: true });
  return { file: gz, digest: await sha256File(gz), size: (await stat(gz)).size, diffId };
}

async function startRegistry(dir) {
  const port = await freePort();
  const config = join(dir, 'registry.yml');
  await writeFile(config, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'registry-data')}`,
    'http:', `  addr: 127.0.0.1:${port}`, '',
  ].join('\n'));
  const child = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => { const q = http.get(`${url}/v2/`, (res) => { res.resume(); r(true); }); q.on('error', () => r(false)); });
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}`);
    await sleep(50);
  }
  return { host: `127.0.0.1:${port}`, url, stop: () => new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); child.kill('SIGTERM'); }) };
}

function request(method, url, { body, headers = {} } = {}) {
  return new Promise((res, rej) => {
    const req = http.request(url, { method, headers }, (r) => {
      const chunks = [];
      r.on('data', (c) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', rej);
    if (body && typeof body.pipe === 'function') body.pipe(req); else req.end(body);
  });
}

async function pushBlob(reg, repo, { digest, size, open }) {
  const start = await request('POST', `${reg.url}/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const loc = new URL(start.headers.location, reg.url);
  loc.searchParams.set('digest', digest);
  const put = await request('PUT', loc, { body: open(), headers: { 'Content-Length': size, 'Content-Type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`upload ${digest}: ${put.status} ${put.body}`);
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.help) { process.stdout.write(USAGE); return 0; }
  const cleanups = [];
  const tmp = opts.tmp ? resolve(opts.tmp) : await mkdtemp('/tmp/berth-bench.');
  if (!opts.tmp) cleanups.push(async () => rm(tmp, { recursive: true, force: true }));
  const runId = basename(tmp).toLowerCase().replace(/[^a-z0-9]/g, '').replace(/^berthbench/, '') || String(process.pid);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const work = join(tmp, 'pull');
    await mkdir(work, { recursive: true });
    progress(`making ${opts.layers} layers of ${opts.layerMb} MB`);
    const layers = [];
    for (let i = 0; i < opts.layers; i++) layers.push(await makeLayer(work, i, opts.layerMb));
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `bench layer ${i}` })),
    }));
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.size, digest: l.digest })),
    }));
    const totalBytes = layers.reduce((n, l) => n + l.size, 0);

    progress('starting docker-registry');
    const reg = await startRegistry(work);
    cleanups.push(() => reg.stop());
    const repo = 'bench/pull';
    for (const l of layers) await pushBlob(reg, repo, { digest: l.digest, size: l.size, open: () => createReadStream(l.file) });
    await pushBlob(reg, repo, { digest: configDigest, size: config.length, open: () => Readable.from([config]) });
    const put = await request('PUT', `${reg.url}/v2/${repo}/manifests/${runId}`, { body: manifest, headers: { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' } });
    if (put.status !== 201) throw new Error(`manifest: ${put.status} ${put.body}`);
    for (const l of layers) await rm(l.file, { force: true });
    const image = `${reg.host}/${repo}:${runId}`;

    progress('starting berthd');
    await mkdir(join(tmp, 'berthd'), { recursive: true });
    const berthd = await startBerthd({ repoRoot: REPO_ROOT, tmp: join(tmp, 'berthd'), signal: ac.signal });
    cleanups.push(async () => {
      await berthd.stop();
      await removeLeftovers({ tmp: join(tmp, 'berthd'), runcRoots: [join(berthd.execRoot, 'runtime/runc')] });
    });
    const targets = [{ ...dockerTarget('berthd', berthd.host) }];
    targets[0].version = await serverVersion(targets[0], ac.signal);
    if (opts.referenceHost) {
      const ref = dockerTarget('reference', opts.referenceHost);
      ref.version = await serverVersion(ref, ac.signal);
      if (ref.version.startsWith('unreachable')) throw new Error(`reference ${opts.referenceHost}: ${ref.version}`);
      cleanups.push(() => docker(ref, ['rmi', image], { allowFailure: true, timeoutMs: 120_000 }));
      targets.push(ref);
    }
    const samples = Object.fromEntries(targets.map((t) => [t.key, []]));
    for (let round = 0; round < opts.rounds; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        await docker(t, ['rmi', image], { allowFailure: true, timeoutMs: 120_000 });
        const started = performance.now();
        await docker(t, ['pull', '-q', image], { signal: ac.signal, timeoutMs: 600_000 });
        const ms = performance.now() - started;
        samples[t.key].push(ms);
        progress(`round ${round + 1}: ${t.key} ${(ms / 1000).toFixed(2)} s (${(totalBytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s)`);
      }
    }
    for (const t of targets) await docker(t, ['rmi', image], { allowFailure: true, timeoutMs: 120_000 });
    const med = Object.fromEntries(targets.map((t) => [t.key, median(samples[t.key])]));
    const mbps = (ms) => (Number.isFinite(ms) ? `${(totalBytes / 1e6 / (ms / 1000)).toFixed(1)} MB/s` : '—');
    process.stdout.write(`\npull of ${opts.layers} × ${opts.layerMb} MB layers (${(totalBytes / 1e6).toFixed(1)} MB compressed) from docker-registry on 127.0.0.1; ${opts.rounds} rounds, medians\n`);
    process.stdout.write(`host: ${os.release()}, ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    for (const t of targets) process.stdout.write(`${t.key}: ${t.version}\n`);
    process.stdout.write('\n');
    const refMs = med.reference;
    const ratio = Number.isFinite(refMs) ? refMs / med.berthd : NaN;
    process.stdout.write(printTable([
      { metric: 'docker pull (time)', berthd: fmtS(med.berthd), runc: '—', reference: fmtS(refMs), vsRunc: '—', vsRef: fmtRatio(med.berthd, refMs), target: '≤ 0.5× dockerd', met: Number.isFinite(ratio) ? (ratio >= 2 ? 'yes' : 'no') : '—' },
      { metric: 'throughput', berthd: mbps(med.berthd), runc: '—', reference: mbps(refMs), vsRunc: '—', vsRef: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—', target: '≥ 2× dockerd', met: Number.isFinite(ratio) ? (ratio >= 2 ? 'yes' : 'no') : '—' },
    ]) + '\n');
    process.stdout.write(`\nsamples (s): ${targets.map((t) => `${t.key} ${samples[t.key].map((ms) => (ms / 1000).toFixed(2)).join(' ')}`).join('; ')}\n`);
    return 0;
  } finally {
    for (const step of cleanups.reverse()) await step().catch((err) => progress(`cleanup: ${err.message}`));
    const left = await mountsUnder(tmp).catch(() => []);
    if (left.length) progress(`cleanup: still mounted under ${tmp}: ${left.join(', ')}`);
  }
}


main().then((code) => process.exit(code), (err) => { process.stderr.write(`bench: ${err.stack ?? err.message}\n`); process.exit(1); });
