import { readJson, writeJsonAtomic } from '../store/index.js';

/**
 * Tags and digests → image id, persisted as Docker's `repositories.json` shape:
 * `{"Repositories": {"docker.io/library/busybox": {"docker.io/library/busybox:latest": "sha256:…"}}}`.
 * Held in memory; every change rewrites the file atomically.
 */
export class Repositories {
  private refs = new Map<string, string>();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    const json = await readJson<{ Repositories?: Record<string, Record<string, string>> }>(this.file);
    this.refs = new Map();
    for (const repo of Object.values(json?.Repositories ?? {})) {
      for (const [ref, id] of Object.entries(repo)) this.refs.set(ref, id);
    }
  }

  get(ref: string): string | undefined { return this.refs.get(ref); }

  /** Every reference string naming `id`. */
  refsOf(id: string): string[] {
    return [...this.refs].filter(([, v]) => v === id).map(([k]) => k).sort();
  }

  all(): ReadonlyMap<string, string> { return this.refs; }

  /** Points `ref` at `id`; returns the id it pointed at before, if another. */
  async set(ref: string, id: string): Promise<string | undefined> {
    const old = this.refs.get(ref);
    // Unchanged (a rebuild tagging the same image): the file would be written byte for byte
    // as it is, so it is not written (moby's reference store rewrites it, with an fsync).
    if (old === id) return undefined;
    this.refs.set(ref, id);
    await this.save();
    return old !== id ? old : undefined;
  }

  async delete(ref: string): Promise<boolean> {
    const had = this.refs.delete(ref);
    if (had) await this.save();
    return had;
  }

  private async save(): Promise<void> {
    const out: Record<string, Record<string, string>> = {};
    for (const [ref, id] of [...this.refs].sort()) {
      const repo = repoOf(ref);
      (out[repo] ??= {})[ref] = id;
    }
    await writeJsonAtomic(this.file, { Repositories: out });
  }
}

/** "docker.io/library/busybox:latest" → "docker.io/library/busybox" (a port's colon is kept). */
export function repoOf(ref: string): string {
  const at = ref.indexOf('@');
  if (at >= 0) return ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}
