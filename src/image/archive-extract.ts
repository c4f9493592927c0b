import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import { resolveWithin } from '../store/index.js';

/**
 * Unpacks an image archive (docker-archive or OCI layout: regular files, directories and the
 * symlinks older `docker save` used for repeated layers) into `dir`. Names are root-relative;
 * a name climbing out with `..` is refused; parents resolve inside `dir`, so a symlink in the
 * archive can never send a write outside. Other entry types carry nothing an image needs.
 */
export async function extractArchive(source: Readable, dir: string, signal?: AbortSignal): Promise<void> {
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const name = cleanName(entry.header.name);
      if (name === undefined) { entry.resume(); continue; }
      const parent = resolveWithin(dir, path.dirname(name));
      const target = path.join(parent, path.basename(name));
      switch (entry.header.type) {
        case 'directory':
          await fsp.mkdir(resolveWithin(dir, name), { recursive: true });
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file':
          await fsp.mkdir(parent, { recursive: true });
          await fsp.rm(target, { force: true, recursive: true });
          await pipeline(entry, createWriteStream(target, { flags: 'wx' }));
          break;
        case 'symlink':
          await fsp.mkdir(parent, { recursive: true });
          await fsp.rm(target, { force: true, recursive: true });
          await fsp.symlink(entry.header.linkname ?? '', target);
          entry.resume();
          break;
        default:
          entry.resume();
      }
    }
  })();
  try {
    await Promise.all([pipeline(source, extract, { signal }), consume]);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/unexpected end|invalid tar|header/i.test(msg)) throw new InvalidArgumentError(`invalid archive: ${msg}`, { cause: err });
    throw err;
  }
}

function cleanName(raw: string): string | undefined {
  const norm = path.posix.normalize(raw.replace(/^\/+/, ''));
  if (norm === '.' || norm === '' || norm === './') return undefined;
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgumentError(`invalid archive: entry ${JSON.stringify(raw)} points outside the archive`);
  return norm.replace(/\/$/, '');
}

/** A file inside an unpacked archive, by a name taken from the archive's own manifest. */
export function archivePath(dir: string, name: string): string {
  const norm = path.posix.normalize(name.replace(/^\/+/, ''));
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgumentError(`invalid archive: ${JSON.stringify(name)} points outside the archive`);
  return resolveWithin(dir, norm);
}
