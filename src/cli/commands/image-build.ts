/**
 * `berth build` as docker's legacy builder client (docker/cli cli/command/image/build.go with
 * DOCKER_BUILDKIT=0): the context is a directory (packed here with .dockerignore applied,
 * owners 0:0, the Dockerfile and .dockerignore always sent), a tar on stdin (`-`, sent as
 * is; plain text on stdin is taken as the Dockerfile), and `-f -` reads the Dockerfile from
 * stdin and adds it to the context under a random name, as AddDockerfileToBuildContext does.
 * The daemon's JSON stream is printed as docker prints it; an error message ends the build
 * with its code (a failing RUN's exit code), else 1.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';
import { StreamError } from '../../client/index.js';
import { exec, ignoreMatcher } from '../../util/index.js';
import type { Cli } from '../context.js';
import type { Command, Invocation } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import { humanSize } from '../format/units.js';
import { parseNormalizedNamed } from '../reference.js';
import { displayBuildProgress } from '../stream/build-progress.js';
import { displayJsonMessages } from '../stream/json-message.js';
import { bytesFlag, swapBytesFlag, ulimitFlag } from '../opts/flag-values.js';
import { platformParam } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/** What the context turned into: a tar stream and the Dockerfile's name inside it. */
export interface BuildContext {
  body: Readable;
  dockerfile: string;
  /** Removes what making the context left behind (a git clone). */
  cleanup?: () => Promise<void>;
}

/** docker's IsArchive: a compressed stream's magic, or a valid tar header. */
export function isArchive(head: Buffer): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b) return true;
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return true;
  if (head[0] === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\0') return true;
  if (head.readUInt32LE(0) === 0xfd2fb528) return true;
  if (head.length < 512) return false;
  if (head.subarray(257, 262).toString('latin1') === 'ustar') return true;
  // An old-style (v7) tar: the header checksum is right.
  const stored = parseInt(head.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : head[i]!;
  return sum === stored;
}

/** Reads up to `n` bytes of `input` and returns them and a stream that still yields everything. */
async function peek(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(c);
    size += c.length;
  }
  const head = Buffer.concat(chunks);
  const stream = Readable.from((async function* () {
    if (head.length > 0) yield head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })());
  return { head, stream };
}

/** A tar holding only `files` (name → bytes), as docker packs a Dockerfile read from stdin. */
function tarOf(files: Array<{ name: string; data: Buffer; mode: number }>): Readable {
  const pack = tar.pack();
  const now = new Date();
  for (const f of files) pack.entry({ name: f.name, mode: f.mode, mtime: now, uid: 0, gid: 0, size: f.data.length }, f.data);
  pack.finalize();
  return pack as unknown as Readable;
}

async function readAllOf(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  return fsp.lstat(p).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined; throw e; });
}

/** Go's EvalSymlinks error: lstat of the first component that does not exist. */
async function missingComponent(abs: string): Promise<string> {
  let p = path.parse(abs).root;
  for (const part of abs.split(path.sep).filter(Boolean)) {
    p = path.join(p, part);
    if (!(await lstatOrUndefined(p))) return p;
  }
  return abs;
}

