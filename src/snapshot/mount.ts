import { InternalError, isErrno } from '../errors/index.js';
import { MS_BIND, MS_RDONLY, MS_REMOUNT, fsMount, mount, unmount } from '../sys/index.js';

export interface WritableLayer {
  upperDir: string;
  workDir: string;
}

/**
 * Mounts layer directories (topmost first) at `target`.
 *
 * Each lower is passed as its own `lowerdir+` through the new mount API, so the option
 * string has no one-page limit and 100+ layers mount with absolute paths. That is why
 * there are no short links in `snapshots/l/` as Docker's overlay2 keeps (DESIGN.md):
 * they only existed to fit mount(2)'s single page (FIELD-NOTES.md, overlayfs).
 *
 * Read-only with a single layer is a read-only bind mount, as containerd's overlay
 * snapshotter does: overlayfs refuses to mount one lower without an upper (EINVAL here).
 *
 * Writable mounts set redirect_dir=off and metacopy=off so that the upper directory alone
 * holds the changes, whole: diffTar reads it without consulting the lowers (moby falls back
 * to a naive diff when the host enables either).
 */
export function mountLayers(lowers: readonly string[], target: string, rw?: WritableLayer): void {
  if (lowers.length === 0) throw new InternalError(`mount ${target}: no layers`);
  try {
    if (!rw && lowers.length === 1) {
      bindReadOnly(lowers[0]!, target);
      return;
    }
    const options: Array<[string, string | true]> = [['source', 'overlay']];
    for (const dir of lowers) options.push(['lowerdir+', dir]);
    if (rw) options.push(['upperdir', rw.upperDir], ['workdir', rw.workDir], ['redirect_dir', 'off'], ['metacopy', 'off']);
    fsMount('overlay', target, options);
  } catch (err) {
    throw new InternalError(`mount ${lowers.length} layer(s) at ${target}: ${(err as Error).message}`, { cause: err });
  }
}

function bindReadOnly(source: string, target: string): void {
  mount(source, target, null, MS_BIND, null);
  try {
    // A bind mount ignores MS_RDONLY on creation; read-only takes a remount.
    mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY, null);
  } catch (err) {
    unmount(target, true);
    throw err;
  }
}

/** Unmounts `target`; a target that is not (or no longer) a mount point is already done. */
export function unmountLayers(target: string): void {
  try {
    unmount(target);
  } catch (err) {
    if (isErrno(err, 'EINVAL') || isErrno(err, 'ENOENT')) return;
    throw new InternalError(`unmount ${target}: ${(err as Error).message}`, { cause: err });
  }
}
