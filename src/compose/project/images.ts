/**
 * Images for a project: `pull_policy` decides whether `up` pulls, a `build:` section is sent
 * to POST /build as a tar of its context (the engine reads .dockerignore, as berthd's builder
 * does), and `push` pushes what has an image name.
 */
import { PassThrough } from 'node:stream';
import { jsonObjects, type EngineResponse } from '../../client/index.js';
import { exec } from '../../util/index.js';
import type { Project, ServiceConfig } from '../model/types.js';
import { imageName } from './create-body.js';
import { ComposeError, type ComposeEngine } from './engine.js';

/** A reference split as the Engine API's fromImage and tag take it. */
function splitRef(ref: string): { fromImage: string; tag: string } {
  if (ref.includes('@')) return { fromImage: ref, tag: '' };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: 'latest' };
}

/** Reads a JSON-lines progress stream to its end; an `error` message becomes the failure. */
async function drainProgress(res: EngineResponse, onLine?: (m: Record<string, unknown>) => void): Promise<void> {
  for await (const { value } of jsonObjects<Record<string, unknown>>(res.body)) {
    const err = value.errorDetail as { message?: string } | undefined;
    if (value.error || err) throw new ComposeError(String(err?.message ?? value.error));
    onLine?.(value);
  }
}

export async function pullService(engine: ComposeEngine, project: Project, s: ServiceConfig, quiet = false): Promise<void> {
  const ref = imageName(project, s);
  if (!quiet) engine.output.progress('Image', ref, 'Pulling');
  const res = await engine.client.request('POST', '/images/create', { query: splitRef(ref), signal: engine.signal });
  await drainProgress(res);
  if (!quiet) engine.output.progress('Image', ref, 'Pulled');
}

export interface BuildOptions {
  noCache?: boolean;
  pull?: boolean;
  quiet?: boolean;
}

export async function buildService(engine: ComposeEngine, project: Project, s: ServiceConfig, o: BuildOptions = {}): Promise<void> {
  const b = s.build!;
  const tag = imageName(project, s);
  engine.output.progress('Service', s.name, 'Building');
  const body = new PassThrough();
  const tar = exec('tar', ['-C', b.context, '-cf', '-', '.'], { stdout: body, timeoutMs: 10 * 60_000, signal: engine.signal });
  const tarDone = tar.then(() => body.end(), (e: unknown) => body.destroy(e as Error));
  const args = Object.fromEntries(Object.entries(b.args).filter(([, v]) => v !== null));
  const res = await engine.client.request('POST', '/build', {
    query: {
      t: tag, dockerfile: b.dockerfile, target: b.target, nocache: o.noCache === true || b.no_cache === true, pull: o.pull === true || b.pull === true,
      buildargs: JSON.stringify(args), labels: JSON.stringify(b.labels), networkmode: b.network, cachefrom: JSON.stringify(b.cache_from), q: o.quiet === true, rm: true,
    },
    headers: { 'Content-Type': 'application/x-tar' },
    body, signal: engine.signal,
  });
  try {
    await drainProgress(res, (m) => {
      if (!o.quiet && typeof m.stream === 'string') engine.output.err(m.stream);
    });
  } finally {
    await tarDone;
  }
  engine.output.progress('Service', s.name, 'Built');
}

/**
 * up's image step (compose's ensureImagesExists): build when asked or when a build-only
 * service has no image yet; else pull by policy (default: when missing).
 */
export async function ensureImages(engine: ComposeEngine, project: Project, services: ServiceConfig[], o: { build?: boolean; noBuild?: boolean; pull?: string }): Promise<void> {
  for (const s of services) {
    const ref = imageName(project, s);
    const policy = o.pull ?? s.pull_policy ?? 'missing';
    if (s.build && !o.noBuild && (o.build || policy === 'build')) {
      await buildService(engine, project, s);
      continue;
    }
    const present = await engine.imageId(ref);
    if (policy === 'always') {
      await pullService(engine, project, s);
      continue;
    }
    if (present) continue;
    if (s.build && !o.noBuild) {
      await buildService(engine, project, s);
      continue;
    }
    if (policy === 'never') throw new ComposeError(`Error response from daemon: No such image: ${ref}`);
    await pullService(engine, project, s);
  }
}

export async function pushService(engine: ComposeEngine, project: Project, s: ServiceConfig, authHeader?: string): Promise<void> {
  const ref = imageName(project, s);
  const { fromImage, tag } = splitRef(ref);
  engine.output.progress('Image', ref, 'Pushing');
  const res = await engine.client.request('POST', `/images/${encodeURIComponent(fromImage)}/push`, {
    query: { tag }, headers: { 'X-Registry-Auth': authHeader ?? Buffer.from('{}').toString('base64url') }, signal: engine.signal,
  });
  await drainProgress(res);
  engine.output.progress('Image', ref, 'Pushed');
}
