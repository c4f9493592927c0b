import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { ConflictError, InternalError, NotFoundError } from '../errors/index.js';
import { KeyedLock, readJson, writeJsonAtomic, mkdirAll } from '../store/index.js';
import { mapLimit, type Logger } from '../util/index.js';
import { NameRegistry } from './names.js';
import type { ContainerRecord } from './record.js';

const ID_RE = /^[a-f0-9]{64}$/;

/** Where one container's files live, under `containers/<id>/`. */
export interface ContainerPaths {
  dir: string;
  record: string;
  bundle: string;
  upper: string;
  /** The init layer (mount points), the topmost lower. */
  init: string;
  work: string;
  rootfs: string;
  log: string;
  hostname: string;
  hosts: string;
  resolvConf: string;
  /** Short exec-root paths (conmon's attach socket must fit in 108 bytes). */
  run: string;
}

/** How `update` treats the disk write of a change. */
export interface UpdateOptions {
  /**
   * The change is refused unless it is on disk (a rename, an update of the config): a failed
   * write undoes it in memory and throws. Otherwise (state changes: an exit, a kill, a start)
   * memory holds the true state at once; a failed write is logged and retried until it lands.
   */
  durable?: boolean;
  /** Kept in memory only, written along with the next change (a health check's newest log entry). */
  memoryOnly?: boolean;
}

const RETRY_MS = 1000;
/** Container records read at once at start-up. */
const INIT_READS = 32;

/**
 * Container records, indexed in memory by id and name: the one owner of every record.
 *
 * Ownership rule (ADR 0011): a record changes only through `update(id, change)`, called while
 * holding the container's lock (`withLock`). `update` reads the current record, applies
 * `change` and saves the result, so no caller can save a copy it read before the lock (a stale
 * copy would overwrite an exit recorded in between). Memory is the truth: a change is visible
 * at once, and `waitUntil` wakes on it. On disk a record is only ever replaced whole (atomic
 * write), so a crash leaves the old or the new one.
 */
