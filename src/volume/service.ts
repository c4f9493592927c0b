import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConflictError, InternalError, InvalidArgumentError, isErrno, NotFoundError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { KeyedLock, readJson, writeJsonAtomic, mkdirAll } from '../store/index.js';
import { boolFilter, checkFilterNames, diskUsage, exec, FilterError, matchLabels, type Filters, type Logger } from '../util/index.js';
import { ANONYMOUS_LABEL, generateVolumeName, validateVolumeName } from './names.js';

export const LOCAL_DRIVER = 'local';

/** `volumes/<name>/volume.json`: what `volume inspect` shows besides the mountpoint. */
export interface VolumeRecord {
  name: string;
  driver: string;
  createdAt: string;
  labels: Record<string, string> | null;
  /** The local driver's `type`, `device`, `o` (mounted on `_data` while a container uses it). */
  options: Record<string, string> | null;
}

/** Docker's `volume.Volume` as the API returns it. */
export interface VolumeJson {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface CreateVolumeRequest {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

const VALID_OPTS = ['type', 'o', 'device', 'size'];
/** Options that need others (moby volume/local `mandatoryOpts`). */
const MANDATORY_OPTS: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

export interface VolumeServiceDeps {
  /** data-root/volumes */
  root: string;
  events: EventBus;
  logger: Logger;
  /** Ids of the containers (any state) whose mount points name a volume: the container store answers. */
  users: (name: string) => string[];
}

/**
 * The `local` volume driver and the volume store in one: a volume is the directory
 * `volumes/<name>/_data` (what containers bind-mount) beside its `volume.json`. Volumes with
 * `type`/`device` options have that filesystem mounted on `_data` while at least one running
 * container uses them, as Docker's local driver does. Which containers reference a volume is the
 * container store's knowledge: it answers through `users`, given at construction.
 */
export class VolumeService {
  private readonly users: (name: string) => string[];
  private readonly records = new Map<string, VolumeRecord>();
  private readonly active = new Map<string, Set<string>>();
  private readonly locks = new KeyedLock();

  constructor(private readonly d: VolumeServiceDeps) {
    this.users = d.users;
  }

  async init(): Promise<void> {
    await mkdirAll(this.d.root, 0o701);
    for (const name of await fsp.readdir(this.d.root)) {
      const rec = await readJson<VolumeRecord>(path.join(this.d.root, name, 'volume.json')).catch(() => undefined);
      // A directory without its record is a create that died half-way: it never was a volume.
      if (!rec || rec.name !== name) {
        this.d.logger.warn({ component: 'volume', volume: name }, 'removing a volume directory without a record');
        await this.removeDir(name).catch((err: unknown) => this.d.logger.warn({ component: 'volume', volume: name, err }, 'could not remove'));
        continue;
      }
      this.records.set(name, rec);
    }
  }

