/**
 * `berth cp`, as docker/cli's container/cp.go with go-archive's copy.go: the daemon's archive
 * API carries a tar; whether that tar is rebased (renamed) and which directory it is
 * extracted into is decided here from the stat of both ends.
 */
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ApiError, readAll } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import type { Cli } from '../context.js';
import { humanSizeWithPrecision } from '../format/units.js';
import { pathName } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/** types.ContainerPathStat; `mode` is a Go os.FileMode. */
interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 1 << 27;
const MODE_TYPE = MODE_DIR + (1 << 27) + (1 << 26) + (1 << 25) + (1 << 24) + (1 << 21) + (1 << 19);

const isDirMode = (m: number): boolean => m >= MODE_DIR;
const isSymlinkMode = (m: number): boolean => (m % MODE_DIR & MODE_SYMLINK) !== 0;

interface CopyInfo { path: string; exists: boolean; isDir: boolean; rebaseName: string }

/** splitCpArg: "name:path" names a container unless the part before ':' looks like a local path. */
function splitCpArg(arg: string): [string, string] {
  if (path.isAbsolute(arg)) return ['', arg];
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return ['', arg];
  return [arg.slice(0, i), arg.slice(i + 1)];
}

function specifiesCurrentDir(p: string): boolean {
  return goBase(p) === '.';
}

function goBase(p: string): string {
  const t = p.replace(/\/+$/, '');
  if (t === '') return p.startsWith('/') ? '/' : '.';
  return t.slice(t.lastIndexOf('/') + 1);
}

/** go-archive PreserveTrailingDotOrSeparator. */
function preserveTrailing(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!out.endsWith('/')) out += '/';
    out += '.';
  }
  if (!out.endsWith('/') && original.endsWith('/')) out += '/';
  return out;
}

/** SplitPathDirEntry: the parent and the last element, `dir/.` keeping its `.`. */
function splitPathDirEntry(p: string): [string, string] {
  let cleaned = path.posix.normalize(p);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [path.posix.dirname(cleaned), path.posix.basename(cleaned) || cleaned];
}

function resolveLocalPath(p: string): string {
  return preserveTrailing(path.resolve(p), p);
}

