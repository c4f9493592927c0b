import path from 'node:path';
import { checkComposeFiles, discoverComposeFiles } from './discovery.js';
import { readEnvFile } from './dotenv.js';
import { ComposeConfigError } from './errors.js';
import { checkCycles } from './graph.js';
import { loadModel, readDeclaredName, type Model } from './load-file.js';
import { withoutMarkers } from './markers.js';
import { finishBuild, type ServiceDraft } from './normalize-service.js';
import type { DependsOn, FileObjectConfig, LoadOptions, NetworkConfig, Project, ServiceConfig, VolumeConfig } from './types.js';

/**
 * Loads a Compose project as `docker compose` does: finds the files (-f, COMPOSE_FILE, or
 * compose.yaml & co. here or in a parent, plus the override file), reads `.env` or
 * --env-file, checks each file against the Compose Specification's schema, interpolates,
 * resolves `extends` and `include`, merges the files, applies profiles, expands every short
 * syntax, names networks and volumes `<project>_<key>`, and checks references
 * (depends_on, networks, volumes, secrets, configs) and cycles. Every error is a
 * ComposeConfigError raised before anything is created.
 */
export async function loadProject(opts: LoadOptions): Promise<Project> {
  const warn = opts.onWarning ?? (() => {});
  const processEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) processEnv[k] = v;

  // As docker compose orders it (cmd/compose's toProjectOptions): the process environment;
  // .env (or --env-file) from --project-directory, the first -f file's directory or the working
  // directory, so that it may set COMPOSE_FILE; the files; then .env of the project directory
  // found with them. A variable keeps the first value it got: the process wins over .env.
  const environment: Record<string, string> = { ...processEnv };
  const projectDirOpt = opts.projectDirectory ? path.resolve(opts.cwd, opts.projectDirectory) : undefined;
  const readEnvFiles = async (dir: string): Promise<void> => {
    if (opts.envFiles.length === 0 && isTrue(processEnv.COMPOSE_DISABLE_ENV_FILE)) return;
    const files = opts.envFiles.length > 0 ? opts.envFiles.map((f) => ({ file: path.resolve(opts.cwd, f), isRequired: true }))
      : [{ file: path.join(dir, '.env'), isRequired: false }];
    const fromFiles: Record<string, string> = {};
    for (const { file, isRequired } of files) {
      Object.assign(fromFiles, await readEnvFile(file, (n) => environment[n] ?? fromFiles[n], isRequired));
    }
    for (const [k, v] of Object.entries(fromFiles)) if (!(k in environment)) environment[k] = v;
  };
  await readEnvFiles(projectDirOpt ?? (opts.files.length > 0 ? path.dirname(path.resolve(opts.cwd, opts.files[0]!)) : opts.cwd));

  const separator = environment.COMPOSE_PATH_SEPARATOR || ':';
  const fromEnv = environment.COMPOSE_FILE ? environment.COMPOSE_FILE.split(separator).filter(Boolean) : [];
  const configFiles = opts.files.length > 0 ? await checkComposeFiles(opts.files, opts.cwd)
    : fromEnv.length > 0 ? await checkComposeFiles(fromEnv, opts.cwd)
      : await discoverComposeFiles(projectDirOpt ?? opts.cwd, warn);
  const workingDir = projectDirOpt ?? path.dirname(configFiles[0]!);
  await readEnvFiles(workingDir);
  const lookup = (n: string): string | undefined => environment[n];

  let name: string;
  const explicitName = opts.projectName || environment.COMPOSE_PROJECT_NAME;
  if (explicitName) {
    name = checkProjectName(explicitName);
  } else {
    let declared: string | undefined;
    for (const f of configFiles) declared = (await readDeclaredName(f, lookup)) ?? declared;
    // compose-go normalizes a `name:` from the files, as the directory's name; -p and
    // COMPOSE_PROJECT_NAME must be normal already.
    name = normalizeProjectName(declared || path.basename(workingDir));
  }
  if (!name) throw new ComposeConfigError(`project name must not be empty`);
  // Compose sets it, so files can use ${COMPOSE_PROJECT_NAME}.
  environment.COMPOSE_PROJECT_NAME = name;

  const home = environment.HOME;
  const model = withoutMarkers(await loadModel(configFiles, workingDir, { lookup, home, warn, environment })) as Model;
  const profiles = activeProfiles(opts, environment);
  return finishProject(model, { name, workingDir, configFiles, environment, profiles, scale: opts.scale ?? {}, selected: opts.services ?? [] });
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'true'].includes(v.toLowerCase());
}

/** compose-go's NormalizeProjectName: lowercase, only [a-z0-9_-], no leading '-' or '_'. */
export function normalizeProjectName(s: string): string {
  return (s.toLowerCase().match(/[a-z0-9_-]/g) ?? []).join('').replace(/^[-_]+/, '');
}