/** GetContextFromLocalDir: the context directory and the Dockerfile's path relative to it. */
async function localContext(dir: string, dockerfileFlag: string): Promise<{ contextDir: string; relDockerfile: string }> {
  // isLocalDir: anything that exists goes on; a file is refused below.
  if (!(await fsp.stat(dir).then(() => true, () => false))) throw new Error(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
  const contextDir = await fsp.realpath(path.resolve(dir));
  const st = await fsp.stat(contextDir);
  if (!st.isDirectory()) throw new Error(`unable to prepare context: context must be a directory: ${contextDir}`);
  if (dockerfileFlag === '-') return { contextDir, relDockerfile: '-' };
  let abs = dockerfileFlag ? path.resolve(dockerfileFlag) : path.join(contextDir, 'Dockerfile');
  if (!dockerfileFlag && !(await lstatOrUndefined(abs))) {
    const lower = path.join(contextDir, 'dockerfile');
    if (await lstatOrUndefined(lower)) abs = lower;
  }
  try {
    abs = await fsp.realpath(abs);
  } catch {
    throw new Error(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${await missingComponent(abs)}: no such file or directory`);
  }
  return { contextDir, relDockerfile: path.relative(contextDir, abs) };
}

/**
 * TarWithOptions over the context with the exclusions: owners 0:0, a directory left out
 * unless an exception pattern may bring back something under it, entries in lexical order.
 */
export function packContext(contextDir: string, isExcluded: (rel: string) => boolean, hasExceptions: boolean): Readable {
  const pack = tar.pack();
  const entry = (h: Partial<tar.Header> & { name: string }, body?: Readable): Promise<void> => new Promise((resolve, reject) => {
    const w = pack.entry(h as tar.Header, (err) => (err ? reject(err) : resolve()));
    if (body) body.on('error', reject).pipe(w);
  });
  const walk = async (rel: string): Promise<void> => {
    const abs = rel ? path.join(contextDir, rel) : contextDir;
    for (const name of (await fsp.readdir(abs)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const excluded = isExcluded(r);
      const st = await fsp.lstat(path.join(contextDir, r));
      if (excluded && !(st.isDirectory() && hasExceptions)) continue;
      const base = { name: r, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: st.mtime };
      if (st.isDirectory()) {
        if (!excluded) await entry({ ...base, type: 'directory' });
        await walk(r);
      } else if (st.isSymbolicLink()) {
        await entry({ ...base, type: 'symlink', linkname: await fsp.readlink(path.join(contextDir, r)) });
      } else if (st.isFile()) {
        try {
          await fsp.access(path.join(contextDir, r), fsp.constants.R_OK);
        } catch {
          throw new Error(`error checking context: no permission to read from '${path.join(contextDir, r)}'`);
        }
        await entry({ ...base, type: 'file', size: st.size }, createReadStream(path.join(contextDir, r)));
      }
    }
  };
  walk('').then(() => pack.finalize(), (err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}

/** AddDockerfileToBuildContext: the Dockerfile under a random name, also listed in .dockerignore. */
function addDockerfile(context: Readable, dockerfile: Buffer): BuildContext {
  const name = `.dockerfile.${randomBytes(10).toString('hex')}`;
  const extract = tar.extract();
  const pack = tar.pack();
  let ignore: Buffer | undefined;
  let ignoreHeader: tar.Header | undefined;
  extract.on('entry', (h, stream, next) => {
    if (h.name === '.dockerignore' || h.name === './.dockerignore') {
      void readAllOf(stream as unknown as Readable).then((b) => { ignore = b; ignoreHeader = h; next(); }, next);
      return;
    }
    stream.pipe(pack.entry(h, next));
  });
  extract.on('finish', () => {
    const now = new Date();
    pack.entry({ name, mode: 0o600, mtime: now, size: dockerfile.length }, dockerfile);
    const body = Buffer.concat([ignore ?? Buffer.from('.dockerignore'), Buffer.from(`\n${name}\n`)]);
    pack.entry({ ...(ignoreHeader ?? { mode: 0o600, mtime: now }), name: '.dockerignore', size: body.length, type: 'file' }, body);
    pack.finalize();
  });
  extract.on('error', (err) => pack.destroy(err));
  context.on('error', (err) => extract.destroy(err));
  context.pipe(extract);
  return { body: pack as unknown as Readable, dockerfile: name };
}

async function makeContext(ctx: Cli, specified: string, dockerfileFlag: string): Promise<BuildContext> {
  const dockerfileFromStdin = dockerfileFlag === '-';
  if (specified === '-') {
    if (dockerfileFromStdin) throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
    const { head, stream } = await peek(ctx.io.stdin, 512);
    if (isArchive(head)) return { body: stream, dockerfile: dockerfileFlag };
    // Plain text on stdin is the Dockerfile of a context holding nothing else.
    return { body: tarOf([{ name: 'Dockerfile', data: await readAllOf(stream), mode: 0o644 }]), dockerfile: 'Dockerfile' };
  }
  if (/^(git@|github\.com\/|git:\/\/)/.test(specified) || (/^https?:\/\//.test(specified) && /\.git(#.*)?$/.test(specified))) {
    return gitContext(ctx, specified, dockerfileFlag);
  }
  if (/^https?:\/\//.test(specified)) return urlContext(ctx, specified, dockerfileFlag);
  const { contextDir, relDockerfile } = await localContext(specified, dockerfileFlag);
  const ignoreText = await fsp.readFile(path.join(contextDir, '.dockerignore'), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return '';
    throw e;
  });
  // TrimBuildFilesFromExcludes: the Dockerfile and .dockerignore are always sent.
  let rules = ignoreText;
  const isExcluded0 = ignoreMatcher(ignoreText);
  if (isExcluded0('.dockerignore')) rules += '\n!.dockerignore';
  const isOutside = relDockerfile.startsWith('..');
  if (!dockerfileFromStdin && !isOutside && isExcluded0(relDockerfile.split(path.sep).join('/'))) rules += `\n!${relDockerfile.split(path.sep).join('/')}`;
  const hasExceptions = rules.split(/\r?\n/).some((l) => l.trim().startsWith('!'));
  const body = packContext(contextDir, ignoreMatcher(rules), hasExceptions);
  if (dockerfileFromStdin) return addDockerfile(body, await readAllOf(ctx.io.stdin));
  // A Dockerfile outside the context is added to it, as docker does.
  if (isOutside) return addDockerfile(body, await fsp.readFile(path.resolve(dockerfileFlag)));
  return { body, dockerfile: relDockerfile.split(path.sep).join('/') };
}

/**
 * GetContextFromGitURL: a shallow clone (`<repo>[#<ref>][:<subdir>]`) into a temporary
 * directory, sent as a local context; `-f` is relative to the clone's context directory
 * there. The directory goes when the build ends (`cleanup`).
 */
async function gitContext(ctx: Cli, url: string, dockerfileFlag: string): Promise<BuildContext> {
  const hash = url.indexOf('#');
  let repo = hash < 0 ? url : url.slice(0, hash);
  const fragment = hash < 0 ? '' : url.slice(hash + 1);
  const [given = '', subdir = ''] = fragment.split(':');
  // docker's gitutils: no ref is "master" (not the remote's default branch).
  const ref = given || 'master';
  if (repo.startsWith('github.com/')) repo = `https://${repo}`;
  if (ref.startsWith('-')) throw new Error(`unable to prepare context: invalid git ref: ${ref}`);
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'docker-build-git'));
  const cleanup = (): Promise<void> => fsp.rm(tmp, { recursive: true, force: true });
  try {
    const env = { PATH: ctx.env.PATH ?? '/usr/bin:/bin', HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
    // Shallow only where the server can (moby's supportsShallowClone: not git's dumb HTTP).
    const isSmart = !/^https?:\/\//i.test(repo) || await fetch(`${repo.replace(/\/+$/, '')}/info/refs?service=git-upload-pack`, { method: 'HEAD', signal: ctx.signal })
      .then((res) => res.ok && res.headers.get('content-type') === 'application/x-git-upload-pack-advertisement', () => false);
    const r = await exec('git', ['clone', '--quiet', ...(isSmart ? ['--depth', '1', '--shallow-submodules'] : []), '--recurse-submodules', '--branch', ref, '--', repo, 'clone'],
      { cwd: tmp, env, signal: ctx.signal, timeoutMs: 10 * 60_000, allowFailure: true });
    if (r.code !== 0) throw new Error(`unable to prepare context: unable to 'git clone' to temporary context directory: error fetching: ${r.stderr.trim()}: exit status ${r.code ?? 1}`);
    const root = path.join(tmp, 'clone');
    const dir = path.resolve(root, subdir.replace(/^\/+/, ''));
    if (dir !== root && !dir.startsWith(`${root}/`)) throw new Error(`unable to prepare context: subdirectory ${subdir} is outside the repository`);
    const df = dockerfileFlag && dockerfileFlag !== '-' ? path.resolve(dir, dockerfileFlag) : dockerfileFlag;
    return { ...(await makeContext(ctx, dir, df)), cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * GetContextFromURL: the client downloads the URL (docker's legacy client never sends
 * `remote=`), then treats it as stdin: a tar (maybe compressed) is the context as is, other
 * bytes are the Dockerfile of a context holding nothing else.
 */
async function urlContext(ctx: Cli, url: string, dockerfileFlag: string): Promise<BuildContext> {
  if (dockerfileFlag === '-') throw new Error("invalid argument: can't use stdin for both build context and dockerfile");
  let res: Response;
  try {
    res = await fetch(url, { signal: ctx.signal, redirect: 'follow' });
  } catch (err) {
    throw new Error(`unable to prepare context: unable to download remote context ${url}: Get ${JSON.stringify(url)}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`unable to prepare context: unable to download remote context ${url}: failed to GET ${url} with status ${res.status} ${res.statusText}`);
  }
  ctx.err(`Downloading build context from remote url: ${url}\n`);
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  const { head, stream } = await peek(body, 512);
  if (isArchive(head)) return { body: stream, dockerfile: dockerfileFlag };
  return { body: tarOf([{ name: 'Dockerfile', data: await readAllOf(stream), mode: 0o644 }]), dockerfile: 'Dockerfile' };
}

/** Counts what is sent and shows docker's "Sending build context" line. */
function sendingProgress(write: (s: string) => void, isTerminal: boolean): { counter: Transform; finish: () => void } {
  let sent = 0;
  let lastMs = 0;
  const line = (): string => `Sending build context to Docker daemon  ${humanSize(sent).padStart(7)}\r`;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      const now = Date.now();
      if (isTerminal && now - lastMs >= 100) { lastMs = now; write(line()); }
      done(null, chunk);
    },
  });
  let isFinished = false;
  return { counter, finish: () => { if (!isFinished) { isFinished = true; write(`${line()}\r\n`); } } };
}

/** `--build-arg KEY` takes KEY's value from the environment, or none (null) when unset. */
export function buildArgsOf(list: string[], env: NodeJS.ProcessEnv): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq >= 0) out[a.slice(0, eq)] = a.slice(eq + 1);
    else out[a] = env[a] ?? null;
  }
  return out;
}

function labelsOf(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of list) {
    const eq = l.indexOf('=');
    out[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return out;
}

async function runBuild({ ctx, args, flags }: Inv): Promise<void> {
  const quiet = flags.bool('quiet');
  const progressMode = flags.string('progress');
  if (!['auto', 'plain', 'tty'].includes(progressMode)) throw new StatusError(125, `invalid argument ${JSON.stringify(progressMode)} for "--progress" flag: auto, plain or tty`);
  const iidfile = flags.string('iidfile');
  if (iidfile) {
    await fsp.rm(iidfile).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw new Error(`Removing image ID file: ${e.message}`);
    });
  }
  const context = await makeContext(ctx, args[0]!, flags.string('file'));
  try {
    await buildWith(ctx, flags, context, quiet, iidfile);
  } finally {
    await context.cleanup?.();
  }
}

async function buildWith(ctx: Cli, flags: Inv['flags'], context: BuildContext, quiet: boolean, iidfile: string): Promise<void> {
  let progress = '';
  const write = (s: string): void => { if (quiet) progress += s; else ctx.io.stdout.write(s); };
  const sending = sendingProgress(write, ctx.io.stdoutIsTerminal && !quiet);
  const body = context.body.pipe(sending.counter);
  context.body.on('error', (err) => body.destroy(err));
  body.on('end', sending.finish);
  let imageId = '';
  let streamed = '';
  try {
    await send(ctx, flags, context, body, quiet, sending.finish, (t) => { streamed += t; }, (id) => { imageId = id; });
  } catch (err) {
    sending.finish();
    if (quiet) ctx.err(progress + streamed);
    if (err instanceof StreamError) throw new StatusError(err.code && err.code !== 0 ? err.code : 1, err.message);
    throw err;
  }
  if (quiet) {
    imageId = streamed;
    await ctx.out(streamed);
  }
  if (iidfile && imageId) await fsp.writeFile(iidfile, imageId.trim(), { mode: 0o666 });
}

async function send(ctx: Cli, flags: Inv['flags'], context: BuildContext, body: Readable, quiet: boolean, sent: () => void, keep: (t: string) => void, onId: (id: string) => void): Promise<void> {
  const buildArgs = buildArgsOf(flags.list('build-arg'), ctx.env);
  // A reproducible build from the environment, as buildx passes SOURCE_DATE_EPOCH; --build-arg wins.
  if (ctx.env.SOURCE_DATE_EPOCH && !('SOURCE_DATE_EPOCH' in buildArgs)) buildArgs.SOURCE_DATE_EPOCH = ctx.env.SOURCE_DATE_EPOCH;
  const labels = labelsOf(flags.list('label'));
  const network = flags.string('network');
  const platform = flags.string('platform');
  const res = await ctx.client.request('POST', '/build', {
    query: {
      buildargs: Object.keys(buildArgs).length ? JSON.stringify(Object.fromEntries(Object.entries(buildArgs).sort())) : undefined,
      dockerfile: context.dockerfile,
      forcerm: flags.bool('force-rm') ? '1' : undefined,
      labels: Object.keys(labels).length ? JSON.stringify(labels) : undefined,
      networkmode: network && network !== 'default' ? network : undefined,
      nocache: flags.bool('no-cache') ? '1' : undefined,
      platform: platform ? platformParam(platform) : undefined,
      pull: flags.bool('pull') ? '1' : undefined,
      q: quiet ? '1' : undefined,
      rm: flags.bool('rm') ? undefined : '0',
      t: flags.list('tag').length ? flags.list('tag') : undefined,
      target: flags.string('target') || undefined,
      // Repeated, as docker's client sends them.
      extrahosts: flags.list('add-host').length ? flags.list('add-host') : undefined,
      cachefrom: flags.list('cache-from').length ? JSON.stringify(flags.list('cache-from')) : undefined,
      ...limitsQuery(flags),
      version: '1',
    },
    body,
    headers: { 'Content-Type': 'application/x-tar', 'X-Registry-Config': 'e30=' },
    signal: ctx.signal,
  });
  sent();
  const onAux = (aux: unknown): void => { const id = (aux as { ID?: unknown } | null)?.ID; if (typeof id === 'string') onId(id); };
  if (!quiet && progressIsTty(flags.string('progress'), ctx.io.stdoutIsTerminal)) {
    // A terminal gets the live view; the legacy lines stay for pipes, files and --progress plain.
    await displayBuildProgress(res.body, { write: (t) => ctx.out(t), columns: ctx.io.columns, onAux });
    return;
  }
  await displayJsonMessages(res.body, {
    write: (t) => { if (quiet) keep(t); else return ctx.out(t); },
    isTerminal: false,
    columns: ctx.io.columns,
    onAux,
  });
}

/** The RUN containers' limits, under the query names docker's client gives them (0: unset). */
function limitsQuery(flags: Inv['flags']): Record<string, string | undefined> {
  const n = (v: number): string | undefined => (v ? String(v) : undefined);
  const ulimits = [...flags.value<Map<string, { Name: string; Soft: number; Hard: number }>>('ulimit').values()].sort((a, b) => (a.Name < b.Name ? -1 : 1));
  return {
    memory: n(flags.value<number>('memory')),
    memswap: n(flags.value<number>('memory-swap')),
    cpushares: n(flags.int('cpu-shares')),
    cpuquota: n(flags.int('cpu-quota')),
    cpuperiod: n(flags.int('cpu-period')),
    cpusetcpus: flags.string('cpuset-cpus') || undefined,
    cpusetmems: flags.string('cpuset-mems') || undefined,
    shmsize: n(flags.value<number>('shm-size')),
    cgroupparent: flags.string('cgroup-parent') || undefined,
    ulimits: ulimits.length ? JSON.stringify(ulimits.map((u) => ({ Name: u.Name, Hard: u.Hard, Soft: u.Soft }))) : undefined,
    isolation: flags.string('isolation') || undefined,
  };
}

/** `--progress`: auto follows the terminal; plain prints the legacy builder's lines; tty the live view. */
function progressIsTty(mode: string, isTerminal: boolean): boolean {
  if (mode === 'plain') return false;
  if (mode === 'tty') return true;
  return isTerminal;
}

const validateTag = (raw: string): string => {
  parseNormalizedNamed(raw);
  return raw;
};

export const buildCommand: Cmd = {
  use: 'build [OPTIONS] PATH | URL | -',
  short: 'Build an image from a Dockerfile',
  aliasesText: 'berth image build, berth build, berth builder build',
  categoryTop: 4,
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'add-host', type: 'list', usage: 'Add a custom host-to-IP mapping ("host:ip")' },
    { name: 'build-arg', type: 'list', usage: 'Set build-time variables' },
    { name: 'cache-from', type: 'strings', usage: 'Images to consider as cache sources' },
    { name: 'cgroup-parent', type: 'string', usage: 'Set the parent cgroup for the "RUN" instructions during build' },
    { name: 'cpu-period', type: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', usage: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-shares', short: 'c', type: 'int', usage: 'CPU shares (relative weight)' },
    { name: 'cpuset-cpus', type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
    { name: 'file', short: 'f', type: 'string', usage: "Name of the Dockerfile (Default is 'PATH/Dockerfile')" },
    { name: 'force-rm', type: 'bool', usage: 'Always remove intermediate containers' },
    { name: 'iidfile', type: 'string', usage: 'Write the image ID to the file' },
    { name: 'isolation', type: 'string', usage: 'Container isolation technology' },
    { name: 'label', type: 'list', usage: 'Set metadata for an image' },
    bytesFlag({ name: 'memory', short: 'm', usage: 'Memory limit' }),
    swapBytesFlag({ name: 'memory-swap', usage: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" }),
    { name: 'network', type: 'string', default: 'default', usage: 'Set the networking mode for the RUN instructions during build' },
    { name: 'no-cache', type: 'bool', usage: 'Do not use cache when building the image' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'progress', type: 'string', default: 'auto', usage: 'Set type of progress output (auto, plain, tty)' },
    { name: 'pull', type: 'bool', usage: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the build output and print image ID on success' },
    { name: 'rm', type: 'bool', default: true, usage: 'Remove intermediate containers after a successful build' },
    bytesFlag({ name: 'shm-size', usage: 'Size of "/dev/shm"' }),
    { name: 'tag', short: 't', type: 'list', validate: validateTag, usage: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'target', type: 'string', usage: 'Set the target build stage to build.' },
    ulimitFlag({ name: 'ulimit', usage: 'Ulimit options' }),
  ],
  run: runBuild,
};

