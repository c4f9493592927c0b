import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { isErrno } from '../../errors/index.js';
import { readEnvFile } from './dotenv.js';
import { ComposeConfigError } from './errors.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { mergeDraft } from './merge.js';
import { normalizeService, type PathContext, type ServiceDraft } from './normalize-service.js';
import { normalizeFileObject, normalizeNetwork, normalizeVolume, type FileObjectDraft, type NetworkDraft, type VolumeDraft } from './resources.js';
import { validateAgainstSchema } from './schema.js';
import { resolvePath } from './short-syntax.js';

type Raw = Record<string, unknown>;

/** What a set of files says, every key in its long form, before defaults and names. */
export interface Model {
  name?: string;
  services: Record<string, ServiceDraft>;
  networks: Record<string, NetworkDraft>;
  volumes: Record<string, VolumeDraft>;
  secrets: Record<string, FileObjectDraft>;
  configs: Record<string, FileObjectDraft>;
}

export interface LoadContext {
  /** Variables for interpolation. */
  lookup: Lookup;
  home: string | undefined;
  warn: (msg: string) => void;
  /** The environment included projects start from (their .env adds to it). */
  environment: Record<string, string>;
}

export function emptyModel(): Model {
  return { services: {}, networks: {}, volumes: {}, secrets: {}, configs: {} };
}

