import { lstatSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import { resolveWithin } from '../store/index.js';

/**
 * Reads a tar name as relative to the layer root: leading `/` and `./` go, `.` and `..`
 * are folded. A name that then still climbs out (`../x`, `a/../../x`) is refused, as
 * moby's Unpack refuses it ("breakout"); we are stricter in also refusing `/../x`, which
 * no honest writer produces. Returns '' for the root itself.
 */
export function cleanEntryName(name: string, what = 'entry'): string {
  const clean = path.posix.normalize(name.replace(/^\/+/, '')).replace(/\/+$/, '');
  if (clean === '..' || clean.startsWith('../')) {
    throw new InvalidArgumentError(`tar ${what} ${JSON.stringify(name)} points outside the layer`);
  }
  return clean === '.' ? '' : clean;
}

/**
 * Resolves the directory `relDir` inside `root` as if root were `/`, creating what is
 * missing (0755, like moby's implied directories). Symlinks already extracted on the way are
 * followed within root, so `a -> /` or `a -> ../../..` followed by `a/x` lands in root/x.
 *
 * Check-then-use is safe here: the layer is built in a fresh temp directory that only this
 * extraction writes to, one entry at a time, so nothing can swap a component after it is
 * resolved.
 */
export async function ensureParent(root: string, relDir: string): Promise<string> {
  if (relDir === '' || relDir === '.') return root;
  const resolved = resolveWithin(root, relDir, true);
  if (lstatSync(resolved, { throwIfNoEntry: false })?.isDirectory()) return resolved;
  let cur = root;
  for (const part of path.relative(root, resolved).split(path.sep).filter((p) => p !== '')) {
    cur = path.join(cur, part);
    try {
      await fsp.mkdir(cur, 0o755);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) throw err;
    }
  }
  return resolved;
}

/**
 * Where a hard link entry points: its target name cleaned and refused the same way as
 * entry names, and its parents resolved within root so a symlinked directory cannot turn
 * `s/passwd` into the host's /etc/passwd. The final component is not followed: link(2)
 * links a symlink itself, as tar does.
 */
export function linkTargetPath(root: string, entryName: string, linkname: string): string {
  const rel = cleanEntryName(linkname, `hard link target of ${JSON.stringify(entryName)}:`);
  if (rel === '') throw new InvalidArgumentError(`tar entry ${JSON.stringify(entryName)} hard-links the layer root`);
  return resolveWithin(root, rel, false);
}
