import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import { decompressed, detectCompression } from '../image/index.js';
import { exec } from '../util/index.js';
import { resolveWithin } from '../store/index.js';
import { peekStream } from './peek.js';

/**
 * Unpacks a build context (plain or compressed tar) into `dir`, keeping modes and owners, so
 * COPY sees what the client sent. Names are root-relative; `..` is refused; parents resolve
 * inside `dir` (a symlink in the context never sends a write outside). Hard links become copies.
 */
export async function extractContext(source: Readable, dir: string, signal?: AbortSignal): Promise<void> {
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = cleanName(h.name);
      if (name === undefined) { entry.resume(); continue; }
      const parent = resolveWithin(dir, path.dirname(name));
      const target = path.join(parent, path.basename(name));
      const mode = (h.mode ?? 0o644) & 0o7777;
      if (h.type !== 'directory') await fsp.mkdir(parent, { recursive: true });
      switch (h.type) {
        case 'directory':
          await fsp.mkdir(resolveWithin(dir, name), { recursive: true });
          await fsp.chmod(resolveWithin(dir, name), mode);
          entry.resume();
          break;
        case 'file': case 'contiguous-file':
          await fsp.rm(target, { force: true, recursive: true });
          await pipeline(entry, createWriteStream(target, { flags: 'wx', mode }));
          await fsp.chmod(target, mode);
          break;
        case 'symlink':
          await fsp.rm(target, { force: true, recursive: true });
          await fsp.symlink(h.linkname ?? '', target);
          entry.resume();
          break;
        case 'link':
          await fsp.rm(target, { force: true, recursive: true });
          await fsp.copyFile(resolveWithin(dir, cleanName(h.linkname ?? '') ?? '.', false), target);
          entry.resume();
          break;
        default:
          entry.resume();
      }
    }
  })();
  try {
    // Both settle before anything is thrown: the caller removes `dir` next, and a consumer
    // still writing into it would make that removal fail (ENOTEMPTY).
    const results = await Promise.allSettled([pipeline(await contextStream(source, signal), padTar(), extract, { signal }), consume]);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/unexpected end|invalid tar|header/i.test(msg)) throw new InvalidArgumentError(`failed to read build context: ${msg}`, { cause: err });
    throw err;
  }
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