/** A stat's Go-style error text. */
function goPathError(op: string, p: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const text = code === 'ENOENT' ? 'no such file or directory' : code === 'ENOTDIR' ? 'not a directory' : (err as Error).message;
  return new Error(`${op} ${p}: ${text}`, { cause: err });
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try { return await fsp.lstat(p); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Stats a container path (HEAD), or undefined when the daemon refuses. */
async function statContainerPath(cli: Cli, container: string, p: string): Promise<PathStat | undefined> {
  try {
    const res = await cli.client.request('HEAD', `/containers/${pathName(container)}/archive`, { query: { path: p }, signal: cli.signal });
    res.body.resume();
    return decodeStat(res.headers['x-docker-container-path-stat']);
  } catch (err) {
    if (err instanceof ApiError) return undefined;
    throw err;
  }
}

function decodeStat(header: string | string[] | undefined): PathStat {
  const text = Buffer.from(String(header ?? ''), 'base64').toString('utf8');
  try { return JSON.parse(text) as PathStat; } catch {
    throw new Error('unable to decode container path stat header');
  }
}

/** RebaseArchiveEntries as a name map: `oldBase` (first element) becomes `newBase`. */
function rebaser(oldBase: string, newBase: string): (name: string) => string {
  const from = oldBase === '/' ? '' : oldBase;
  return (name) => {
    if (name === from || name.startsWith(`${from}/`)) return newBase + name.slice(from.length);
    return name;
  };
}

/** Counts the bytes of a stream as they pass (the copy summary's "transferred"). */
function counting(src: Readable): { stream: Readable; bytes: () => number } {
  let n = 0;
  const stream = Readable.from((async function* () {
    for await (const c of src) { n += (c as Buffer).length; yield c as Buffer; }
  })(), { objectMode: false });
  return { stream, bytes: () => n };
}

// --- from a container ------------------------------------------------------------------

async function copyFromContainer(cli: Cli, container: string, srcPath: string, dst: string, o: { followLink: boolean; quiet: boolean }): Promise<void> {
  const dstPath = dst === '-' ? dst : resolveLocalPath(dst);
  if (dstPath !== '-') await validateOutputPath(dstPath);
  let src = srcPath;
  let rebaseName = '';
  if (o.followLink) {
    const st = await statContainerPath(cli, container, src);
    if (st && isSymlinkMode(st.mode)) {
      let linkTarget = st.linkTarget;
      if (!path.posix.isAbsolute(linkTarget)) linkTarget = path.posix.join(splitPathDirEntry(src)[0], linkTarget);
      [linkTarget, rebaseName] = getRebaseName(src, linkTarget);
      src = linkTarget;
    }
  }
  const res = await cli.client.request('GET', `/containers/${pathName(container)}/archive`, { query: { path: src }, signal: cli.signal });
  const stat = decodeStat(res.headers['x-docker-container-path-stat']);
  if (dstPath === '-') {
    await pipeline(res.body, cli.io.stdout, { end: false });
    return;
  }
  const counted = counting(res.body);
  await copyTo(counted.stream, { path: src, exists: true, isDir: isDirMode(stat.mode), rebaseName }, dstPath);
  if (!o.quiet) cli.err(`Successfully copied ${humanSizeWithPrecision(isDirMode(stat.mode) ? counted.bytes() : stat.size, 3)} to ${dstPath}\n`);
}

/** GetRebaseName: a trailing `/` or `/.` of the request carries over to the link target. */
function getRebaseName(p: string, resolved: string): [string, string] {
  let out = resolved;
  if (specifiesCurrentDir(p) && !specifiesCurrentDir(out)) out += '/.';
  if (p.endsWith('/') && !out.endsWith('/')) out += '/';
  const base = goBase(p);
  return [out, goBase(out) !== base ? base : ''];
}

/** command.ValidateOutputPath: the destination's directory must exist. */
async function validateOutputPath(p: string): Promise<void> {
  const dir = path.dirname(p.replace(/\/+$/, '') || '/');
  const st = await lstatOrUndefined(dir);
  if (!st) throw new Error(`invalid output path: directory ${JSON.stringify(dir)} does not exist`);
}

/** CopyInfoDestinationPath: follows a final symlink; the parent must exist. */
async function destinationInfo(p: string): Promise<CopyInfo> {
  let cur = p;
  let st = await lstatOrUndefined(cur);
  for (let n = 0; st?.isSymbolicLink(); n++) {
    if (n > 10) throw new Error(`too many symlinks in ${p}`);
    let target = await fsp.readlink(cur);
    if (!path.isAbsolute(target)) target = path.join(splitPathDirEntry(cur)[0], target);
    cur = target;
    st = await lstatOrUndefined(cur);
  }
  if (st) return { path: cur, exists: true, isDir: st.isDirectory(), rebaseName: '' };
  const parent = splitPathDirEntry(cur)[0];
  let pst: Stats;
  try { pst = await fsp.stat(parent); } catch (err) { throw goPathError('stat', parent, err); }
  if (!pst.isDirectory()) throw new Error('not a directory');
  return { path: cur, exists: false, isDir: false, rebaseName: '' };
}

/** PrepareArchiveCopy: the directory to extract into and how names are rebased. */
function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): { dir: string; rename: (name: string) => string } {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  const srcBase = src.rebaseName || splitPathDirEntry(src.path)[1];
  if (dst.exists && dst.isDir) return { dir: dst.path, rename: (n) => n };
  if (dst.exists && src.isDir) throw new Error('cannot copy directory');
  if (!dst.exists && !src.isDir && (dst.path.endsWith('/') || specifiesCurrentDir(dst.path))) throw new Error('no such directory');
  return { dir: dstDir, rename: rebaser(srcBase, dstBase) };
}

async function copyTo(content: Readable, src: CopyInfo, dstPath: string): Promise<void> {
  const dst = await destinationInfo(dstPath);
  const { dir, rename } = prepareArchiveCopy(src, dst);
  await untarLocal(content, dir, rename);
}

/**
 * Untar with NoLchown and NoOverwriteDirNonDir: files belong to the user running the CLI;
 * names that would climb out of `dir` are refused ("breakout"), as go-archive refuses them.
 */
async function untarLocal(content: Readable, dir: string, rename: (name: string) => string): Promise<void> {
  const extract = tar.extract();
  const dirTimes: Array<[string, Date]> = [];
  const done = pipeline(content, extract).catch((err: unknown) => { extract.destroy(err as Error); throw err; });
  for await (const entry of extract) {
    const h = entry.header;
    const name = path.posix.normalize(rename(h.name).replace(/^\/+/, ''));
    if (name === '..' || name.startsWith('../')) throw new Error(`invalid tar header: ${JSON.stringify(h.name)} is outside of ${JSON.stringify(dir)}`);
    const target = path.join(dir, name);
    if (name === '.' || name === '') { entry.resume(); continue; }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const existing = await lstatOrUndefined(target);
    if (existing) {
      if (existing.isDirectory() && h.type !== 'directory') throw new Error(`cannot overwrite directory ${JSON.stringify(target)} with non-directory ${JSON.stringify(dir)}`);
      if (!existing.isDirectory() && h.type === 'directory') throw new Error(`cannot overwrite non-directory ${JSON.stringify(target)} with directory ${JSON.stringify(dir)}`);
      if (!existing.isDirectory()) await fsp.rm(target, { force: true });
    }
    const mode = (h.mode ?? 0o644) & 0o7777;
    const mtime = h.mtime ?? new Date();
    switch (h.type) {
      case 'directory':
        if (!existing) await fsp.mkdir(target, { mode: 0o700 });
        await fsp.chmod(target, mode);
        dirTimes.push([target, mtime]);
        entry.resume();
        break;
      case 'file': case 'contiguous-file':
        await pipeline(entry, (await fsp.open(target, 'wx', 0o600)).createWriteStream());
        await fsp.chmod(target, mode);
        await fsp.utimes(target, mtime, mtime);
        break;
      case 'symlink':
        await fsp.symlink(h.linkname ?? '', target);
        await fsp.lutimes(target, mtime, mtime).catch(() => undefined);
        entry.resume();
        break;
      case 'link': {
        const linkName = path.posix.normalize(rename(h.linkname ?? '').replace(/^\/+/, ''));
        if (linkName === '..' || linkName.startsWith('../')) throw new Error(`invalid hardlink ${JSON.stringify(h.linkname)} is outside of ${JSON.stringify(dir)}`);
        await fsp.link(path.join(dir, linkName), target);
        entry.resume();
        break;
      }
      default:
        // Devices and FIFOs need privileges a user's copy does not assume; docker skips them without root too.
        entry.resume();
    }
  }
  await done;
  for (const [d, t] of dirTimes.reverse()) await fsp.utimes(d, t, t).catch(() => undefined);
}

// --- into a container ------------------------------------------------------------------

async function copyToContainer(cli: Cli, container: string, src: string, dstPath: string, o: { followLink: boolean; copyUIDGID: boolean; quiet: boolean }): Promise<void> {
  const srcPath = src === '-' ? src : resolveLocalPath(src);
  const dstInfo: CopyInfo = { path: dstPath, exists: false, isDir: false, rebaseName: '' };
  let dst = await statContainerPath(cli, container, dstPath);
  if (dst) {
    if (isSymlinkMode(dst.mode)) {
      let linkTarget = dst.linkTarget;
      if (!path.posix.isAbsolute(linkTarget)) linkTarget = path.posix.join(splitPathDirEntry(dstPath)[0], linkTarget);
      dstInfo.path = linkTarget;
      dst = await statContainerPath(cli, container, linkTarget);
    }
    if (dst) {
      const type = dst.mode % MODE_DIR & MODE_TYPE;
      if (!isDirMode(dst.mode) && type !== 0) {
        throw new Error(`destination "${container}:${dstPath}" must be a directory or a regular file: ${isSymlinkMode(dst.mode) ? 'got a symbolic link' : 'got an unsupported file type'}`);
      }
      dstInfo.exists = true;
      dstInfo.isDir = isDirMode(dst.mode);
    }
  }
  let body: Readable;
  let resolvedDst: string;
  let contentSize = -1;
  if (srcPath === '-') {
    if (!dstInfo.isDir) throw new Error(`destination "${container}:${dstPath}" must be a directory`);
    body = cli.io.stdin;
    resolvedDst = dstInfo.path;
  } else {
    const srcInfo = await sourceInfo(srcPath, o.followLink);
    const { dir, rename } = prepareArchiveCopy(srcInfo, dstInfo);
    resolvedDst = dir;
    const [srcDir, srcBase] = splitPathDirEntry(srcInfo.path);
    const packed = packLocal(srcDir, srcBase, (n) => rename(srcInfo.rebaseName ? rebaser(srcBase, srcInfo.rebaseName)(n) : n));
    body = packed.stream;
    contentSize = await localContentSize(srcInfo.path);
  }
  const counted = counting(body);
  const res = await cli.client.request('PUT', `/containers/${pathName(container)}/archive`, {
    query: { path: resolvedDst, noOverwriteDirNonDir: true, copyUIDGID: o.copyUIDGID || undefined }, body: counted.stream, signal: cli.signal,
  });
  await readAll(res.body);
  if (!o.quiet) cli.err(`Successfully copied ${humanSizeWithPrecision(contentSize >= 0 ? contentSize : counted.bytes(), 3)} to ${container}:${dstPath}\n`);
}

/** CopyInfoSourcePath: symlinks before the last element are resolved; with -L the last one too. */
async function sourceInfo(p: string, followLink: boolean): Promise<CopyInfo> {
  let resolved = p;
  let rebaseName = '';
  try {
    if (followLink) {
      resolved = await fsp.realpath(p);
      [resolved, rebaseName] = getRebaseName(p, resolved);
    } else {
      const [dir, base] = splitPathDirEntry(p);
      resolved = path.join(await fsp.realpath(dir), base);
      resolved = preserveTrailing(resolved, p);
    }
    const st = await fsp.lstat(resolved);
    return { path: resolved, exists: true, isDir: st.isDirectory(), rebaseName };
  } catch (err) {
    throw goPathError('lstat', resolved, err);
  }
}

async function localContentSize(p: string): Promise<number> {
  const st = await fsp.lstat(p);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let total = 0;
  for (const e of await fsp.readdir(p, { withFileTypes: true })) {
    if (e.isFile()) total += (await fsp.lstat(path.join(p, e.name))).size;
    else if (e.isDirectory()) total += await localContentSize(path.join(p, e.name));
  }
  return total;
}

/** TarResourceRebase: `base` under `dir` as a tar, names starting with `base` (through `rename`). */
function packLocal(dir: string, base: string, rename: (name: string) => string): { stream: Readable } {
  const pack = tar.pack();
  const seen = new Map<string, string>();
  const add = async (rel: string): Promise<void> => {
    const full = path.join(dir, rel);
    const st = await fsp.lstat(full);
    const name = rename(rel);
    const common = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (name !== '.' && name !== '') pack.entry({ ...common, type: 'directory' });
      for (const child of (await fsp.readdir(full)).sort()) await add(rel === '.' ? `./${child}` : `${rel}/${child}`);
    } else if (st.isSymbolicLink()) {
      pack.entry({ ...common, type: 'symlink', linkname: await fsp.readlink(full) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) { pack.entry({ ...common, type: 'link', linkname: seen.get(key)! }); return; }
      if (st.nlink > 1) seen.set(key, name);
      const entry = pack.entry({ ...common, type: 'file', size: st.size });
      await pipeline(createReadStream(full), entry);
    }
  };
  void add(base).then(() => pack.finalize(), (err: unknown) => pack.destroy(err as Error));
  return { stream: pack as unknown as Readable };
}

async function runCopy({ ctx, args, flags }: Inv): Promise<void> {
  if (args[0] === '') throw new Error('source can not be empty');
  if (args[1] === '') throw new Error('destination can not be empty');
  const quiet = flags.changed('quiet') ? flags.bool('quiet') : !ctx.io.stdoutIsTerminal;
  const [srcContainer, srcPath] = splitCpArg(args[0]!);
  const [dstContainer, dstPath] = splitCpArg(args[1]!);
  if (srcContainer && dstContainer) throw new Error('copying between containers is not supported');
  if (srcContainer) return copyFromContainer(ctx, srcContainer, srcPath, dstPath, { followLink: flags.bool('follow-link'), quiet });
  if (dstContainer) return copyToContainer(ctx, dstContainer, srcPath, dstPath, { followLink: flags.bool('follow-link'), copyUIDGID: flags.bool('archive'), quiet });
  throw new Error('must specify at least one container source');
}

export const cpCommand: Cmd = {
  use: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  aliasesText: 'berth container cp, berth cp',
  args: { kind: 'exact', n: 2 },
  flags: [
    { name: 'follow-link', short: 'L', type: 'bool', usage: 'Always follow symlinks in SRC_PATH' },
    { name: 'archive', short: 'a', type: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  run: runCopy,
};
