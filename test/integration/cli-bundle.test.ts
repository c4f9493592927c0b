// Issue 18: the CLI runs from bundles with V8 code caches the build made (ADR 0014): one with
// every command group, one per group for a first word that group claims, and `--version`
// answered by the launcher without any. What must stay true: the launcher uses them, and
// they behave as the modules do.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { berthBin, repoRoot } from '../helpers/daemon.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', BERTH_CODE_CACHE_REPORT: '1' };
const modulesEntry = path.join(repoRoot, 'dist', 'src', 'berth.js');

test('berth runs from dist/berth.cjs, or a group\'s bundle, with the build\'s code cache accepted', async () => {
  const dist = path.join(repoRoot, 'dist');
  assert.ok(existsSync(path.join(dist, 'berth.cjs')), 'npm run build bundles the CLI');
  assert.ok(existsSync(path.join(dist, 'berth.cjs.map')), 'with its source map');
  const groups = JSON.parse(readFileSync(path.join(dist, 'berth.cjs.groups'), 'utf8')) as Record<string, string>;
  assert.equal(groups.ps, 'berth-container-ps.cjs');
  assert.equal(groups.run, 'berth-container.cjs');
  assert.equal(groups.inspect, 'berth-inspect.cjs');
  for (const file of new Set(Object.values(groups))) {
    assert.ok(existsSync(path.join(dist, file)) && existsSync(path.join(dist, `${file}.cache`)) && existsSync(path.join(dist, `${file}.map`)), `${file}, its code cache and source map`);
  }
  for (const args of [['--help'], ['ps', '--help'], ['inspect', '--help'], ['-l', 'info', 'image', '--help']]) {
    const r = await exec(process.execPath, [berthBin, ...args], { env });
    assert.match(r.stderr, /^code cache: accepted$/m, `berth ${args.join(' ')}`);
  }
});

test('berth --version and -v are answered without a bundle, as the modules answer them', async () => {
  for (const [args, extra] of [[['--version'], {}], [['-v'], {}], [['--version'], { BERTH_GIT_COMMIT: 'abc1234' }]] as const) {
    const fast = await exec(process.execPath, [berthBin, ...args], { env: { ...env, ...extra } });
    const modules = await exec(process.execPath, [modulesEntry, ...args], { env: { ...env, ...extra } });
    assert.equal(fast.stderr, '', 'no bundle loaded: no code cache report');
    assert.equal(fast.stdout.toString(), modules.stdout.toString());
    assert.match(fast.stdout.toString(), /^berth version \d+\.\d+\.\d+, build \S+\n$/);
  }
});

test('the bundles answer as the modules do: help, an unknown command, a flag error', async () => {
  const cases = [
    ['--help'], ['nosuch'], ['ps', '--nosuch'], ['run'], ['ps', '--help'], ['inspect'], ['inspect', '--help'],
    ['image', 'nosuch'], ['network', 'ls', '--nosuch'], ['compose', '--help'], ['volume'], ['-v', 'ps'], ['-l', 'bogus', 'ps'],
    ['version', '--format', '{{.Client.Version}} {{.Client.APIVersion}}'],
  ];
  for (const args of cases) {
    const bundled = await exec(process.execPath, [berthBin, ...args], { env: { ...env, BERTH_HOST: 'unix:///nonexistent/berth.sock' }, allowFailure: true });
    const modules = await exec(process.execPath, [modulesEntry, ...args], { env: { ...env, BERTH_HOST: 'unix:///nonexistent/berth.sock' }, allowFailure: true });
    assert.equal(bundled.code, modules.code, `berth ${args.join(' ')}: exit code`);
    assert.equal(bundled.stdout.toString(), modules.stdout.toString(), `berth ${args.join(' ')}: stdout`);
    assert.equal(bundled.stderr.replace(/^code cache: \w+\n/m, ''), modules.stderr, `berth ${args.join(' ')}: stderr`);
  }
});
