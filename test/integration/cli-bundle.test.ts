// Issue 18: the CLI runs from one bundle with a V8 code cache the build made (ADR 0014). What
// must stay true: the launcher uses both, and the bundle behaves as the modules do.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { berthBin, repoRoot } from '../helpers/daemon.js';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', BERTH_CODE_CACHE_REPORT: '1' };

test('berth runs from dist/berth.cjs with the build\'s code cache accepted', async () => {
  assert.ok(existsSync(path.join(repoRoot, 'dist', 'berth.cjs')), 'npm run build bundles the CLI');
  assert.ok(existsSync(path.join(repoRoot, 'dist', 'berth.cjs.map')), 'with its source map');
  const r = await exec(process.execPath, [berthBin, '--version'], { env });
  assert.match(r.stderr, /^code cache: accepted$/m);
  assert.match(r.stdout.toString(), /^berth version \d+\.\d+\.\d+, build \S+\n$/);
});

test('the bundle answers as the modules do: help, an unknown command, a flag error', async () => {
  for (const args of [['--help'], ['nosuch'], ['ps', '--nosuch'], ['run']]) {
    const bundled = await exec(process.execPath, [berthBin, ...args], { env, allowFailure: true });
    const modules = await exec(process.execPath, [path.join(repoRoot, 'dist', 'src', 'berth.js'), ...args], { env, allowFailure: true });
    assert.equal(bundled.code, modules.code, `berth ${args.join(' ')}: exit code`);
    assert.equal(bundled.stdout.toString(), modules.stdout.toString(), `berth ${args.join(' ')}: stdout`);
    assert.equal(bundled.stderr.replace(/^code cache: \w+\n/m, ''), modules.stderr, `berth ${args.join(' ')}: stderr`);
  }
});
