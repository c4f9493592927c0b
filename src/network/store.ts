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

  async saveNetwork(rec: NetworkRecord): Promise<void> {
    await writeJsonAtomic(path.join(this.root, `${rec.id}.json`), rec);
    this.networks.set(rec.id, rec);
  }

  async deleteNetwork(id: string): Promise<void> {
    await rmFile(path.join(this.root, `${id}.json`));
    this.networks.delete(id);
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