  mountpoint(name: string): string {
    return path.join(this.d.root, name, '_data');
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /** `POST /volumes/create`; a name that exists returns that volume unchanged, as Docker does. */
  async create(req: CreateVolumeRequest, opts: { isAnonymous?: boolean } = {}): Promise<VolumeJson> {
    const name = req.Name || generateVolumeName();
    const driver = req.Driver || LOCAL_DRIVER;
    validateVolumeName(name);
    return this.locks.run(name, async () => {
      const existing = this.records.get(name);
      if (existing) {
        if (existing.driver !== driver) throw new ConflictError(`create ${name}: volume name "${name}" already exists with driver "${existing.driver}", cannot create with driver "${driver}"`);
        return this.toJson(existing);
      }
      if (driver !== LOCAL_DRIVER) throw new NotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
      const options = req.DriverOpts && Object.keys(req.DriverOpts).length > 0 ? { ...req.DriverOpts } : null;
      if (options) validateOptions(name, options);
      const labels = { ...(req.Labels ?? {}) };
      if (opts.isAnonymous) labels[ANONYMOUS_LABEL] = '';
      const rec: VolumeRecord = {
        name, driver, createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        labels: Object.keys(labels).length > 0 ? labels : null, options,
      };
      const dir = path.join(this.d.root, name);
      try {
        await mkdirAll(path.join(dir, '_data'), 0o755);
        await writeJsonAtomic(path.join(dir, 'volume.json'), rec);
      } catch (err) {
        await fsp.rm(dir, { recursive: true, force: true }).catch(() => undefined);
        // dockerd answers 500 here with its volume root path; the words stay, the data-root does not.
        if (isErrno(err, 'ENAMETOOLONG')) throw new InternalError(`create ${name}: error while creating volume root path: mkdir ${name}: file name too long`, { cause: err });
        throw err;
      }
      this.records.set(name, rec);
      this.d.events.publish('volume', 'create', name, { driver });
      return this.toJson(rec);
    });
  }

  get(name: string): VolumeRecord {
    const rec = this.records.get(name);
    if (!rec) throw new NotFoundError(`get ${name}: no such volume`);
    return rec;
  }

  inspect(name: string): VolumeJson {
    return this.toJson(this.get(name));
  }

  /** `GET /volumes`: filters `dangling`, `name` (substring), `label`, `label!`, `driver`. */
  list(filters: Filters): { Volumes: VolumeJson[]; Warnings: string[] } {
    checkFilterNames(filters, ['dangling', 'name', 'label', 'label!', 'driver']);
    const dangling = boolFilter(filters, 'dangling');
    const out: VolumeJson[] = [];
    for (const rec of this.sorted()) {
      if (dangling !== undefined && (this.users(rec.name).length === 0) !== dangling) continue;
      const names = filters.get('name');
      if (names && !names.some((n) => rec.name.includes(n))) continue;
      const drivers = filters.get('driver');
      if (drivers && !drivers.includes(rec.driver)) continue;
      if (!matchLabels(filters.get('label'), rec.labels)) continue;
      if (filters.get('label!')?.some((l) => matchLabels([l], rec.labels))) continue;
      out.push(this.toJson(rec));
    }
    return { Volumes: out, Warnings: [] };
  }

  /** `DELETE /volumes/{name}`: refused while any container references it; `force` ignores a missing one. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!this.records.has(name)) {
      if (opts.force) return;
      throw new NotFoundError(`get ${name}: no such volume`);
    }
    await this.locks.run(name, async () => {
      if (!this.records.has(name)) return;
      const refs = this.users(name);
      if (refs.length > 0) throw new ConflictError(`remove ${name}: volume is in use - [${refs.join(', ')}]`);
      await this.unmountData(name);
      await this.removeDir(name);
      this.records.delete(name);
      this.active.delete(name);
      this.d.events.publish('volume', 'destroy', name, { driver: LOCAL_DRIVER });
    });
  }

  /** `POST /volumes/prune`: unused anonymous volumes, or every unused one with `all=true`. */
  async prune(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    checkFilterNames(filters, ['label', 'label!', 'all']);
    const all = boolFilter(filters, 'all') ?? false;
    if (filters.has('all') && filters.get('all')!.length > 1) throw new FilterError(`invalid filter 'all=${filters.get('all')!.join(',')}'`);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of this.sorted()) {
      if (!all && !(rec.labels && Object.hasOwn(rec.labels, ANONYMOUS_LABEL))) continue;
      if (!matchLabels(filters.get('label'), rec.labels)) continue;
      if (filters.get('label!')?.some((l) => matchLabels([l], rec.labels))) continue;
      if (this.users(rec.name).length > 0) continue;
      // What removing it frees, as `du -sb` counts (ADR 0022): its directory, record and data.
      const size = await diskUsage(path.dirname(this.mountpoint(rec.name))).catch(() => 0);
      try {
        await this.remove(rec.name);
      } catch (err) {
        if (err instanceof ConflictError) continue;
        throw err;
      }
      deleted.push(rec.name);
      reclaimed += size;
    }
    return { VolumesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: reclaimed };
  }

  /** Volumes with UsageData, for `/system/df`. */
  async usage(): Promise<VolumeJson[]> {
    const out: VolumeJson[] = [];
    for (const rec of this.sorted()) {
      const size = await diskUsage(path.dirname(this.mountpoint(rec.name))).catch(() => -1);
      out.push({ ...this.toJson(rec), UsageData: { Size: size, RefCount: this.users(rec.name).length } });
    }
    return out;
  }

