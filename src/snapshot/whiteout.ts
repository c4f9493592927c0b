import { InvalidArgumentError } from '../errors/index.js';

/**
 * Whiteouts, the two ways they are written. In a layer tar (the OCI/aufs form) a deleted
 * `name` is an empty file `.wh.name`, and a directory whose lower contents are hidden holds
 * `.wh..wh..opq`. On disk overlayfs wants a 0/0 character device named `name`, and the
 * xattr `trusted.overlay.opaque=y` on the directory. Extraction converts one way
 * (extract.ts), diffTar the other (diff.ts), as moby's overlayWhiteoutConverter does.
 */
export const WHITEOUT_PREFIX = '.wh.';
export const WHITEOUT_META_PREFIX = '.wh..wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
export const OPAQUE_XATTR = 'trusted.overlay.opaque';

export type WhiteoutEntry =
  | { kind: 'opaque' }
  | { kind: 'whiteout'; target: string }
  /** aufs bookkeeping (`.wh..wh.plnk`, `.wh..wh.aufs`): not part of the image. */
  | { kind: 'aufs-meta' };

/**
 * Classifies a tar entry by its base name; undefined for an ordinary entry. A whiteout
 * must name a real sibling: `.wh.`, `.wh..` and `.wh...` would whiteout nothing, the
 * directory itself, or its parent (outside the layer at the top), so they are refused.
 */
export function whiteoutOf(entryName: string, base: string): WhiteoutEntry | undefined {
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === OPAQUE_MARKER) return { kind: 'opaque' };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: 'aufs-meta' };
  const target = base.slice(WHITEOUT_PREFIX.length);
  if (target === '' || target === '.' || target === '..') {
    throw new InvalidArgumentError(`invalid whiteout entry ${JSON.stringify(entryName)}`);
  }
  return { kind: 'whiteout', target };
}

/** True when the first component is aufs metadata (`.wh..wh.plnk/...`); skipped with all below it. */
export function isUnderAufsMeta(relName: string): boolean {
  return relName.startsWith(WHITEOUT_META_PREFIX) && relName !== OPAQUE_MARKER;
}

/** An overlay whiteout on disk: a character device with device number 0/0. */
export function isOverlayWhiteout(st: { isCharacterDevice(): boolean; rdev: number | bigint }): boolean {
  return st.isCharacterDevice() && Number(st.rdev) === 0;
}

/**
 * Overlay's own xattrs (`trusted.overlay.*`, and `user.overlay.*` for userxattr mounts)
 * steer lookups: redirect, metacopy, origin. They are never image content, so extraction
 * does not set them from a tar (save opaque, which the tar form also carries) and diffTar
 * does not emit them.
 */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.');
}
