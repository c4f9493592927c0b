import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { resolveWithin } from '../store/index.js';

/** One file-system object a COPY/ADD puts into the image, by its path below the destination root. */
export interface CopyEntry {
  /** Path inside the image, no leading slash. */
  name: string;
  /** Where its bytes come from on the host (the unpacked context); none for created parents. */
  source?: string;
  stat?: Stats;
}

export interface CopyPlan {
  /** Absolute destination directory the entries' names are relative to (`/` here). */
  entries: CopyEntry[];
  /** Docker's created_by source word: `file:<hex>`, `dir:<hex>` or `multi:<hex>`. */
  sourceWord: string;
  /** The checksum of contents and metadata (not mtimes): the cache key of the step. */
  checksum: string;
  /** Single local tar files for ADD, extracted rather than copied. */
  archives: Array<{ source: string; destDir: string }>;
}

const WILDCARD = /[*?[]/;

/**
 * Docker's COPY source rules (moby builder/dockerfile/copy.go): sources are relative to the
 * context and may not leave it; wildcards match names in the context; a directory's contents
 * (not the directory) are copied; with several sources the destination must end in `/`; a
 * destination ending in `/` (or an existing directory) receives files under their base names.
 */
export async function planCopy(o: {
  contextDir: string; sources: string[]; dest: string; workdir: string; isIgnored: (rel: string) => boolean;
  destIsDir: (abs: string) => Promise<boolean>; cmd: 'COPY' | 'ADD';
  /** ADD of local files: a tar (plain or compressed) is extracted; defaults to cmd === 'ADD'. */
  isExtracting?: boolean;
  /** ADD's URLs, already downloaded: source word → file. Never extracted, never ignored. */
  remote?: ReadonlyMap<string, string>;
}): Promise<CopyPlan> {
  const matched: Array<{ rel: string; abs: string; st: Stats; isRemote?: boolean }> = [];
  for (const src of o.sources) {
    const downloaded = o.remote?.get(src);
    if (downloaded !== undefined) {
      matched.push({ rel: path.basename(downloaded), abs: downloaded, st: await fsp.lstat(downloaded), isRemote: true });
      continue;
    }
    const rel = path.posix.normalize(src.replace(/^\/+/, ''));
    if (rel === '..' || rel.startsWith('../')) throw new InvalidArgumentError(`${o.cmd} failed: forbidden path outside the build context: ${src} ()`);
    const found = WILDCARD.test(rel) ? await glob(o.contextDir, rel, o.isIgnored) : [rel === '' ? '.' : rel];
    if (found.length === 0) throw new NotFoundError(`${o.cmd} failed: no source files were specified`);
    for (const f of found) {
      // Symlinks on the way (and a symlink named as the source) are followed inside the
      // context only, as dockerd's FollowSymlinkInScope: a link to /etc never reads the host.
      const abs = resolveWithin(o.contextDir, f);
      const st = (f !== '.' && o.isIgnored(f)) ? undefined : await fsp.lstat(abs).catch(() => undefined);
      if (!st) throw new NotFoundError(`${o.cmd} failed: file not found in build context or excluded by .dockerignore: stat ${f}: file does not exist`);
      matched.push({ rel: f, abs, st });
    }
  }
  const destAbs = path.posix.resolve('/', o.workdir || '/', o.dest);
  const destIsDirSyntax = o.dest.endsWith('/') || o.dest.endsWith('/.') || o.dest === '.';
  if (matched.length > 1 && !destIsDirSyntax) throw new InvalidArgumentError(`When using ${o.cmd} with more than one source file, the destination must be a directory and end with a /`);
  const destIsDir = destIsDirSyntax || matched.length > 1 || await o.destIsDir(destAbs);
  const entries: CopyEntry[] = [];
  const archives: CopyPlan['archives'] = [];
  for (const m of matched) {
    if (m.st.isDirectory()) {
      await walk(m.abs, m.rel, path.posix.relative('/', destAbs), o.isIgnored, entries);
    } else if ((o.isExtracting ?? o.cmd === 'ADD') && !m.isRemote && m.st.isFile() && await isTar(m.abs)) {
      archives.push({ source: m.abs, destDir: destAbs });
    } else {
      const target = destIsDir ? path.posix.join(destAbs, path.posix.basename(m.rel)) : destAbs;
      entries.push({ name: path.posix.relative('/', target), source: m.abs, stat: m.st });
    }
  }
  const hash = createHash('sha256');
  for (const e of entries) {
    const st = e.stat!;
    hash.update(`${e.name}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0`);
    if (st.isFile()) hash.update(await fileDigest(e.source!));
    if (st.isSymbolicLink()) hash.update(await fsp.readlink(e.source!));
    hash.update('\n');
  }
  for (const a of archives) hash.update(`archive\0${a.destDir}\0${await fileDigest(a.source)}\n`);
  const hex = hash.digest('hex');
  const kind = matched.length > 1 ? 'multi' : matched[0]!.st.isDirectory() ? 'dir' : 'file';
  return { entries, archives, checksum: hex, sourceWord: `${kind}:${hex}` };
}

async function walk(abs: string, rel: string, destRel: string, isIgnored: (r: string) => boolean, out: CopyEntry[]): Promise<void> {
  const names = (await fsp.readdir(abs)).sort();
  for (const n of names) {
    const r = rel === '.' ? n : `${rel}/${n}`;
    if (isIgnored(r)) continue;
    const a = path.join(abs, n);
    const st = await fsp.lstat(a);
    const name = destRel ? `${destRel}/${n}` : n;
    out.push({ name, source: a, stat: st });
    if (st.isDirectory()) await walk(a, r, name, isIgnored, out);
  }
}

async function glob(root: string, pattern: string, isIgnored: (r: string) => boolean): Promise<string[]> {
  const parts = pattern.split('/');
  let cur = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const c of cur) {
      if (!WILDCARD.test(part)) { next.push(c ? `${c}/${part}` : part); continue; }
      const re = new RegExp(`^${part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
      const names = await fsp.readdir(resolveWithin(root, c || '.')).catch(() => []);
      for (const n of names.sort()) if (re.test(n)) next.push(c ? `${c}/${n}` : n);
    }
    cur = next;
  }
  const out: string[] = [];
  for (const c of cur) if (!isIgnored(c) && await fsp.lstat(resolveWithin(root, c)).then(() => true, () => false)) out.push(c);
  return out;
}

async function fileDigest(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/** A tar (plain or compressed) by its magic, as Docker's ADD decides to extract. */
async function isTar(file: string): Promise<boolean> {
  const fh = await fsp.open(file, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const b = buf.subarray(0, bytesRead);
    if (b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
    if (b.subarray(0, 3).toString() === 'BZh') return true;
    if (b[0] === 0xfd && b.subarray(1, 6).toString() === '7zXZ\0') return true;
    return bytesRead >= 262 && b.subarray(257, 262).toString() === 'ustar';
  } finally { await fh.close(); }
}

/**
 * The entries as one tar, rooted at `/`, for `putArchive`: `parents` are the destination
 * directories that do not exist yet (created 0755 root, as Docker does), owners `chown`ed,
 * and the copied files and directories (not the created parents) get `chmod`'s mode.
 */
export function packEntries(entries: CopyEntry[], parents: string[], chown: { uid: number; gid: number } | undefined, chmod?: number): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for (const p of parents) await add(pack, { name: `${p}/`, type: 'directory', mode: 0o755, uid: chown?.uid ?? 0, gid: chown?.gid ?? 0 });
      for (const e of entries) {
        const st = e.stat!;
        const base = { name: e.name, mode: chmod !== undefined && !st.isSymbolicLink() ? chmod : st.mode & 0o7777, uid: chown?.uid ?? 0, gid: chown?.gid ?? 0, mtime: st.mtime };
        if (st.isDirectory()) await add(pack, { ...base, name: `${e.name}/`, type: 'directory' });
        else if (st.isSymbolicLink()) await add(pack, { ...base, type: 'symlink', linkname: await fsp.readlink(e.source!) });
        else if (st.isFile()) await add(pack, { ...base, type: 'file', size: st.size }, createReadStream(e.source!));
      }
      pack.finalize();
    } catch (err) { pack.destroy(err as Error); }
  })();
  return pack as unknown as Readable;
}

function add(pack: tar.Pack, header: Partial<tar.Header> & { name: string }, body?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
    if (body) pipeline(body, w).catch(reject);
  });
}