  /**
   * A container is about to use the volume: its `_data` path, with the volume's filesystem
   * mounted there first when it has one and nobody else holds it.
   */
  async acquire(name: string, containerId: string): Promise<string> {
    return this.locks.run(name, async () => {
      const rec = this.get(name);
      const holders = this.active.get(name) ?? new Set<string>();
      if (holders.size === 0 && needsMount(rec)) await this.mountData(rec);
      holders.add(containerId);
      this.active.set(name, holders);
      return this.mountpoint(name);
    });
  }

  /** The container stopped using it: the last one out unmounts the volume's filesystem. False if it held nothing. */
  async release(name: string, containerId: string): Promise<boolean> {
    return this.locks.run(name, async () => {
      const holders = this.active.get(name);
      if (!holders?.delete(containerId)) return false;
      if (holders.size === 0) {
        this.active.delete(name);
        await this.unmountData(name);
      }
      return true;
    });
  }

  /** After a daemon restart: a running container re-adopted holds its volumes again (no new mount). */
  adopt(name: string, containerId: string): void {
    if (!this.records.has(name)) return;
    const holders = this.active.get(name) ?? new Set<string>();
    holders.add(containerId);
    this.active.set(name, holders);
  }

  private toJson(rec: VolumeRecord): VolumeJson {
    return { CreatedAt: rec.createdAt, Driver: rec.driver, Labels: rec.labels, Mountpoint: this.mountpoint(rec.name), Name: rec.name, Options: rec.options, Scope: 'local' };
  }

  private sorted(): VolumeRecord[] {
    return [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async mountData(rec: VolumeRecord): Promise<void> {
    const target = this.mountpoint(rec.name);
    if (isMountpoint(target)) return;
    const o = rec.options!;
    const args = ['-t', o.type!, ...(o.o ? ['-o', o.o] : []), '--', o.device!, target];
    const r = await exec('mount', args, { allowFailure: true, timeoutMs: 30_000 });
    if (r.code !== 0) {
      let msg = r.stderr.trim().replace(/^mount: /, '');
      const password = /(?:^|,)password=([^,]*)/.exec(o.o ?? '')?.[1];
      if (password) msg = msg.split(`password=${password}`).join('password=********');
      throw new InvalidArgumentError(`error while mounting volume '${target}': failed to mount local volume: ${msg}`);
    }
  }

  private async unmountData(name: string): Promise<void> {
    const rec = this.records.get(name);
    if (!rec || !needsMount(rec)) return;
    const target = this.mountpoint(name);
    if (!isMountpoint(target)) return;
    const r = await exec('umount', [target], { allowFailure: true, timeoutMs: 30_000 });
    if (r.code !== 0 && isMountpoint(target)) {
      // Busy: detach it, as nothing of berth's uses it any more.
      await exec('umount', ['-l', target], { allowFailure: true, timeoutMs: 30_000 });
    }
  }

  /** Removes `volumes/<name>`, never following a link out and never into a mounted filesystem. */
  private async removeDir(name: string): Promise<void> {
    const dir = path.join(this.d.root, name);
    if (isMountpoint(path.join(dir, '_data'))) {
      throw new ConflictError(`remove ${name}: the volume's filesystem is still mounted at ${path.join(dir, '_data')}`);
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

function needsMount(rec: VolumeRecord): boolean {
  return Boolean(rec.options && (rec.options.type || rec.options.device));
}

function validateOptions(name: string, opts: Record<string, string>): void {
  for (const k of Object.keys(opts)) {
    if (!VALID_OPTS.includes(k)) throw new InvalidArgumentError(`create ${name}: invalid option: ${JSON.stringify(k)}`);
  }
  if (opts.size !== undefined && opts.size !== '' && opts.size !== '0') {
    throw new InvalidArgumentError(`create ${name}: quota size requested but no quota support`);
  }
  for (const [opt, required] of Object.entries(MANDATORY_OPTS)) {
    if (!(opt in opts)) continue;
    for (const r of required) if (!(r in opts)) throw new InvalidArgumentError(`create ${name}: missing required option: ${JSON.stringify(r)}`);
  }
}

/** Whether a path is a mount point now (its mountinfo entry), without following it. */
export function isMountpoint(target: string): boolean {
  if (!existsSync(target)) return false;
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => unescapeMountinfo(l.split(' ')[4] ?? '') === target);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
