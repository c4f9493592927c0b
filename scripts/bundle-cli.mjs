// Builds the berth CLI as one CommonJS file (dist/berth.cjs, with its source map) and a V8
// code cache for it (dist/berth.cjs.cache), so that `berth` starts close to a bare `node`:
// Node then reads and compiles one file instead of resolving ~90 modules (ADR 0014).
// Runs after `tsc` (npm run build); bin/berth falls back to dist/src/berth.js without it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
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
// berth's version is read from package.json at build time rather than found on disk at each
// start (version-info.ts looks for it upward from the module, which in the bundle is dist/).
const VERSION = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const versionLiteral = {
  name: 'version-literal',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]cli[\\/]version-info\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const call = 'export const BERTH_VERSION = findPackageVersion();';
      if (!text.includes(call)) throw new Error(`${args.path}: no '${call}' to replace`);
      return { loader: 'js', contents: text.replace(call, `export const BERTH_VERSION = ${JSON.stringify(VERSION)};`) };
    });
  },
};
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
  plugins: [lazyBuiltins, versionLiteral],
  // Whitespace and syntax only: names stay as written (stack traces, `.name`); a smaller file
  // is read and hashed faster at each start (ADR 0014).
  minifyWhitespace: true,
  minifySyntax: true,
  // The CLI's modules read their own location (version, build time) through import.meta.url.
  define: { 'import.meta.url': '__berthImportMetaUrl' },
  banner: { js: "var __berthImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The code cache holds what V8 compiled while the CLI ran: made from a few common runs, `ps`
// and `inspect` against the tests' fake Engine API, so that the request and output paths are
// compiled too (ADR 0014). spawn, not spawnSync: the fake engine answers from this process.
const { startFakeEngine, sendJson } = await import(path.join(root, 'dist', 'src', 'cli', 'testing', 'fake-engine.js'));
const id = 'c'.repeat(64);
const engine = await startFakeEngine({
  'GET /containers/json': (_req, res) => sendJson(res, 200, [{ Id: id, Names: ['/web'], Image: 'busybox', ImageID: 'sha256:c22f', Command: 'sh', Created: 1700000000, Ports: [{ PrivatePort: 80, Type: 'tcp' }], Labels: {}, State: 'running', Status: 'Up About an hour' }]),
  'GET /containers/web/json': (_req, res) => sendJson(res, 200, { Id: id, Name: '/web', Config: { Tty: false, Env: ['A=b'] }, State: { Running: true } }),
});
try {
  rmSync(`${out}.cache`, { force: true });
  for (const args of [['--version'], ['--help'], ['ps', '--help'], ['run', '--help'], ['ps'], ['inspect', 'web']]) {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'berth'), ...args], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_WRITE_CODE_CACHE: '1', BERTH_HOST: engine.host }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [status] = await once(child, 'exit');
    if (status !== 0) throw new Error(`berth ${args.join(' ')} exited ${status} while making the code cache`);
  }
} finally {
  await engine.close();
}
