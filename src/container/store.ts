import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, NotFoundError } from '../errors/index.js';
import { readJson, writeJsonAtomic } from '../store/index.js';
import type { Logger } from '../util/index.js';
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

/**
 * Container records, indexed in memory by id and name. A record is only ever replaced whole
 * (atomic write), so a crash leaves the old or the new one.
 */
export class ContainerStore {
  private readonly records = new Map<string, ContainerRecord>();
  readonly names = new NameRegistry();

  constructor(private readonly root: string, private readonly execRoot: string, private readonly logger: Logger) {}

  async init(): Promise<ContainerRecord[]> {
    await fsp.mkdir(this.root, { recursive: true, mode: 0o710 });
    for (const name of await fsp.readdir(this.root)) {
      if (name.startsWith('.tmp-')) { await fsp.rm(path.join(this.root, name), { recursive: true, force: true }); continue; }
      if (!ID_RE.test(name)) continue;
      const rec = await readJson<ContainerRecord>(this.paths(name).record);
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

  async save(rec: ContainerRecord): Promise<void> {
    await writeJsonAtomic(this.paths(rec.id).record, rec);
    this.records.set(rec.id, rec);
  }

  /**
   * Replaces the in-memory record without writing it: for state that may be lost in a crash
   * (a health check's latest log entries); the next `save` writes it along.
   */
  remember(rec: ContainerRecord): void {
    if (this.records.has(rec.id)) this.records.set(rec.id, rec);
  }

  /** Forgets a container whose directory has been removed. */
  forget(id: string): void {
    const rec = this.records.get(id);
    if (!rec) return;
    this.names.release(rec.name);
    this.records.delete(id);
  }
}