export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();
  readonly names = new NameRegistry();
  private readonly locks = new KeyedLock();
  private readonly changes = new EventEmitter();
  /** Records whose last write failed (a full disk): retried until they land. */
  private readonly unsaved = new Set<string>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly root: string, private readonly execRoot: string, private readonly logger: Logger) {
    this.changes.setMaxListeners(0);
  }

  async init(): Promise<ContainerRecord[]> {
    await mkdirAll(this.root, 0o710);
    const names = await fsp.readdir(this.root);
    // The records are read in parallel (a thousand one after another took most of a start:
    // issue 18), then taken in directory order as before.
    const read = await mapLimit(names, INIT_READS, (name) => (ID_RE.test(name) ? readJson<ContainerRecord>(this.paths(name).record) : Promise.resolve(undefined)));
    for (const [i, name] of names.entries()) {
      if (name.startsWith('.tmp-')) { await fsp.rm(path.join(this.root, name), { recursive: true, force: true }); continue; }
      if (!ID_RE.test(name)) continue;
      const rec = read[i];
      if (!rec) {
        // The directory was made but the record never written: a create interrupted by a crash.
        this.logger.warn({ component: 'container', containerId: name }, 'removing a container directory without a record');
        await fsp.rm(path.join(this.root, name), { recursive: true, force: true });
        continue;
      }
      this.records.set(rec.id, rec);
      this.names.reserve(rec.name, rec.id);
    }
    return [...this.records.values()];
  }

  paths(id: string): ContainerPaths {
    const dir = path.join(this.root, id);
    const run = path.join(this.execRoot, 'c', id.slice(0, 16));
    return {
      dir,
      record: path.join(dir, 'config.json'),
      bundle: path.join(dir, 'bundle'),
      upper: path.join(dir, 'upper'),
      init: path.join(dir, 'init'),
      work: path.join(dir, 'work'),
      rootfs: path.join(dir, 'rootfs'),
      log: path.join(dir, `${id}-json.log`),
      hostname: path.join(dir, 'hostname'),
      hosts: path.join(dir, 'hosts'),
      resolvConf: path.join(dir, 'resolv.conf'),
      run,
    };
  }

  list(): ContainerRecord[] { return [...this.records.values()]; }
  get(id: string): ContainerRecord | undefined { return this.records.get(id); }

  /** By full id, name, or unique id prefix, as Docker's GetContainer: "No such container: x". */
  resolve(idOrName: string): ContainerRecord {
    const byId = this.records.get(idOrName);
    if (byId) return byId;
    const byName = this.names.get(idOrName);
    // A name is reserved before its container's record exists (create in progress): not found yet.
    const named = byName ? this.records.get(byName) : undefined;
    if (named) return named;
    if (/^[a-f0-9]+$/.test(idOrName)) {
      const matches = [...this.records.keys()].filter((id) => id.startsWith(idOrName));
      if (matches.length === 1) return this.records.get(matches[0]!)!;
      if (matches.length > 1) throw new ConflictError(`multiple IDs found with provided prefix: ${idOrName}`);
    }
    throw new NotFoundError(`No such container: ${idOrName}`);
  }

  /** The containers using an image, for `rmi`'s conflict checks. */
  imageUsers(imageId: string): Array<{ containerId: string; isRunning: boolean }> {
    return this.list().filter((c) => c.imageId === imageId).map((c) => ({ containerId: c.id, isRunning: ['running', 'paused', 'restarting'].includes(c.state.status) }));
  }

  /** Ids of the containers (any state) whose mount points name a volume. */
  volumeUsers(name: string): string[] {
    return this.list().filter((c) => (c.mountPoints ?? []).some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.id);
  }

  /** Runs `fn` holding the container's lock (re-entrant: nested calls of one holder run at once). */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  /** Saves a new container's first record; throws when it cannot be written (create fails). */
  async add(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.paths(rec.id).record, rec);
    this.records.set(rec.id, rec);
    this.changes.emit(rec.id, rec);
  }

  /**
   * The one way to change a record: under the container's lock, `change` gets the current
   * record and returns the next (or the same object for no change). Resolves with the record
   * now current. NotFoundError when the container is gone.
   */
  async update(id: string, change: (cur: ContainerRecord) => ContainerRecord, opts: UpdateOptions = {}): Promise<ContainerRecord> {
    if (!this.locks.isHeld(id)) throw new InternalError(`container ${id}: record changed without holding its lock`);
    const cur = this.records.get(id);
    if (!cur) throw new NotFoundError(`No such container: ${id}`);
    const next = change(cur);
    if (next === cur) return cur;
    this.records.set(id, next);
    this.changes.emit(id, next);
    if (opts.memoryOnly) { this.unsaved.add(id); return next; }
    try {
      await writeJsonAtomic(this.paths(id).record, next);
      this.unsaved.delete(id);
    } catch (err) {
      if (opts.durable) {
        if (this.records.get(id) === next) { this.records.set(id, cur); this.changes.emit(id, cur); }
        throw err;
      }
      // Not written, but true: the state stays in memory and the write is tried again.
      this.logger.warn({ component: 'container', containerId: id, err }, 'saving the container record failed; kept in memory and retried');
      this.unsaved.add(id);
      this.scheduleRetry();
    }
    return next;
  }

  /** Resolves with the record once `pred` holds for it (at once if it does), or undefined once it is removed. */
  waitUntil(id: string, pred: (rec: ContainerRecord) => boolean, signal?: AbortSignal): Promise<ContainerRecord | undefined> {
    return new Promise((resolve, reject) => {
      const now = this.records.get(id);
      if (!now || pred(now)) { resolve(now); return; }
      const onChange = (rec: ContainerRecord | undefined) => { if (!rec || pred(rec)) { cleanup(); resolve(rec); } };
      const onAbort = () => { cleanup(); reject(signal!.reason); };
      const cleanup = () => { this.changes.off(id, onChange); signal?.removeEventListener('abort', onAbort); };
      if (signal?.aborted) { reject(signal.reason); return; }
      this.changes.on(id, onChange);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Writes every record that is only in memory (at shutdown, and on retry). */
  async flush(): Promise<void> {
    for (const id of [...this.unsaved]) {
      await this.locks.run(id, async () => {
        const rec = this.records.get(id);
        if (!rec) { this.unsaved.delete(id); return; }
        await writeJsonAtomic(this.paths(id).record, rec);
        this.unsaved.delete(id);
      });
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flush().then(() => {
        if (this.unsaved.size) this.scheduleRetry();
      }, (err: unknown) => {
        this.logger.debug({ component: 'container', err }, 'retrying unsaved container records');
        this.scheduleRetry();
      });
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  /** Forgets a container whose directory has been removed. */
  forget(id: string): void {
    const rec = this.records.get(id);
    if (!rec) return;
    this.names.release(rec.name);
    this.records.delete(id);
    this.unsaved.delete(id);
    this.changes.emit(id, undefined);
  }
}