/** A name given by -p, COMPOSE_PROJECT_NAME or `name:` must already be normal. */
function checkProjectName(s: string): string {
  if (normalizeProjectName(s) !== s) {
    throw new ComposeConfigError(`invalid project name "${s}": must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number`);
  }
  return s;
}

function activeProfiles(opts: LoadOptions, env: Record<string, string>): Set<string> {
  const fromEnv = env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',').map((s) => s.trim()).filter(Boolean) : [];
  return new Set(opts.profiles.length > 0 ? opts.profiles : fromEnv);
}

interface FinishContext {
  name: string;
  workingDir: string;
  configFiles: string[];
  environment: Record<string, string>;
  profiles: Set<string>;
  scale: Record<string, number>;
  selected: string[];
}

async function finishProject(model: Model, fc: FinishContext): Promise<Project> {
  const all: Record<string, ServiceConfig> = {};
  for (const [name, draft] of Object.entries(model.services)) all[name] = await finishService(name, draft, fc);

  // Profiles: a service without profiles is always on; one named on the command line turns on
  // its own profiles (as Compose does), not those of what it depends on.
  for (const s of fc.selected) {
    const svc = all[s];
    if (!svc) throw new ComposeConfigError(`no such service: ${s}`);
    for (const p of svc.profiles ?? []) fc.profiles.add(p);
  }
  const isEnabled = (s: ServiceConfig): boolean => !s.profiles || s.profiles.length === 0 || fc.profiles.has('*') || s.profiles.some((p) => fc.profiles.has(p));
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, ServiceConfig> = {};
  for (const name of Object.keys(all).sort()) (isEnabled(all[name]!) ? services : disabledServices)[name] = all[name]!;

  for (const svc of Object.values(services)) {
    for (const [dep, cfg] of Object.entries(svc.depends_on)) {
      if (dep in services) continue;
      if (!cfg.required) { delete svc.depends_on[dep]; continue; }
      throw new ComposeConfigError(`service "${svc.name}" depends on undefined service "${dep}": invalid compose project`);
    }
  }
  checkCycles({ services });

  const networks: Record<string, NetworkConfig> = {};
  for (const [key, n] of Object.entries(model.networks)) {
    const external = n.external ?? false;
    networks[key] = { ...n, name: n.name ?? (external ? key : `${fc.name}_${key}`), external, driver_opts: n.driver_opts ?? {}, labels: n.labels ?? {} };
  }
  if (!networks.default && Object.values(services).some((s) => 'default' in s.networks)) {
    networks.default = { name: `${fc.name}_default`, external: false, driver_opts: {}, labels: {} };
  }
  const volumes: Record<string, VolumeConfig> = {};
  for (const [key, v] of Object.entries(model.volumes)) {
    const external = v.external ?? false;
    volumes[key] = { ...v, name: v.name ?? (external ? key : `${fc.name}_${key}`), external, driver_opts: v.driver_opts ?? {}, labels: v.labels ?? {} };
  }
  const fileObjects = (drafts: Model['secrets']): Record<string, FileObjectConfig> => {
    const out: Record<string, FileObjectConfig> = {};
    for (const [key, d] of Object.entries(drafts)) {
      const external = d.external ?? false;
      const o: FileObjectConfig = { ...d, name: d.name ?? (external ? key : `${fc.name}_${key}`), external };
      if (d.environment !== undefined) o.environment = fc.environment[d.environment] ?? '';
      out[key] = o;
    }
    return out;
  };
  const secrets = fileObjects(model.secrets);
  for (const [key, s] of Object.entries(secrets)) {
    if (!s.external && s.file === undefined && s.environment === undefined) {
      throw new ComposeConfigError(`secret "${key}" must declare either \`file\` or \`environment\`: invalid compose project`);
    }
  }
  const configs = fileObjects(model.configs);

  for (const svc of Object.values(services)) {
    for (const n of Object.keys(svc.networks)) {
      if (!(n in networks)) throw new ComposeConfigError(`service "${svc.name}" refers to undefined network ${n}: invalid compose project`);
    }
    for (const v of svc.volumes) {
      if (v.type === 'volume' && v.source !== undefined && !(v.source in volumes)) {
        throw new ComposeConfigError(`service "${svc.name}" refers to undefined volume ${v.source}: invalid compose project`);
      }
    }
    for (const s of svc.secrets) if (!(s.source in secrets)) throw new ComposeConfigError(`service "${svc.name}" refers to undefined secret ${s.source}: invalid compose project`);
    for (const c of svc.configs) if (!(c.source in configs)) throw new ComposeConfigError(`service "${svc.name}" refers to undefined config ${c.source}: invalid compose project`);
  }

  return {
    name: fc.name, workingDir: fc.workingDir, configFiles: fc.configFiles, services, disabledServices,
    networks, volumes, secrets, configs, environment: fc.environment,
  };
}

