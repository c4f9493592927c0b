// Builds the berth CLI as one CommonJS file (dist/berth.cjs, with its source map) and a V8
// code cache for it (dist/berth.cjs.cache), so that `berth` starts close to a bare `node`:
// Node then reads and compiles one file instead of resolving ~90 modules (ADR 0014).
// Runs after `tsc` (npm run build); bin/berth falls back to dist/src/berth.js without it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'berth.cjs');

await build({
  entryPoints: [path.join(root, 'dist', 'src', 'berth.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // The CLI's modules read their own location (version, build time) through import.meta.url.
  define: { 'import.meta.url': '__berthImportMetaUrl' },
  banner: { js: "var __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The code cache holds what V8 compiled while the CLI ran: made from a few common runs.
rmSync(`${out}.cache`, { force: true });
for (const args of [['--version'], ['--help'], ['ps', '--help'], ['run', '--help']]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'berth'), ...args], {
    env: { ...process.env, BERTH_WRITE_CODE_CACHE: '1' }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.status} while making the code cache`);
}
