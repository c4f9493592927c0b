// Builds the berth CLI as one CommonJS file (dist/berth.cjs, with its source map) and a V8
// code cache for it (dist/berth.cjs.cache), so that `berth` starts close to a bare `node`:
// Node then reads and compiles one file instead of resolving ~90 modules (ADR 0014). Beside
// it, the same CLI with one command group each (dist/berth-<group>.cjs and their caches),
// which bin/berth runs when the first word names a command of that group, and the libraries
// only some commands use (yaml, tar-stream, the Compose schema's validator).
// Runs after `tsc` (npm run build); bin/berth falls back to dist/src/berth.js without it.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
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
// npm packages loaded the same way (tar-stream: only `cp` and `build` need it), from a bundle
// of their own beside the CLI's (SIDE_BUNDLES below).
const LAZY_PACKAGES = new Map([['tar-stream', './berth-tar-stream.cjs']]);
// berth's version is read from package.json at build time rather than found on disk at each
// start (version-info.ts looks for it upward from the module, which in the bundle is dist/).
const VERSION = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
const BUILD_TIME = new Date().toISOString();
const versionLiteral = {
  name: 'version-literal',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]cli[\\/]version-info\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const call = 'export const BERTH_VERSION = findPackageVersion();';
      if (!text.includes(call)) throw new Error(`${args.path}: no '${call}' to replace`);
      // The build time likewise (the modules take their own file's mtime): the same in every bundle.
      const built = 'export const BUILD_TIME = statSync(fileURLToPath(import.meta.url)).mtime.toISOString();';
      if (!text.includes(built)) throw new Error(`${args.path}: no '${built}' to replace`);
      return { loader: 'js', contents: text.replace(call, `export const BERTH_VERSION = ${JSON.stringify(VERSION)};`).replace(built, `export const BUILD_TIME = ${JSON.stringify(BUILD_TIME)};`) };
    });
  },
};
const EAGER = new Set(['events', 'assert', 'assert/strict', 'path', 'fs', 'buffer', 'util']);
/**
 * The names a module imports from `spec` when it only imports names (`import { randomBytes }
 * from 'node:crypto'`), else undefined (a default or namespace import, a re-export, a dynamic
 * import: it may read any). The lazy module such an importer gets defines only those: defining
 * a getter for each of crypto's ~90 exports, and copying them into esbuild's namespace, cost
 * more at each start than the rest of the module's handling (ADR 0014).
 */