/** Two mounts on one target: compose-go's error, tmpfs entries first. */
function checkMountTargets(name: string, d: ServiceDraft): void {
  const seen = new Map<string, string>();
  const add = (target: string, loc: string): void => {
    const prev = seen.get(target);
    if (prev) throw new ComposeConfigError(`${loc}: target ${target} already mounted as ${prev}`);
    seen.set(target, loc);
  };
  (d.tmpfs ?? []).forEach((t, i) => add(t.split(':')[0]!, `services.${name}.tmpfs[${i}]`));
  (d.volumes ?? []).forEach((v, i) => add(v.target, `services.${name}.volumes[${i}]`));
}

/** Defaults, env_file read under environment, implicit dependencies, scale. */
async function finishService(name: string, d: ServiceDraft, fc: FinishContext): Promise<ServiceConfig> {
  const lookup = (n: string): string | undefined => fc.environment[n];
  const environment: Record<string, string | null> = {};
  for (const ref of d.env_file ?? []) Object.assign(environment, await readEnvFile(ref.path, lookup, ref.required));
  for (const [k, v] of Object.entries(d.environment ?? {})) environment[k] = v ?? fc.environment[k] ?? null;
  // A build arg without a value takes the environment's, or is left out (compose-go's resolve).
  const args = d.build?.args;
  if (args) {
    for (const [k, v] of Object.entries(args)) {
      if (v !== null) continue;
      if (fc.environment[k] !== undefined) args[k] = fc.environment[k]!; else delete args[k];
    }
  }

  const depends: Record<string, DependsOn> = { ...(d.depends_on ?? {}) };
  const implied = (svc: string, restart: boolean): void => { depends[svc] ??= { condition: 'service_started', restart, required: true }; };
  for (const l of d.links ?? []) implied(l.split(':')[0]!, true);
  for (const key of ['network_mode', 'ipc', 'pid'] as const) {
    const v = d[key];
    if (v?.startsWith('service:')) implied(v.slice('service:'.length), key === 'network_mode');
  }
  for (const vf of d.volumes_from ?? []) if (!vf.startsWith('container:')) implied(vf.split(':')[0]!, false);

  const replicas = d.deploy?.replicas;
  if (d.scale !== undefined && replicas !== undefined && d.scale !== replicas) {
    throw new ComposeConfigError(`services.${name}: can't set distinct values on 'scale' and 'deploy.replicas': invalid compose project`);
  }
  if (d.scale !== undefined && d.scale < 0) throw new ComposeConfigError(`services.${name}.scale: must be greater than or equal to 0`);
  if (replicas !== undefined && replicas < 0) throw new ComposeConfigError(`services.${name}.deploy.replicas: must be greater than or equal to 0`);
  const scale = fc.scale[name] ?? d.scale ?? replicas ?? 1;
  if (scale > 1 && d.container_name) {
    throw new ComposeConfigError(`services.${name}: can't set container_name and ${d.scale !== undefined ? 'scale' : 'deploy.replicas'} as container name must be unique: invalid compose project`);
  }
  if (d.network_mode && d.networks && Object.keys(d.networks).length > 0) {
    throw new ComposeConfigError(`service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: invalid compose project`);
  }
  checkMountTargets(name, d);

  const { env_file: _envFile, extends: _extends, build, ...rest } = d;
  const svc: ServiceConfig = {
    ...rest,
    name,
    environment,
    labels: d.labels ?? {},
    ports: d.ports ?? [],
    expose: d.expose ?? [],
    volumes: d.volumes ?? [],
    tmpfs: d.tmpfs ?? [],
    networks: d.network_mode ? {} : d.networks && Object.keys(d.networks).length > 0 ? d.networks : { default: null },
    depends_on: depends,
    secrets: d.secrets ?? [],
    configs: d.configs ?? [],
    cap_add: d.cap_add ?? [],
    cap_drop: d.cap_drop ?? [],
    ulimits: d.ulimits ?? {},
    sysctls: d.sysctls ?? {},
    devices: d.devices ?? [],
    extra_hosts: d.extra_hosts ?? [],
    dns: d.dns ?? [],
    dns_search: d.dns_search ?? [],
    dns_opt: d.dns_opt ?? [],
    security_opt: d.security_opt ?? [],
    group_add: d.group_add ?? [],
    scale,
  };
  if (build) svc.build = finishBuild(build, fc.workingDir);
  if (replicas !== undefined || fc.scale[name] !== undefined) svc.deploy = { ...svc.deploy, replicas: scale };
  if (!svc.image && !svc.build) throw new ComposeConfigError(`service "${name}" has neither an image nor a build context specified: invalid compose project`);
  return svc;
}
