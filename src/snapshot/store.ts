import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { ConflictError, EngineError, InternalError, InvalidArgumentError, NotFoundError, isErrno } from '../errors/index.js';
import { KeyedLock, fsyncDir, readJson, sweepTemps, tempNameFor, writeJsonAtomic, mkdirAll } from '../store/index.js';
import type { Logger } from '../util/index.js';
import { chainIdOf, hexOf } from './chain-id.js';
import { diffTar, type DiffOptions, type IdMapper } from './diff.js';
import { extractTar } from './extract.js';
import { layerStream } from './layer-stream.js';
import { mountLayers, unmountLayers } from './mount.js';
import type { ApplyOptions, LayerApplied, SnapshotInfo, Snapshotter } from './snapshotter.js';
import { readTar } from './tar-reader.js';
import { diskUsage } from './usage.js';

/**
 * The overlay2 snapshotter (contract at `Snapshotter`). On disk, under `root`
 * (`<data-root>/snapshots`): `<hex of chainId>/diff` holds the layer's files and
 * `<hex>/info.json` its record; `.tmp-*` are applies and removals in progress.
 */
export class SnapshotStore implements Snapshotter {
  private readonly root: string;
  private readonly logger: Logger;
  private readonly index = new Map<string, SnapshotInfo>();
  /** Parents of applies between their parent check and their commit; `remove` refuses them. */
  private readonly pins = new Map<string, number>();
  private readonly locks = new KeyedLock();

  constructor(opts: { root: string; logger: Logger }) {
    this.root = path.resolve(opts.root);
    this.logger = opts.logger;
  }