const importedNames = (() => {
  const sources = new Map();
  return (importer, spec) => {
    if (!sources.has(importer)) sources.set(importer, readFileSync(importer, 'utf8'));
    const text = sources.get(importer);
    const quoted = `['"]${spec.replace(/[/]/g, '\\/')}['"]`;
    if (new RegExp(`(export[^;'"]*from|import\\s*\\()\\s*${quoted}`).test(text)) return undefined;
    const clauses = [...text.matchAll(new RegExp(`import\\s*([^;'"]*?)\\s*from\\s*${quoted}`, 'g'))].map((m) => m[1]);
    // Only a default import (`import http from 'node:http'`, read as `http.request`): no names.
    if (clauses.length > 0 && clauses.every((c) => /^[A-Za-z_$][\w$]*$/.test(c))) return [];
    if (clauses.length === 0 || clauses.some((c) => !/^\{[^}]*\}$/.test(c))) return undefined;
    const names = clauses.flatMap((c) => c.slice(1, -1).split(',').map((n) => n.trim().split(/\s+as\s+/)[0]).filter(Boolean));
    return [...new Set(names)].sort();
  };
})();
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^(node:)?[a-z_/0-9-]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.namespace === 'lazy-builtin') return LAZY_PACKAGES.has(name) ? undefined : { path: `node:${name}`, external: true };
      if (!LAZY_PACKAGES.has(name) && !builtins.has(name)) return undefined;
      // One lazy module per set of names imported (`crypto|createHash,randomBytes`; `http|` for a
      // default import only), or one with every name. The modules loaded at once (EAGER) get
      // one only for named imports (`fs|promises,readFileSync`): esbuild's namespace of the
      // real one copies each of its exports (fs: ~100) at each start.
      const names = args.importer ? importedNames(args.importer, args.path) : undefined;
      // A module that is a function (assert, events) cannot be a proxy over an object.
      const callable = !LAZY_PACKAGES.has(name) && typeof requireHere(`node:${name}`) === 'function';
      if ((EAGER.has(name) && names === undefined) || (callable && !(names?.length > 0))) return { path: `node:${name}`, external: true };
      return { path: names ? `${name}|${names.join(',')}` : name, namespace: 'lazy-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const [name, list] = args.path.split('|');
      const spec = LAZY_PACKAGES.has(name) ? name : `node:${name}`;
      const all = Object.keys(requireHere(spec)).filter((k) => k !== 'default');
      const keys = list === undefined ? all : list.split(',').filter(Boolean);
      for (const k of keys) if (!all.includes(k)) throw new Error(`${spec} has no export '${k}'`);
      // Read through its default import only: the module object is a proxy to the real one,
      // with no property of its own for esbuild's namespace to copy.
      if (list === '') {
        return {
          loader: 'js',
          contents: `let m;\nconst load = () => m ??= require(${JSON.stringify(LAZY_PACKAGES.get(name) ?? spec)});\n`
            + 'module.exports = new Proxy({}, { get: (_, k) => load()[k], has: (_, k) => k in load() });\n',
        };
      }
      return {
        loader: 'js',
        resolveDir: root,
        contents: `let m;\nconst load = () => m ??= require(${JSON.stringify(LAZY_PACKAGES.get(name) ?? spec)});\n`
          + `for (const k of ${JSON.stringify(keys)}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });\n`,
      };
    });
  },
};

// Libraries only some commands run are kept out of the bundles every command reads and
// compiles at start: the yaml parser and the Compose schema's generated validator (ajv
// standalone code, 400 KB) for compose, tar-stream for cp and build. Each is bundled into a
// file of its own beside the CLI's, which the CLI requires when it first uses it (ADR 0014).
// They are libraries with no state shared with berth's modules, so nothing has two copies.
// `filter` maps what the CLI imports to the file (tar-stream goes through LAZY_PACKAGES).
const SIDE_BUNDLES = [
  { filter: /^yaml$/, file: 'berth-yaml.cjs', contents: "module.exports = require('yaml');" },
  { filter: /[\\/]compose-spec\.validate\.generated\.js$/, file: 'berth-compose-schema.cjs', entry: path.join(root, 'dist', 'src', 'compose', 'model', 'compose-spec.validate.generated.js') },
  { file: 'berth-tar-stream.cjs', contents: "module.exports = require('tar-stream');" },
];
const sideBundles = {
  name: 'side-bundles',
  setup(b) {
    for (const side of SIDE_BUNDLES.filter((s) => s.filter)) {
      b.onResolve({ filter: side.filter }, (args) => (args.namespace === 'side-bundle' ? undefined : { path: side.file, namespace: 'side-bundle' }));
    }
    // require() relative to the bundle: bin/berth gives it a require made for the bundle's file.
    b.onResolve({ filter: /^\.\/berth-[a-z-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'side-bundle' }, (args) => ({ loader: 'js', contents: `module.exports = require(${JSON.stringify(`./${args.path}`)});\n` }));
  },
};
const COMMON = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Whitespace and syntax only: names stay as written (stack traces, `.name`); a smaller file
  // is read and hashed faster at each start (ADR 0014).
  minifyWhitespace: true,
  minifySyntax: true,
};
for (const side of SIDE_BUNDLES) {
  await build({
    ...COMMON,
    ...(side.entry ? { entryPoints: [side.entry] } : { stdin: { contents: side.contents, resolveDir: root, sourcefile: side.file } }),
    outfile: path.join(root, 'dist', side.file),
  });
}