/** A file parsed, checked against the schema and interpolated (cached: `extends` rereads files). */
async function readComposeFile(file: string, ctx: LoadContext, cache: Map<string, Raw>): Promise<Raw> {
  const hit = cache.get(file);
  if (hit) return hit;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new ComposeConfigError(`open ${file}: no such file or directory`, { cause: err });
    throw err;
  }
  let raw: unknown;
  try {
    // Compose files use YAML merge keys (`<<: *defaults`); go-yaml reads them, so do we.
    raw = YAML.parse(text, { merge: true, maxAliasCount: 10000 });
  } catch (err) {
    throw new ComposeConfigError(`failed to parse ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || raw === undefined) throw new ComposeConfigError(`empty compose file: ${file}`);
  validateAgainstSchema(raw, file);
  const model = interpolateTree(raw, ctx.lookup, (name) => ctx.warn(`The "${name}" variable is not set. Defaulting to a blank string.`)) as Raw;
  cache.set(file, model);
  return model;
}

/** The project name a file's top-level `name:` gives, interpolated alone (it may be needed first). */
export async function readDeclaredName(file: string, lookup: Lookup): Promise<string | undefined> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = YAML.parse(text, { merge: true, maxAliasCount: 10000 });
  } catch {
    return undefined; // Reported with the file's path when the file is read in full.
  }
  if (!raw || typeof raw !== 'object' || typeof (raw as Raw).name !== 'string') return undefined;
  return interpolateTree((raw as Raw).name, lookup, undefined, ['name']) as string;
}

/**
 * Loads several files as one model: each read with relative paths against `dir` (the project
 * directory, as Compose resolves override files too), its `extends` and `include` resolved,
 * then merged in order.
 */
export async function loadModel(files: string[], dir: string, ctx: LoadContext, cache = new Map<string, Raw>(), includeStack: string[] = []): Promise<Model> {
  let merged = emptyModel();
  for (const file of files) merged = mergeModels(merged, await loadOneFile(file, dir, ctx, cache, includeStack));
  return merged;
}

async function loadOneFile(file: string, dir: string, ctx: LoadContext, cache: Map<string, Raw>, includeStack: string[]): Promise<Model> {
  const raw = await readComposeFile(file, ctx, cache);
  const pctx: PathContext = { dir, home: ctx.home };
  const model = emptyModel();
  if (typeof raw.name === 'string') model.name = raw.name;
  const services = (raw.services ?? {}) as Raw;
  const done = new Map<string, ServiceDraft>();
  for (const name of Object.keys(services)) {
    model.services[name] = await resolveExtends({ file, dir, services }, name, pctx, ctx, cache, done, []);
  }
  for (const [k, v] of Object.entries((raw.networks ?? {}) as Raw)) model.networks[k] = normalizeNetwork(k, v);
  for (const [k, v] of Object.entries((raw.volumes ?? {}) as Raw)) model.volumes[k] = normalizeVolume(k, v);
  for (const [k, v] of Object.entries((raw.secrets ?? {}) as Raw)) model.secrets[k] = normalizeFileObject('secrets', k, v, pctx);
  for (const [k, v] of Object.entries((raw.configs ?? {}) as Raw)) model.configs[k] = normalizeFileObject('configs', k, v, pctx);
  if (Array.isArray(raw.include)) {
    for (const entry of raw.include) await importInclude(model, entry, file, ctx, [...includeStack, file]);
  }
  return model;
}

interface FileServices { file: string; dir: string; services: Raw }

/**
 * A service with its `extends` chain applied: the base (from this file or `extends.file`,
 * whose relative paths resolve against that file's directory) with this service merged over
 * it by the same rules as -f files.
 */
async function resolveExtends(
  src: FileServices, name: string, pctx: PathContext, ctx: LoadContext,
  cache: Map<string, Raw>, done: Map<string, ServiceDraft>, stack: string[],
): Promise<ServiceDraft> {
  const key = `${src.file}#${name}`;
  const hit = done.get(key);
  if (hit) return hit;
  if (stack.includes(key)) {
    throw new ComposeConfigError(`Circular reference with extends: ${[...stack, key].map((k) => k.split('#')[1]).join(' -> ')}`);
  }
  const raw = src.services[name];
  if (raw === undefined) throw new ComposeConfigError(`cannot extend service "${name}" in ${src.file}: service not found`);
  const draft = normalizeService(name, (raw ?? {}) as Raw, pctx);
  let result = draft;
  if (draft.extends) {
    const ext = draft.extends;
    delete draft.extends;
    let base: ServiceDraft;
    if (ext.file !== undefined) {
      const extFile = resolvePath(ext.file, path.dirname(src.file), ctx.home);
      const other = await readComposeFile(extFile, ctx, cache);
      const otherDir = path.dirname(extFile);
      base = await resolveExtends({ file: extFile, dir: otherDir, services: (other.services ?? {}) as Raw }, ext.service,
        { dir: otherDir, home: ctx.home }, ctx, cache, done, [...stack, key]);
    } else {
      base = await resolveExtends(src, ext.service, pctx, ctx, cache, done, [...stack, key]);
    }
    result = mergeDraft(structuredClone(base), draft);
  }
  done.set(key, result);
  return result;
}

/**
 * `include:` another project's files: loaded with their own directory and .env, their
 * services and resources added to this file's. A name defined by both is an error, as Compose.
 */
async function importInclude(model: Model, entry: unknown, file: string, ctx: LoadContext, stack: string[]): Promise<void> {
  const r: Raw = typeof entry === 'string' ? { path: entry } : (entry as Raw);
  const base = path.dirname(file);
  const paths = (Array.isArray(r.path) ? r.path : [r.path]).map((p) => resolvePath(String(p), base, ctx.home));
  for (const p of paths) {
    if (stack.includes(p)) throw new ComposeConfigError(`include cycle detected: ${[...stack, p].join(' -> ')}`);
  }
  const projectDir = r.project_directory !== undefined ? resolvePath(String(r.project_directory), base, ctx.home) : path.dirname(paths[0]!);
  const envFiles = r.env_file === undefined ? [{ file: path.join(projectDir, '.env'), isRequired: false }]
    : (Array.isArray(r.env_file) ? r.env_file : [r.env_file]).map((f) => ({ file: resolvePath(String(f), base, ctx.home), isRequired: true }));
  const env: Record<string, string> = {};
  for (const { file: f, isRequired } of envFiles) Object.assign(env, await readEnvFile(f, (n) => ctx.environment[n] ?? env[n], isRequired));
  const environment = { ...env, ...ctx.environment };
  const sub: LoadContext = { ...ctx, environment, lookup: (n) => environment[n] };
  const included = await loadModel(paths, projectDir, sub, new Map(), stack);
  for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [k, v] of Object.entries(included[kind])) {
      if (k in model[kind] && JSON.stringify(model[kind][k]) !== JSON.stringify(v)) {
        throw new ComposeConfigError(`imported compose file ${paths.join(', ')} defines conflicting ${kind.slice(0, -1)} ${k}`);
      }
      (model[kind] as Record<string, unknown>)[k] = v;
    }
  }
}

/** A later file over an earlier one (Compose's merge rules, merge.ts). */
export function mergeModels(base: Model, over: Model): Model {
  const out: Model = {
    services: { ...base.services }, networks: { ...base.networks }, volumes: { ...base.volumes },
    secrets: { ...base.secrets }, configs: { ...base.configs },
  };
  const name = over.name ?? base.name;
  if (name !== undefined) out.name = name;
  for (const [k, v] of Object.entries(over.services)) out.services[k] = k in base.services ? mergeDraft(base.services[k]!, v) : v;
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [k, v] of Object.entries(over[kind])) {
      (out[kind] as Record<string, unknown>)[k] = k in base[kind] ? mergeDraft(base[kind][k], v, `x-${kind}`) : v;
    }
  }
  return out;
}
