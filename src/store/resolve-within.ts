import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';

const MAX_LINKS = 255;

/**
 * Resolves `rel` inside `root` as if `root` were `/` (STYLE.md §7): every component is
 * looked up in turn, `..` never climbs above root, and a symlink met on the way is followed
 * with its target read relative to root (an absolute target restarts at root). The result is
 * always `root` or below. Components that do not exist yet are kept as written. When
 * `followFinal` is false the last component is not followed (lstat semantics).
 *
 * Check-then-use: a path can be swapped after this returns. Callers writing into a tree a
 * hostile party controls concurrently must also open with O_NOFOLLOW.
 */
export function resolveWithin(root: string, rel: string, followFinal = true): string {
  const base = path.resolve(root);
  let todo = splitParts(rel);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.' || part === '') continue;
    if (part === '..') { done.pop(); continue; }
    const candidate = path.join(base, ...done, part);
    const isLast = todo.length === 0;
    let target: string | undefined;
    if (!isLast || followFinal) {
      try {
        if (lstatSync(candidate).isSymbolicLink()) target = readlinkSync(candidate);
      } catch (err) {
        if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
      }
    }
    if (target === undefined) { done.push(part); continue; }
    if (++links > MAX_LINKS) {
      const err = new Error(`too many levels of symbolic links: ${rel}`) as Error & { code: string };
      err.code = 'ELOOP';
      throw err;
    }
    if (path.isAbsolute(target)) done.length = 0;
    todo = [...splitParts(target), ...todo];
  }
  return path.join(base, ...done);
}

function splitParts(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}
