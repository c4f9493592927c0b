import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { isErrno } from '../errors/index.js';
import { readJson, sweepTemps, writeJsonAtomic } from '../store/index.js';
import type { NetworkRecord, SandboxRecord } from './types.js';

const ID_RE = /^[0-9a-f]{64}$/;

/**
 * Network records under data-root `networks/<id>.json` and sandbox records (one per container
 * with networks set up) under `networks/sandboxes/<containerId>.json`, written atomically and
 * held in memory. Callers serialise changes per network and per container.
 */
export class NetworkStore {
  readonly networks = new Map<string, NetworkRecord>();
  readonly sandboxes = new Map<string, SandboxRecord>();

  constructor(private readonly root: string) {}

  private get sandboxDir(): string {
    return path.join(this.root, 'sandboxes');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.sandboxDir, { recursive: true, mode: 0o700 });
    await sweepTemps(this.root);
    await sweepTemps(this.sandboxDir);
    for (const name of await fsp.readdir(this.root)) {
      if (!name.endsWith('.json') || !ID_RE.test(name.slice(0, -5))) continue;
      const rec = await readJson<NetworkRecord>(path.join(this.root, name));
      if (rec) this.networks.set(rec.id, rec);
    }
    for (const name of await fsp.readdir(this.sandboxDir)) {
      if (!name.endsWith('.json') || !ID_RE.test(name.slice(0, -5))) continue;
      const rec = await readJson<SandboxRecord>(path.join(this.sandboxDir, name));
      if (rec) this.sandboxes.set(rec.containerId, rec);
    }
  }

  /** Per network: the write in progress, and the one queued after it that later callers share. */
  private readonly writes = new Map<string, { current: Promise<void>; next?: Promise<void> }>();

  /**
   * Makes `rec` the network's record and resolves once a write that began after this call is on
   * disk. Writes of one network never overlap, and each writes the record as it is when it
   * begins, so callers that come while one is in progress share the next one (a burst of
   * containers joining one network pays one write per round, not one per container).
   */
  async saveNetwork(rec: NetworkRecord): Promise<void> {
    if (!this.networks.has(rec.id)) {
      // A new network is known only once it is on disk.
      await writeJsonAtomic(path.join(this.root, `${rec.id}.json`), rec);
      this.networks.set(rec.id, rec);
      return;
    }
    this.networks.set(rec.id, rec);
    const w = this.writes.get(rec.id);
    if (!w) {
      const entry: { current: Promise<void>; next?: Promise<void> } = { current: Promise.resolve() };
      entry.current = this.writeNetwork(rec.id, entry);
      this.writes.set(rec.id, entry);
      return entry.current;
    }
    w.next ??= w.current.catch(() => undefined).then(() => {
      w.current = w.next!;
      w.next = undefined;
      return this.writeNetwork(rec.id, w);
    });
    return w.next;
  }

  private async writeNetwork(id: string, entry: { current: Promise<void>; next?: Promise<void> }): Promise<void> {
    try {
      const rec = this.networks.get(id);
      // Deleted meanwhile: nothing to write (deleteNetwork waited for the write before it).
      if (rec) await writeJsonAtomic(path.join(this.root, `${id}.json`), rec);
    } finally {
      if (this.writes.get(id) === entry && !entry.next) this.writes.delete(id);
    }
  }

  /** Resolves once every network write asked for so far is on disk (daemon shutdown). */
  async flush(): Promise<void> {
    for (const w of [...this.writes.values()]) await (w.next ?? w.current).catch(() => undefined);
  }

  async deleteNetwork(id: string): Promise<void> {
    this.networks.delete(id);
    // A write queued or running must not put the file back after it is gone.
    for (let w = this.writes.get(id); w; w = this.writes.get(id)) await (w.next ?? w.current).catch(() => undefined);
    await rmFile(path.join(this.root, `${id}.json`));
  }

  async saveSandbox(rec: SandboxRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.sandboxDir, `${rec.containerId}.json`), rec);
    this.sandboxes.set(rec.containerId, rec);
  }

  async deleteSandbox(containerId: string): Promise<void> {
    await rmFile(path.join(this.sandboxDir, `${containerId}.json`));
    this.sandboxes.delete(containerId);
  }
}

async function rmFile(file: string): Promise<void> {
  try {
    await fsp.unlink(file);
  } catch (err) {
    if (!isErrno(err, 'ENOENT')) throw err;
  }
}
