import type { Readable } from 'node:stream';
import type { DiffOptions } from './diff.js';

/** What applying one layer produced. Ids are `sha256:<hex>`. */
export interface LayerApplied {
  chainId: string;
  diffId: string;
  /** Bytes of the files in the layer (each inode once), as Docker reports a layer's size. */
  sizeBytes: number;
  /** Bytes of the uncompressed layer tar (what `save` writes); absent for snapshots made before it was recorded. */
  tarBytes?: number;
  /**
   * What the snapshot occupies, counted as `du -sb` counts: apparent sizes of every file,
   * directory and symlink in its directory, each inode once (ADR 0022).
   */
  usageBytes?: number;
}

export interface SnapshotInfo {
  chainId: string;
  /** Chain id of the snapshot below; undefined for a bottom layer. */
  parent?: string;
  diffId: string;
  sizeBytes: number;
  tarBytes?: number;
  usageBytes?: number;
  /** RFC 3339 time the snapshot was committed. */
  created: string;
}

export interface ApplyOptions {
  /** When given, a layer whose uncompressed digest differs is refused (InvalidArgumentError). */
  expectedDiffId?: string;
  signal?: AbortSignal;
  /**
   * Extraction starts at once but the commit waits for this promise, and a rejection abandons
   * the apply. A pull passes its parent's apply (and the blob's verification), so layers are
   * extracted in parallel and still committed in chain order; the parent need not exist yet.
   */
  commitAfter?: Promise<unknown>;
}

/**
 * Overlay snapshots: one directory per layer chain, extracted once and shared by every image
 * containing that chain. A snapshot is immutable from commit to removal.
 *
 * Lifecycle. `init()` once before anything else: it creates the root, sweeps leftovers of
 * interrupted applies and removals, and indexes what is committed. `applyLayer` extracts into
 * a temp directory that nobody else sees; renaming it into place is the commit, after which
 * the snapshot is visible to `has`, `stat`, `list`, `lowerDirs`, `mount`. A failed or
 * aborted apply leaves nothing behind. Applying a chain that exists (or that a concurrent
 * apply commits first) discards the new copy and returns the committed one: applies of the
 * same chain are safe to run at once.
 *
 * Ownership. The caller decides what is in use: `remove` refuses only a snapshot that
 * another snapshot (or an apply about to commit) stacks on, not one that is mounted or
 * referenced by an image; that bookkeeping belongs to image/ and container/. Mounts made
 * with `mount` are the caller's to `unmount`; upper and work directories are the caller's.
 *
 * Errors. InvalidArgumentError (400): a malformed id, a bad layer (not tar, unsupported
 * compression, a name or hard link that climbs out of the layer, diffId mismatch).
 * NotFoundError: no such snapshot, or the parent of an apply is missing. ConflictError:
 * removing a parent. InternalError: the host failed (disk, mount), with the cause attached.
 * An aborted `signal` rejects with its AbortError.
 */
export interface Snapshotter {
  init(): Promise<void>;
  has(chainId: string): boolean;
  /**
   * Extracts one layer on top of `parentChainId` (which must exist). `tar` is an uncompressed
   * or gzip tar stream (zstd only where Node has it), detected by its magic bytes; it is
   * always consumed or destroyed. The diffId is the sha256 of the uncompressed bytes.
   */
  applyLayer(parentChainId: string | undefined, tar: Readable, opts?: ApplyOptions): Promise<LayerApplied>;
  stat(chainId: string): Promise<SnapshotInfo>;
  /** Every committed snapshot, oldest first. */
  list(): Promise<SnapshotInfo[]>;
  /** The `diff` directories of a chain, topmost first: its own, then each parent's. */
  lowerDirs(chainId: string): Promise<string[]>;
  /** Removes a snapshot; missing is not an error. ConflictError when another snapshot sits on it. */
  remove(chainId: string): Promise<void>;
  /**
   * Mounts the chain at `target` (an existing directory): read-only without `rw`, else an
   * overlay with the caller's empty `upperDir` and `workDir` (same filesystem) on top.
   */
  mount(chainId: string, target: string, rw?: { upperDir: string; workDir: string }): Promise<void>;
  /** Unmounts `target`; not mounted is not an error. */
  unmount(target: string): Promise<void>;
  /**
   * A tar of the changes in an overlay upper directory, whiteouts in tar form (see diff.ts).
   * The directory must not change while the stream is read (pause the container).
   * `clampMtimeSec` caps every entry's mtime (reproducible builds' SOURCE_DATE_EPOCH).
   */
  diffTar(upperDir: string, mapIds?: (uid: number, gid: number) => [number, number], opts?: DiffOptions): Readable;
}
