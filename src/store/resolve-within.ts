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
  const done = resolveParts(rel, followFinal, (parts) => {
    const candidate = path.join(base, ...parts);
    try {
      return lstatSync(candidate).isSymbolicLink() ? readlinkSync(candidate) : undefined;
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
      return undefined;
    }
  });
  return path.join(base, ...done);
}

/**
 * resolveWithin's walk over any tree: `linkAt(parts)` answers the target of the symlink at
 * those components from the root, or undefined for anything else (missing included). Returns
 * the resolved components; throws ELOOP past 255 links.
 */
export function resolveParts(rel: string, followFinal: boolean, linkAt: (parts: string[]) => string | undefined): string[] {
  let todo = splitParts(rel);
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part === '.' || part === '') continue;
    if (part === '..') { done.pop(); continue; }
    const target = todo.length > 0 || followFinal ? linkAt([...done, part]) : undefined;
    if (target === undefined) { done.push(part); continue; }
    if (++links > MAX_LINKS) {
      const err = new Error(`too many levels of symbolic links: ${rel}`) as Error & { code: string };
      err.code = 'ELOOP';
      throw err;
    }
    if (target.startsWith('/')) done.length = 0;
    todo = [...splitParts(target), ...todo];
  }
  return done;
}

function splitParts(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}
