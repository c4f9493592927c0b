import path from 'node:path';
import { EngineError, InternalError, InvalidArgumentError, errnoOf } from '../errors/index.js';
import { S_IFCHR, lsetxattr, mknod } from '../sys/index.js';
import type { Logger } from '../util/index.js';
import { applyDirTimes, clearPath, createEntry, type ExtractState } from './create-entry.js';
import { cleanEntryName, ensureParent } from './entry-path.js';
import type { TarEntry } from './tar-reader.js';
import { OPAQUE_XATTR, isUnderAufsMeta, whiteoutOf } from './whiteout.js';

/**
 * Extracts a layer's entries into `root`, an empty directory only this call writes to, and
 * returns the layer's size (bytes of files and symlink targets, each inode once).
 * Nothing is ever written outside root: names are cleaned and refused when they climb out,
 * parents are resolved within root, the final component is never followed. Tar whiteouts
 * become overlay whiteouts. Throws InvalidArgumentError for a bad layer, InternalError
 * (with the failing entry and the cause) for a host failure; root is left for the caller
 * to remove.
 */
export async function extractTar(
  root: string,
  entries: AsyncIterable<TarEntry>,
  opts: { logger: Logger; signal?: AbortSignal },
): Promise<{ sizeBytes: number }> {
  const state: ExtractState = { root, dirTimes: new Map(), sizes: new Map(), skippedXattrs: [] };
  if (opts.signal) state.signal = opts.signal;
  for await (const entry of entries) {
    opts.signal?.throwIfAborted();
    try {
      await extractEntry(state, entry);
    } catch (err) {
      throw withEntryContext(err, entry.header.name);
    }
  }
  applyDirTimes(state);
  if (state.skippedXattrs.length > 0) {
    // Docker also goes on without them (they were not settable here); say which.
    opts.logger.warn({ count: state.skippedXattrs.length, xattrs: state.skippedXattrs.slice(0, 20) }, 'layer xattrs not applied');
  }
  let sizeBytes = 0;
  for (const n of state.sizes.values()) sizeBytes += n;
  return { sizeBytes };
}

async function extractEntry(state: ExtractState, { header, body }: TarEntry): Promise<void> {
  const rel = cleanEntryName(header.name);
  if (rel === '') {
    // Like moby, the root's own entry (`./`) is skipped: the layer root is ours.
    if (header.type === 'dir') return;
    throw new InvalidArgumentError(`tar entry ${JSON.stringify(header.name)} names the layer root but is not a directory`);
  }
  if (isUnderAufsMeta(rel)) return;
  const base = path.posix.basename(rel);
  const whiteout = whiteoutOf(header.name, base);
  if (whiteout?.kind === 'aufs-meta') return;
  const parent = await ensureParent(state.root, path.posix.dirname(rel));
  if (whiteout?.kind === 'opaque') {
    lsetxattr(parent, OPAQUE_XATTR, 'y');
    return;
  }
  if (whiteout?.kind === 'whiteout') {
    // Owned by root (0:0) as overlayfs' own whiteouts; the kernel looks only at the type.
    const dst = path.join(parent, whiteout.target);
    await clearPath(state, dst, false);
    mknod(dst, S_IFCHR, 0);
    return;
  }
  await createEntry(state, path.join(parent, base), header, body);
}

/**
 * Errnos that, in a fresh directory only we write to as root, can only come from the layer's
 * content: entries that contradict each other (a file where a directory must be), a hard link
 * to a directory (EPERM), a malformed xattr value (EINVAL, E2BIG, ERANGE).
 */
const LAYER_FAULTS = new Set([
  'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'EEXIST', 'ENOTEMPTY', 'EPERM', 'EMLINK', 'EINVAL', 'E2BIG', 'ERANGE',
]);

function withEntryContext(err: unknown, name: string): unknown {
  if (err instanceof EngineError || (err instanceof Error && err.name === 'AbortError')) return err;
  const message = `extract tar entry ${JSON.stringify(name)}: ${err instanceof Error ? err.message : String(err)}`;
  if (LAYER_FAULTS.has(errnoOf(err) ?? '')) return new InvalidArgumentError(message, { cause: err });
  return new InternalError(message, { cause: err });
}