// The command groups, as src/cli/commands/index.ts lists them: each line's names and the
// module it loads (`() => import('./container.js')`, in the same order in the emitted file).
const GROUPS_FILE = path.join(root, 'dist', 'src', 'cli', 'commands', 'index.js');
const GROUP_IMPORT = /\(\) => import\('\.\/([a-z-]+)\.js'\)/g;
// Then the commands that load alone (`ps`: container-ps.js), in the order of aloneCommands.
const { commandGroups, aloneCommands } = await import(GROUPS_FILE);
const imported = [...readFileSync(GROUPS_FILE, 'utf8').matchAll(GROUP_IMPORT)].map((m) => m[1]);
if (imported.length !== commandGroups.length + aloneCommands.size) throw new Error(`${GROUPS_FILE}: ${imported.length} imports for ${commandGroups.length} groups and ${aloneCommands.size} commands that load alone`);
const groupModules = imported.slice(0, commandGroups.length);
const aloneModules = new Map([...aloneCommands.keys()].map((name, i) => [imported[commandGroups.length + i], name]));

/**
 * The CLI with only `keep`'s command group (all of them when undefined), or only the command
 * that loads alone from module `keep`: the other imports become a rejection, which bin/berth
 * never reaches, since it runs such a bundle only for a first word that group alone claims, or
 * that names that command (loadCommands then loads that group, or that command, only). A
 * group's bundle keeps the modules of its commands that load alone (`ps` in container's).
 */
function onlyGroup(keep) {
  const kept = (module) => module === keep || (aloneModules.has(module) && commandGroups[groupModules.indexOf(keep)]?.names.includes(aloneModules.get(module)));
  return {
    name: 'only-group',
    setup(b) {
      if (keep === undefined) return;
      b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]cli[\\/]commands[\\/]index\.js$/ }, (args) => ({
        loader: 'js',
        contents: readFileSync(args.path, 'utf8').replace(GROUP_IMPORT, (call, module) => (kept(module) ? call : `() => Promise.reject(new Error('berth: ${module}.js is not in ${path.basename(outFor(keep))}'))`)),
      }));
    },
  };
}
const WRAPPER_START = '(function (exports, require, module, __filename, __dirname) {';
const outFor = (group) => (group === undefined ? out : path.join(root, 'dist', `berth-${group}.cjs`));

// esbuild's __toESM makes a namespace for each `import x from 'node:…'` by copying every
// property of the module, once per importing module: 46 copies, up to ~90 properties each
// (crypto), at each start. Made once per module object instead; they are read, never written.
const TO_ESM = 'var __toESM=(mod,isNodeMode,target)=>(';
const TO_ESM_ONCE = 'var __berthNamespaces=new WeakMap(),__toESM=(mod,isNodeMode)=>{if(isNodeMode!==1||mod==null||typeof mod!="object"&&typeof mod!="function")return __toESMCopy(mod,isNodeMode);let ns=__berthNamespaces.get(mod);return ns===void 0&&__berthNamespaces.set(mod,ns=__toESMCopy(mod,1)),ns},__toESMCopy=(mod,isNodeMode,target)=>(';

