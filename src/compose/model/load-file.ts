import { readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML, { type ScalarTag } from 'yaml';
import { isErrno } from '../../errors/index.js';
import { readEnvFile } from './dotenv.js';
import { ComposeConfigError } from './errors.js';
import { interpolateTree, type Lookup } from './interpolate.js';
import { isReset, markerTags, withoutMarkers } from './markers.js';
import { mergeDraft } from './merge.js';
import { normalizeService, type PathContext, type ServiceDraft } from './normalize-service.js';
import { normalizeFileObject, normalizeNetwork, normalizeVolume, type FileObjectDraft, type NetworkDraft, type VolumeDraft } from './resources.js';
import { validateAgainstSchema } from './schema.js';
import { resolvePath } from './short-syntax.js';

type Raw = Record<string, unknown>;

/**
 * go-yaml (Compose's parser) reads an integer with a leading 0 as octal (`mode: 0440`), where
 * YAML 1.2's core schema reads it as decimal: this tag, tried first, does as go-yaml.
 */
const goOctalInt: ScalarTag = {
  identify: (v) => typeof v === 'number',
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^0[0-7]+$/,
  resolve: (s) => parseInt(s, 8),
};

/** Parses like go-yaml: merge keys (`<<: *defaults`), leading-0 octal; Compose's !reset, !override. */
function parseYaml(text: string): unknown {
  return YAML.parse(text, { merge: true, maxAliasCount: 10000, customTags: (tags) => [goOctalInt, ...markerTags, ...tags] });
}

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
    raw = parseYaml(text);
  } catch (err) {
    throw new ComposeConfigError(`failed to parse ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || raw === undefined || (typeof raw === 'object' && Object.keys(raw).length === 0)) throw new ComposeConfigError('empty compose file');
  await validateAgainstSchema(withoutMarkers(raw), file);
  if ((raw as Raw).version !== undefined) {
    ctx.warn(`${file}: the attribute \`version\` is obsolete, it will be ignored, please remove it to avoid potential confusion`);
  }
  const model = interpolateTree(raw, ctx.lookup, (name) => ctx.warn(`The "${name}" variable is not set. Defaulting to a blank string.`)) as Raw;
  cache.set(file, model);
  return model;
}

/** The project name a file's top-level `name:` gives, interpolated alone (it may be needed first). */
export async function readDeclaredName(file: string, lookup: Lookup): Promise<string | undefined> {
  const text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
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
    // `web: !reset` in a later file removes the service (mergeModels).
    if (isReset(services[name])) { model.services[name] = services[name] as ServiceDraft; continue; }
    model.services[name] = await resolveExtends({ file, dir, services }, name, pctx, ctx, cache, done, []);
  }
  const keep = <T>(v: unknown, f: () => T): T => (isReset(v) ? v as T : f());
  for (const [k, v] of Object.entries((raw.networks ?? {}) as Raw)) model.networks[k] = keep(v, () => normalizeNetwork(k, v));
  for (const [k, v] of Object.entries((raw.volumes ?? {}) as Raw)) model.volumes[k] = keep(v, () => normalizeVolume(k, v));
  for (const [k, v] of Object.entries((raw.secrets ?? {}) as Raw)) model.secrets[k] = keep(v, () => normalizeFileObject('secrets', k, v, pctx));
  for (const [k, v] of Object.entries((raw.configs ?? {}) as Raw)) model.configs[k] = keep(v, () => normalizeFileObject('configs', k, v, pctx));
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
  // compose-go's checks on a base's presence are made by the extending side, below.
  const key = `${src.file}#${name}`;
  const hit = done.get(key);
  if (hit) return hit;
  if (stack.includes(key)) {
    throw new ComposeConfigError(`Circular reference with extends: ${[...stack, key].map((k) => k.split('#')[1]).join(' -> ')}`);
  }
  const raw = src.services[name];
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
      if (!other.services || typeof other.services !== 'object') throw new ComposeConfigError(`cannot extend service "${name}" in ${extFile}: no services section`);
      if (!(ext.service in other.services)) {
        throw new ComposeConfigError(`cannot extend service "${name}" in ${src.file}: service "${ext.service}" not found in ${ext.file}`);
      }
      base = await resolveExtends({ file: extFile, dir: otherDir, services: (other.services ?? {}) as Raw }, ext.service,
        { dir: otherDir, home: ctx.home }, ctx, cache, done, [...stack, key]);
    } else {
      if (!(ext.service in src.services)) throw new ComposeConfigError(`cannot extend service "${name}" in ${src.file}: service "${ext.service}" not found`);
      base = await resolveExtends(src, ext.service, pctx, ctx, cache, done, [...stack, key]);
    }
    result = mergeDraft(structuredClone(base), draft);
  }
  done.set(key, result);
  return result;
}

/**
 * `include:` another project's files: loaded with their own directory and .env, their
 * services and resources added to this file's. A name defined by both: this file's definition
 * is merged over the imported one (compose-go's importResources).
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
  // compose-go merges the included project's env files over the including environment.
  const environment = { ...ctx.environment, ...env };
  const sub: LoadContext = { ...ctx, environment, lookup: (n) => environment[n] };
  const included = await loadModel(paths, projectDir, sub, new Map(), stack);
  for (const kind of ['services', 'networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [k, v] of Object.entries(included[kind])) {
      const local = model[kind][k];
      (model[kind] as Record<string, unknown>)[k] = local === undefined ? v : mergeDraft(v, local, kind === 'services' ? '' : `x-${kind}`);
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
  for (const [k, v] of Object.entries(over.services)) {
    if (isReset(v)) delete out.services[k];
    else out.services[k] = k in base.services ? mergeDraft(base.services[k]!, v) : v;
  }
  for (const kind of ['networks', 'volumes', 'secrets', 'configs'] as const) {
    for (const [k, v] of Object.entries(over[kind])) {
      if (isReset(v)) delete out[kind][k];
      else (out[kind] as Record<string, unknown>)[k] = k in base[kind] ? mergeDraft(base[kind][k], v, `x-${kind}`) : v;
    }
  }
  return out;
}
