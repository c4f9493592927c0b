import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import tar from 'tar-stream';

/** An entry of a layer made in a test: a header for tar-stream and optional content. */
export interface LayerEntry { name: string; type?: tar.Header['type']; linkname?: string; content?: string; mode?: number; uid?: number; gid?: number }

export async function layerTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  for (const e of entries) {
    const header: Partial<tar.Header> & { name: string } = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date('2024-01-01T00:00:00Z') };
    if (e.linkname !== undefined) header.linkname = e.linkname;
    if ((e.type ?? 'file') === 'file') pack.entry(header as tar.Header, e.content ?? '');
    else pack.entry(header as tar.Header);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Writes a docker-archive (manifest.json + config + one tar per layer) of the given layers,
 * with a config whose diff_ids are the layers' digests unless `diffIds` overrides them.
 */
export async function writeDockerArchive(file: string, layers: readonly Buffer[], opts: { repoTags?: string[]; diffIds?: string[]; cmd?: string[]; config?: Record<string, unknown> } = {}): Promise<string> {
  const diffIds = opts.diffIds ?? layers.map((l) => `sha256:${sha(l)}`);
  const config = JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Cmd: opts.cmd ?? ['sh'], Env: ['PATH=/bin'], ...(opts.config ?? {}) },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  });
  const configName = `${sha(config)}.json`;
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  pack.entry({ name: configName }, config);
  const names = layers.map((l, i) => `${sha(l)}-${i}/layer.tar`);
  layers.forEach((l, i) => pack.entry({ name: names[i]! }, l));
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: configName, RepoTags: opts.repoTags ?? [], Layers: names }]));
  pack.finalize();
  await done;
  await fsp.writeFile(file, Buffer.concat(chunks));
  return `sha256:${sha(config)}`;
}
