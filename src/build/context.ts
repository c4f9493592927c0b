import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import { decompressed, detectCompression } from '../image/index.js';
import { exec } from '../util/index.js';
import type { ContextTree } from './context-tree.js';
import { peekStream } from './peek.js';

/**
 * Reads a build context (plain or compressed tar) into `tree`, below `prefix` (a path in the
 * tree), keeping modes and owners, so COPY sees what the client sent. Each file is hashed as
 * its bytes arrive and kept in memory while the tree has room, else written to the tree's
 * spill directory. Names are root-relative; `..` is refused; parents resolve inside the tree
 * (a symlink in the context never sends an entry outside it). Hard links become copies.
 */
export async function receiveContext(source: Readable, tree: ContextTree, o: { prefix?: string; signal?: AbortSignal } = {}): Promise<void> {
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const clean = cleanName(h.name);
      if (clean === undefined) { entry.resume(); continue; }
      const name = o.prefix ? `${o.prefix}/${clean}` : clean;
      const mode = (h.mode ?? 0o644) & 0o7777;
      const meta = { uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: tree.receivedAt };
      const target = (): string => {
        const parent = tree.ensureDir(tree.resolve(path.posix.dirname(name)));
        return parent ? `${parent}/${path.posix.basename(name)}` : path.posix.basename(name);
      };
      switch (h.type) {
        case 'directory': {
          const at = tree.resolve(name);
          const dirNode = tree.get(at);
          if (dirNode?.type === 'directory') Object.assign(dirNode, { mode, ...meta });
          else tree.set(at, { type: 'directory', mode, ...meta, size: 0 });
          entry.resume();
          break;
        }
        case 'file': case 'contiguous-file':
          tree.set(target(), { type: 'file', mode, ...meta, ...(await receiveFile(entry as unknown as Readable, h.size ?? 0, tree)) });
          break;
        case 'symlink':
          tree.set(target(), { type: 'symlink', mode: 0o777, ...meta, size: Buffer.byteLength(h.linkname ?? ''), linkname: h.linkname ?? '' });
          entry.resume();
          break;
        case 'link': {
          // The target is named from the archive's root, as the entries are.
          const to = cleanName(h.linkname ?? '') ?? '';
          const linkRel = o.prefix ? `${o.prefix}/${to}` : to;
          const linked = tree.get(tree.resolve(linkRel, false));
          const src = linked?.type === 'symlink' ? tree.get(tree.resolve(linkRel)) : linked;
          if (src?.type !== 'file') throw new InvalidArgumentError(`failed to read build context: hard link ${JSON.stringify(h.name)} to ${JSON.stringify(h.linkname)}: no such file`);
          tree.set(target(), { ...src, ...meta, mtime: tree.receivedAt });
          entry.resume();
          break;
        }
        default:
          entry.resume();
      }
    }
  })();
  try {
    // Both settle before anything is thrown: the caller removes the spill directory next, and
    // a consumer still writing into it would make that removal fail (ENOTEMPTY).
    // The consumer's error first: the pipeline's is then only the premature close it caused.
    const [piped, consumed] = await Promise.allSettled([pipeline(await contextStream(source, o.signal), padTar(), extract, o.signal ? { signal: o.signal } : {}), consume]);
    for (const r of [consumed, piped]) if (r.status === 'rejected') throw r.reason;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/unexpected end|invalid tar|header/i.test(msg)) throw new InvalidArgumentError(`failed to read build context: ${msg}`, { cause: err });
    throw err;
  }
}

/** A file's bytes, hashed on the way: in memory while the tree has room, else in a spill file. */
async function receiveFile(entry: Readable, size: number, tree: ContextTree): Promise<{ size: number; digest: string; data?: Buffer; file?: string }> {
  const hash = createHash('sha256');
  if (tree.hasRoomFor(size)) {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of entry) { hash.update(c as Buffer); chunks.push(c as Buffer); n += (c as Buffer).length; }
    // Copied, also from a single chunk: a slice would keep the whole network buffer it is in.
    return { size: n, digest: hash.digest('hex'), data: Buffer.concat(chunks, n) };
  }
  const file = await tree.spillPath();
  let n = 0;
  const hashing = new Transform({ transform(c: Buffer, _e, done) { hash.update(c); n += c.length; done(null, c); } });
  await pipeline(entry, hashing, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return { size: n, digest: hash.digest('hex'), file };
}

/**
 * The context's tar bytes: plain and gzip as image layers are read; bzip2 and xz (which
 * dockerd's DecompressStream also takes) through the system's `bzip2 -dc` / `xz -dc`.
 */
async function contextStream(source: Readable, signal: AbortSignal | undefined): Promise<Readable> {
  const { first, stream } = await peekStream(source, 6);
  const kind = detectCompression(first);
  if (kind !== 'bzip2' && kind !== 'xz') return decompressed(stream);
  const out = new PassThrough();
  exec(kind, ['-dc'], { input: stream, stdout: out, timeoutMs: 60 * 60_000, ...(signal ? { signal } : {}) }).then(
    () => out.end(),
    (err: unknown) => out.destroy(new InvalidArgumentError(`failed to read build context: ${kind}: ${(err as Error).message}`, { cause: err })),
  );
  return out;
}

/**
 * Pads a tar stream to whole blocks and adds the end-of-archive blocks. The docker CLI's
 * `-f -` (and a Dockerfile from outside the context) sends a tar rewritten by moby's
 * ReplaceFileTarWrapper that stops right after the last file's bytes; Go's tar reader, and
 * so dockerd, takes that as the end. Zero blocks after a complete archive are ignored.
 */
function padTar(): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) { size += chunk.length; done(null, chunk); },
    flush(done) { done(null, Buffer.alloc((512 - (size % 512)) % 512 + 1024)); },
  });
}

function cleanName(raw: string): string | undefined {
  const norm = path.posix.normalize(raw.replace(/^\/+/, ''));
  if (norm === '.' || norm === '' || norm === './') return undefined;
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgumentError(`invalid build context: entry ${JSON.stringify(raw)} points outside the context`);
  return norm.replace(/\/$/, '');
}

export { ignoreMatcher } from '../util/index.js';
