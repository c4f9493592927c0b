// Builds the berth CLI as one CommonJS file (dist/berth.cjs, with its source map) and a V8
// code cache for it (dist/berth.cjs.cache), so that `berth` starts close to a bare `node`:
// Node then reads and compiles one file instead of resolving ~90 modules (ADR 0014).
// Runs after `tsc` (npm run build); bin/berth falls back to dist/src/berth.js without it.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'berth.cjs');

// Node's own modules load on first use, not when the bundle starts: http, https (hence tls and
// crypto), fs/promises (hence readline) and the rest cost more to load than the CLI's own code
// (ADR 0014). Each `node:x` the bundle imports becomes a small module whose exports are getters
// that require the real one on first read; esbuild reads imported names off the module object
// at each use (`(0, import_node_http.request)(…)`), so a command that never makes a request
// never loads http. Modules that are functions (events, assert) and those Node's bootstrap has
// loaded already stay plain requires.
const requireHere = createRequire(import.meta.url);
// npm packages loaded the same way (tar-stream: only `cp` needs it); bundled, not external.
const LAZY_PACKAGES = new Set(['tar-stream']);
const EAGER = new Set(['events', 'assert', 'assert/strict', 'path', 'fs', 'buffer', 'util']);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^(node:)?[a-z_/0-9-]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (LAZY_PACKAGES.has(name)) return args.namespace === 'lazy-builtin' ? undefined : { path: name, namespace: 'lazy-builtin' };
      if (!builtins.has(name)) return undefined;
      if (args.namespace === 'lazy-builtin' || EAGER.has(name)) return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const spec = LAZY_PACKAGES.has(args.path) ? args.path : `node:${args.path}`;
      const keys = Object.keys(requireHere(spec)).filter((k) => k !== 'default');
      return {
        loader: 'js',
        resolveDir: root,
        contents: `let m;\nconst load = () => m ??= require(${JSON.stringify(spec)});\n`
          + `for (const k of ${JSON.stringify(keys)}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });\n`,
      };
    });
  },
};

await build({
  entryPoints: [path.join(root, 'dist', 'src', 'berth.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [lazyBuiltins],
  // Whitespace and syntax only: names stay as written (stack traces, `.name`); a smaller file
  // is read and hashed faster at each start (ADR 0014).
  minifyWhitespace: true,
  minifySyntax: true,
  // The CLI's modules read their own location (version, build time) through import.meta.url.
  define: { 'import.meta.url': '__berthImportMetaUrl' },
  banner: { js: "var __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The code cache holds what V8 compiled while the CLI ran: made from a few common runs. `ps`
// and `inspect` run against a socket that does not exist, so that the request path (client,
// http) is compiled too; they fail, as they must there.
rmSync(`${out}.cache`, { force: true });
const noDaemon = `unix://${path.join(root, 'dist', 'no-such-berthd.sock')}`;
for (const [args, status] of [[['--version'], 0], [['--help'], 0], [['ps', '--help'], 0], [['run', '--help'], 0], [['ps'], 1], [['inspect', 'x'], 1]]) {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'berth'), ...args], {
    env: { ...process.env, BERTH_WRITE_CODE_CACHE: '1', BERTH_HOST: noDaemon, DOCKER_CONTEXT: '', DOCKER_CONFIG: path.join(root, 'dist') }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== status) throw new Error(`berth ${args.join(' ')} exited ${r.status} while making the code cache: ${r.stderr}`);
}