  async init(): Promise<void> {
    await mkdirAll(this.root, 0o700);
    const swept = await sweepTemps(this.root);
    if (swept.length > 0) this.logger.info({ swept }, 'removed leftovers of interrupted snapshot work');
    for (const name of await fsp.readdir(this.root)) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const info = await this.readInfo(name);
      if (!info) continue;
      if (info.usageBytes === undefined) {
        // Snapshots committed before usage was recorded (ADR 0022): measured once, kept.
        info.usageBytes = await diskUsage(path.join(this.root, name, 'diff')) + DIR_OVERHEAD_BYTES;
        await writeJsonAtomic(path.join(this.root, name, 'info.json'), info);
      }
      this.index.set(info.chainId, info);
    }
  }

  has(chainId: string): boolean {
    hexOf(chainId);
    return this.index.has(chainId);
  }

  async applyLayer(parentChainId: string | undefined, tar: Readable, opts: ApplyOptions = {}): Promise<LayerApplied> {
    let existing: SnapshotInfo | undefined;
    try {
      if (parentChainId !== undefined && opts.commitAfter === undefined) this.require(parentChainId, 'parent snapshot');
      if (opts.expectedDiffId !== undefined) {
        hexOf(opts.expectedDiffId, 'diffId');
        existing = this.index.get(chainIdOf(parentChainId, opts.expectedDiffId));
      }
      opts.signal?.throwIfAborted();
    } catch (err) {
      tar.destroy();
      throw err;
    }
    if (existing) {
      // Layers are extracted once and shared: the digest already names what this stream holds.
      tar.destroy();
      return applied(existing);
    }
    if (opts.signal) addAbortSignal(opts.signal, tar);
    return this.extractAndCommit(parentChainId, tar, opts);
  }

  async stat(chainId: string): Promise<SnapshotInfo> {
    return { ...this.require(chainId) };
  }

  async list(): Promise<SnapshotInfo[]> {
    return [...this.index.values()]
      .map((i) => ({ ...i }))
      .sort((a, b) => a.created.localeCompare(b.created) || a.chainId.localeCompare(b.chainId));
  }

  async lowerDirs(chainId: string): Promise<string[]> {
    const dirs: string[] = [];
    for (let cur: string | undefined = this.require(chainId).chainId; cur !== undefined;) {
      const info = this.index.get(cur);
      if (!info || dirs.length > this.index.size) throw new InternalError(`snapshot chain of ${chainId} is broken at ${cur}`);
      dirs.push(path.join(this.dirOf(cur), 'diff'));
      cur = info.parent;
    }
    return dirs;
  }

  async remove(chainId: string): Promise<void> {
    const dir = this.dirOf(chainId);
    await this.locks.run(chainId, async () => {
      const info = this.index.get(chainId);
      if (!info) return;
      const child = [...this.index.values()].find((i) => i.parent === chainId);
      if (child || (this.pins.get(chainId) ?? 0) > 0) {
        const what = child ? `snapshot ${child.chainId}` : 'a layer being applied';
        throw new ConflictError(`snapshot ${chainId} is the parent of ${what}`);
      }
      // Out of the index first, so an apply on top of it fails from here on.
      this.index.delete(chainId);
      const trash = tempNameFor(dir);
      try {
        await fsp.rename(dir, trash);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) return;
        this.index.set(chainId, info);
        throw new InternalError(`remove snapshot ${chainId}: ${(err as Error).message}`, { cause: err });
      }
      // From here the snapshot is gone; a crash mid-rm leaves a `.tmp-*` that init sweeps.
      await fsp.rm(trash, { recursive: true, force: true });
    });
  }

  async mount(chainId: string, target: string, rw?: { upperDir: string; workDir: string }): Promise<void> {
    mountLayers(await this.lowerDirs(chainId), target, rw);
  }

  async unmount(target: string): Promise<void> {
    unmountLayers(target);
  }

  diffTar(upperDir: string, mapIds?: IdMapper, opts?: DiffOptions): Readable {
    return diffTar(upperDir, this.logger, mapIds, opts);
  }

  /** Extracts into a temp directory, verifies, commits; the temp directory never outlives the call. */
  private async extractAndCommit(parent: string | undefined, tar: Readable, opts: ApplyOptions): Promise<LayerApplied> {
    const tmp = path.join(this.root, `.tmp-apply-${randomBytes(8).toString('hex')}`);
    const diffDir = path.join(tmp, 'diff');
    try {
      await fsp.mkdir(tmp, 0o700);
      await fsp.mkdir(diffDir);
      await fsp.chmod(diffDir, 0o755);
      const layer = layerStream(tar);
      const extractOpts = { logger: this.logger, ...(opts.signal ? { signal: opts.signal } : {}) };
      const { sizeBytes } = await extractTar(diffDir, readTar(layer.chunks), extractOpts);
      const diffId = layer.diffId();
      if (opts.expectedDiffId !== undefined && opts.expectedDiffId !== diffId) {
        throw new InvalidArgumentError(`layer diffId mismatch: expected ${opts.expectedDiffId}, got ${diffId}`);
      }
      const usageBytes = await diskUsage(diffDir) + DIR_OVERHEAD_BYTES;
      if (opts.commitAfter !== undefined) await opts.commitAfter;
      const info: SnapshotInfo = { chainId: chainIdOf(parent, diffId), diffId, sizeBytes, tarBytes: layer.tarBytes(), usageBytes, created: new Date().toISOString() };
      if (parent !== undefined) info.parent = parent;
      return applied(await this.commit(tmp, info));
    } catch (err) {
      throw withContext(err, `apply layer on ${parent ?? 'scratch'}`);
    } finally {
      tar.destroy();
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Renames the temp directory into place (the commit), unless the chain is already there. */
  private commit(tmp: string, info: SnapshotInfo): Promise<SnapshotInfo> {
    return this.locks.run(info.chainId, async () => {
      const existing = this.index.get(info.chainId);
      if (existing) return existing; // a concurrent apply won; the caller's finally discards our copy
      if (info.parent !== undefined && !this.index.has(info.parent)) {
        throw new NotFoundError(`parent snapshot ${info.parent} was removed during the apply`);
      }
      this.pin(info.parent, 1);
      try {
        await writeJsonAtomic(path.join(tmp, 'info.json'), info);
        await fsp.rename(tmp, this.dirOf(info.chainId));
        this.index.set(info.chainId, info);
      } finally {
        this.pin(info.parent, -1);
      }
      try {
        await fsyncDir(this.root);
      } catch (err) {
        // The rename is done and visible; failing now would report a snapshot that exists as missing.
        this.logger.warn({ err, chainId: info.chainId }, 'fsync of the snapshot root failed after commit');
      }
      return info;
    });
  }

  private pin(chainId: string | undefined, delta: number): void {
    if (chainId === undefined) return;
    const n = (this.pins.get(chainId) ?? 0) + delta;
    if (n > 0) this.pins.set(chainId, n);
    else this.pins.delete(chainId);
  }

  private require(chainId: string, what = 'snapshot'): SnapshotInfo {
    hexOf(chainId);
    const info = this.index.get(chainId);
    if (!info) throw new NotFoundError(`${what} ${chainId} not found`);
    return info;
  }

  private dirOf(chainId: string): string {
    return path.join(this.root, hexOf(chainId));
  }

  private async readInfo(hex: string): Promise<SnapshotInfo | undefined> {
    const file = path.join(this.root, hex, 'info.json');
    let info: SnapshotInfo | undefined;
    try {
      info = await readJson<SnapshotInfo>(file);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
    if (info?.chainId === `sha256:${hex}`) return info;
    // Commits write info.json before the rename, so this is damage from outside berth. The
    // directory is kept for a human to look at; the chain is treated as absent.
    this.logger.warn({ dir: path.join(this.root, hex) }, 'snapshot directory without a valid info.json ignored');
    return undefined;
  }
}

/** The snapshot's own directory and its info.json, besides `diff/` (a directory block and a small record). */
const DIR_OVERHEAD_BYTES = 4096 + 320;

function applied(info: SnapshotInfo): LayerApplied {
  return {
    chainId: info.chainId, diffId: info.diffId, sizeBytes: info.sizeBytes,
    ...(info.tarBytes !== undefined ? { tarBytes: info.tarBytes } : {}),
    ...(info.usageBytes !== undefined ? { usageBytes: info.usageBytes } : {}),
  };
}

/** Adds context, keeping the class (a 400 stays a 400); an abort stays the AbortError it is. */
function withContext(err: unknown, context: string): unknown {
  if (err instanceof Error && err.name === 'AbortError') return err;
  const message = `${context}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof EngineError) {
    // Every EngineError subclass takes (message, options), so its own constructor rebuilds it.
    const Same = err.constructor as new (message: string, options?: ErrorOptions) => EngineError;
    return new Same(message, { cause: err });
  }
  return new InternalError(message, { cause: err });
}