async function bundle(group) {
  const file = outFor(group);
  const { outputFiles } = await build({
    ...COMMON,
    write: false,
    entryPoints: [path.join(root, 'dist', 'src', 'berth.js')],
    outfile: file,
    plugins: [onlyGroup(group), sideBundles, lazyBuiltins, versionLiteral],
    // The CLI's modules read their own location through import.meta.url: made on first read
    // (pathToFileURL costs more than the rest of the banner; `ps` never reads it).
    define: { 'import.meta.url': '__berthImportMeta.url' },
    // The file is the function CommonJS would wrap it in: bin/berth compiles it as read, with
    // no wrapped copy of the source to make (ADR 0014).
    banner: { js: `${WRAPPER_START}var __berthImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };` },
    footer: { js: '})' },
  });
  for (const o of outputFiles) {
    if (o.path !== file) {
      writeFileSync(o.path, o.contents);
      continue;
    }
    // The helper's line holds only esbuild's helpers: the source map of the rest is unchanged.
    const js = o.text;
    if (js.split(TO_ESM).length !== 2) throw new Error(`${file}: esbuild's __toESM is not '${TO_ESM}…' once`);
    writeFileSync(file, js.replace(TO_ESM, TO_ESM_ONCE));
  }
  // bin/berth reads the bundle as latin1, which holds only while esbuild keeps its default
  // ASCII charset.
  const text = readFileSync(file, 'latin1');
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`${file}: not ASCII; bin/berth reads it as latin1`);
  if (!text.startsWith(WRAPPER_START) || !/\n\}\)\n(\/\/# sourceMappingURL=\S+\n)?$/.test(text)) throw new Error(`${file}: not one function expression`);
}
// Every group's bundle, and one for each command that loads alone (berth-container-ps.cjs).
const bundled = [undefined, ...groupModules, ...aloneModules.keys()];
await Promise.all(bundled.map(bundle));

// bin/berth answers `berth --version` from this file without loading a bundle, and picks a
// group's bundle by the first word from the other: each name only one group claims.
writeFileSync(`${out}.version`, VERSION);
const claims = new Map();
commandGroups.forEach((g, i) => { for (const name of g.names) claims.set(name, claims.has(name) ? null : groupModules[i]); });
for (const [module, name] of aloneModules) claims.set(name, module);
writeFileSync(`${out}.groups`, `${JSON.stringify(Object.fromEntries([...claims].filter(([, g]) => g !== null).map(([name, g]) => [name, path.basename(outFor(g))])))}\n`);

// The code caches hold what V8 compiled while the CLI ran: made from `ps` and `inspect` against
// the tests' fake Engine API, so that the request and output paths are compiled too, and from
// a command's help (ADR 0014). spawn, not spawnSync: the fake engine answers from this process.
// Only these: V8 reads the whole cache at each start, so code compiled for the help of every
// group would cost each `berth ps` more than it saves the rarer commands, which compile what
// they run as they run it. The first word picks the bundle (bin/berth): `-l info ps` runs all.
const CODE_CACHE_RUNS = [['--help'], ['-l', 'info', 'ps'], ['ps'], ['inspect', 'web'], ['ps', '--help'], ['inspect', '--help'],
  ...commandGroups.map((g) => [g.names[0], '--help']).filter(([name]) => name !== 'inspect')];
const { startFakeEngine, sendJson } = await import(path.join(root, 'dist', 'src', 'cli', 'testing', 'fake-engine.js'));
const id = 'c'.repeat(64);
const engine = await startFakeEngine({
  'GET /containers/json': (_req, res) => sendJson(res, 200, [{ Id: id, Names: ['/web'], Image: 'busybox', ImageID: 'sha256:c22f', Command: 'sh', Created: 1700000000, Ports: [{ PrivatePort: 80, Type: 'tcp' }], Labels: {}, State: 'running', Status: 'Up About an hour' }]),
  'GET /containers/web/json': (_req, res) => sendJson(res, 200, { Id: id, Name: '/web', Config: { Tty: false, Env: ['A=b'] }, State: { Running: true } }),
});
try {
  for (const group of bundled) rmSync(`${outFor(group)}.cache`, { force: true });
  for (const args of CODE_CACHE_RUNS) {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'berth'), ...args], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', BERTH_WRITE_CODE_CACHE: '1', BERTH_HOST: engine.host }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    const [status] = await once(child, 'exit');
    if (status !== 0) throw new Error(`berth ${args.join(' ')} exited ${status} while making the code cache`);
  }
} finally {
  await engine.close();
}
