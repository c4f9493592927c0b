import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError } from '../errors/index.js';
import { decompressed } from '../image/index.js';
import { resolveWithin } from '../store/index.js';

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
    await Promise.all([pipeline(await decompressed(source), extract, { signal }), consume]);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const msg = (err as Error).message ?? String(err);
    if (/unexpected end|invalid tar|header/i.test(msg)) throw new InvalidArgumentError(`failed to read build context: ${msg}`, { cause: err });
    throw err;
  }
}

function cleanName(raw: string): string | undefined {
  const norm = path.posix.normalize(raw.replace(/^\/+/, ''));
  if (norm === '.' || norm === '' || norm === './') return undefined;
  if (norm === '..' || norm.startsWith('../')) throw new InvalidArgumentError(`invalid build context: entry ${JSON.stringify(raw)} points outside the context`);
  return norm.replace(/\/$/, '');
}

/**
 * `.dockerignore` as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments,
 * `!` exceptions, the last matching pattern wins, `**` any number of directories. The CLI
 * already leaves excluded files out; the daemon applies it again for contexts sent by others.
 */
export function ignoreMatcher(text: string): (rel: string) => boolean {
  const rules = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const p = path.posix.normalize((negate ? l.slice(1).trim() : l).replace(/^\/+/, ''));
    return { negate, re: patternRe(p) };
  });
  return (rel) => {
    let excluded = false;
    for (const r of rules) {
      // A pattern matching a parent directory excludes what is below it.
      const parts = rel.split('/');
      for (let i = 1; i <= parts.length; i++) {
        if (r.re.test(parts.slice(0, i).join('/'))) { excluded = !r.negate; break; }
      }
    }
    return excluded;
  };
}

function patternRe(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      i++;
      if (p[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else re += /[.+^${}()|[\]]/.test(c) ? '\\' + c : c;
  }
  return new RegExp(`^${re}$`);
}
