import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { nodeDigest, nodeHead, nodeOfFile, openNode, type ContextNode, type ContextTree } from './context-tree.js';

/** One file-system object a COPY/ADD puts into the image, by its path below the destination root. */
export interface CopyEntry {
  /** Path inside the image, no leading slash. */
  name: string;
  /** Its metadata and bytes, from the context (or a downloaded file). */
  node: ContextNode;
}

export interface CopyPlan {
  /** Absolute destination directory the entries' names are relative to (`/` here). */
  entries: CopyEntry[];
  /** Docker's created_by source word: `file:<hex>`, `dir:<hex>` or `multi:<hex>`. */
  sourceWord: string;
  /** The checksum of contents and metadata (not mtimes): the cache key of the step. */
  checksum: string;
  /** Single local tar files for ADD, extracted rather than copied. */
  archives: Array<{ node: ContextNode; destDir: string }>;
}

const WILDCARD = /[*?[]/;

/** lstat's type bits, which the checksum has always carried with the permission bits. */
const TYPE_BITS = { file: 0o100000, directory: 0o040000, symlink: 0o120000 } as const;

/**
 * Docker's COPY source rules (moby builder/dockerfile/copy.go): sources are relative to the
 * context and may not leave it; wildcards match names in the context; a directory's contents
 * (not the directory) are copied; with several sources the destination must end in `/`; a
 * destination ending in `/` (or an existing directory) receives files under their base names.
 */
export async function planCopy(o: {
  context: ContextTree; sources: string[]; dest: string; workdir: string; isIgnored: (rel: string) => boolean;
  destIsDir: (abs: string) => Promise<boolean>; cmd: 'COPY' | 'ADD';
  /** ADD of local files: a tar (plain or compressed) is extracted; defaults to cmd === 'ADD'. */
  isExtracting?: boolean;
  /** ADD's URLs, already downloaded: source word → file. Never extracted, never ignored. */
  remote?: ReadonlyMap<string, string>;
}): Promise<CopyPlan> {
  const matched: Array<{ rel: string; at: string; node: ContextNode; isRemote?: boolean }> = [];
  for (const src of o.sources) {
    const downloaded = o.remote?.get(src);
    if (downloaded !== undefined) {
      const node = await nodeOfFile(downloaded);
      if (node) matched.push({ rel: path.basename(downloaded), at: '', node, isRemote: true });
      continue;
    }
    const rel = path.posix.normalize(src.replace(/^\/+/, ''));
    if (rel === '..' || rel.startsWith('../')) throw new InvalidArgumentError(`${o.cmd} failed: forbidden path outside the build context: ${src} ()`);
    const found = WILDCARD.test(rel) ? glob(o.context, rel, o.isIgnored) : [rel === '' ? '.' : rel];
    if (found.length === 0) throw new NotFoundError(`${o.cmd} failed: no source files were specified`);
    for (const f of found) {
      // Symlinks on the way (and a symlink named as the source) are followed inside the
      // context only, as dockerd's FollowSymlinkInScope: a link to /etc never reads the host.
      const at = o.context.resolve(f);
      const node = (f !== '.' && o.isIgnored(f)) ? undefined : o.context.get(at);
      if (!node) throw new NotFoundError(`${o.cmd} failed: file not found in build context or excluded by .dockerignore: stat ${f}: file does not exist`);
      matched.push({ rel: f, at, node });
    }
  }
  const destAbs = path.posix.resolve('/', o.workdir || '/', o.dest);
  const destIsDirSyntax = o.dest.endsWith('/') || o.dest.endsWith('/.') || o.dest === '.';
  if (matched.length > 1 && !destIsDirSyntax) throw new InvalidArgumentError(`When using ${o.cmd} with more than one source file, the destination must be a directory and end with a /`);
  const destIsDir = destIsDirSyntax || matched.length > 1 || await o.destIsDir(destAbs);
  const entries: CopyEntry[] = [];
  const archives: CopyPlan['archives'] = [];
  for (const m of matched) {
    if (m.node.type === 'directory') {
      walk(o.context, m.at, m.rel, path.posix.relative('/', destAbs), o.isIgnored, entries);
    } else if ((o.isExtracting ?? o.cmd === 'ADD') && !m.isRemote && m.node.type === 'file' && await isTar(m.node)) {
      archives.push({ node: m.node, destDir: destAbs });
    } else {
      const target = destIsDir ? path.posix.join(destAbs, path.posix.basename(m.rel)) : destAbs;
      entries.push({ name: path.posix.relative('/', target), node: m.node });
    }
  }
  // Contents, modes, owners and link targets; not mtimes. A directory counts as size 0.
  const hash = createHash('sha256');
  for (const { name, node: n } of entries) {
    hash.update(`${name}\0${TYPE_BITS[n.type] | n.mode}\0${n.uid}\0${n.gid}\0${n.size}\0`);
    if (n.type === 'file') hash.update(await nodeDigest(n));
    if (n.type === 'symlink') hash.update(n.linkname ?? '');
    hash.update('\n');
  }
  for (const a of archives) hash.update(`archive\0${a.destDir}\0${await nodeDigest(a.node)}\n`);
  const hex = hash.digest('hex');
  const kind = matched.length > 1 ? 'multi' : matched[0]!.node.type === 'directory' ? 'dir' : 'file';
  return { entries, archives, checksum: hex, sourceWord: `${kind}:${hex}` };
}

function walk(tree: ContextTree, at: string, rel: string, destRel: string, isIgnored: (r: string) => boolean, out: CopyEntry[]): void {
  for (const n of tree.list(at)) {
    const r = rel === '.' ? n : `${rel}/${n}`;
    if (isIgnored(r)) continue;
    const a = at ? `${at}/${n}` : n;
    const node = tree.get(a)!;
    const name = destRel ? `${destRel}/${n}` : n;
    out.push({ name, node });
    if (node.type === 'directory') walk(tree, a, r, name, isIgnored, out);
  }
}

function glob(tree: ContextTree, pattern: string, isIgnored: (r: string) => boolean): string[] {
  const parts = pattern.split('/');
  let cur = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const c of cur) {
      if (!WILDCARD.test(part)) { next.push(c ? `${c}/${part}` : part); continue; }
      const re = new RegExp(`^${part.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
      const at = tree.resolve(c || '.');
      const names = tree.get(at)?.type === 'directory' ? tree.list(at) : [];
      for (const n of names) if (re.test(n)) next.push(c ? `${c}/${n}` : n);
    }
    cur = next;
  }
  return cur.filter((c) => !isIgnored(c) && tree.get(tree.resolve(c)) !== undefined);
}

/** A tar (plain or compressed) by its magic, as Docker's ADD decides to extract. */
async function isTar(n: ContextNode): Promise<boolean> {
  const b = await nodeHead(n, 512);
  if (b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
  if (b.subarray(0, 3).toString() === 'BZh') return true;
  if (b[0] === 0xfd && b.subarray(1, 6).toString() === '7zXZ\0') return true;
  return b.length >= 262 && b.subarray(257, 262).toString() === 'ustar';
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
      for (const { name, node: n } of entries) {
        const base = { name, mode: chmod !== undefined && n.type !== 'symlink' ? chmod : n.mode, uid: chown?.uid ?? 0, gid: chown?.gid ?? 0, mtime: n.mtime };
        if (n.type === 'directory') await add(pack, { ...base, name: `${name}/`, type: 'directory' });
        else if (n.type === 'symlink') await add(pack, { ...base, type: 'symlink', linkname: n.linkname ?? '' });
        else await add(pack, { ...base, type: 'file', size: n.size }, openNode(n));
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
