import { createHash } from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { ContainerService } from '../container/index.js';
import { EngineError, InvalidArgumentError, NotFoundError } from '../errors/index.js';
import type { ContainerConfigJson, ContentStore, ImageConfigJson, ImageService, ImageStore, Snapshots } from '../image/index.js';
import { decompressed, parseNormalizedNamed, writeImage } from '../image/index.js';
import { registryDomain, type AuthConfig, type ProgressMessage, type RegistryService } from '../registry/index.js';
import type { Logger } from '../util/index.js';
import type { BuildCache } from './cache.js';
import { restoreFromSources, type CacheFromDeps } from './cache-from.js';
import { applyConfigInstruction } from './config-steps.js';
import { ignoreMatcher, receiveContext } from './context.js';
import { ContextTree, openNode, readNodeText } from './context-tree.js';
import { packEntries, planCopy } from './copy.js';
import { expandWord } from './expand.js';
import { parseDockerfile, type Instruction } from './parser.js';
import { cloneGitContext, isGitUrl, openRemoteContext, type RemoteContext } from './remote.js';
import { planStages } from './stages.js';

export interface BuildOptions {
  dockerfile: string;
  tags: string[];
  buildArgs: Record<string, string | null>;
  noCache: boolean;
  target?: string;
  remove: boolean;
  forceRemove: boolean;
  labels: Record<string, string>;
  quiet: boolean;
  networkMode?: string;
  /** Always pull FROM images (`pull=1`); a missing one is pulled anyway, as dockerd does. */
  pull?: boolean;
  /** Images whose history may satisfy cache lookups (`cachefrom`). */
  cacheFrom?: string[];
  /** Resource limits and host settings of the RUN containers (`memory`, `cpuquota`, …). */
  hostConfig?: BuildHostConfig;
  /** Credentials by registry (`X-Registry-Config`), for pulling FROM images. */
  registryAuth?: Record<string, AuthConfig>;
  /** The `platform` query: the default of every FROM without its own `--platform`. */
  platform?: string;
  /** A URL berthd fetches the context (a tar, or a Dockerfile alone) from (`remote`). */
  remote?: string;
}

/** The HostConfig fields `POST /build` takes for its build containers, as dockerd passes them. */
export interface BuildHostConfig {
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  ShmSize?: number;
  CgroupParent?: string;
  ExtraHosts?: string[];
  Ulimits?: Array<{ Name: string; Soft: number; Hard: number }>;
}

/** One message of Docker's build stream (`{"stream":…}`, `{"aux":…}`, a FROM image's pull progress). */
export type BuildMessage = { stream: string } | { aux: { ID: string } } | ProgressMessage;

export interface BuildServiceDeps {
  containers: Pick<ContainerService, 'create' | 'start' | 'wait' | 'remove' | 'commit' | 'logs' | 'putArchive' | 'statPath' | 'getArchive'>;
  images: Pick<ImageService, 'tag'>;
  store: ImageStore;
  content: ContentStore;
  snapshots: Snapshots;
  /** The step cache (records survive restarts); `builder prune` and `system df` read it too. */
  cache: BuildCache;
  /** Pulls FROM images that are missing, or all of them with `pull`; without it they must be there. */
  registry?: Pick<RegistryService, 'pull'>;
  tmpDir: string;
  logger: Logger;
  /** File contents of a context kept in memory (the rest goes to files); CONTEXT_MEMORY_BYTES by default. */
  contextMemoryBytes?: number;
}

/**
 * How much of a build context's file contents a build keeps in memory. A context is sent
 * whole before the first step, so this bounds a build's memory; larger contexts spill.
 */
export const CONTEXT_MEMORY_BYTES = 16 * 1024 * 1024;

/** A failing RUN, with Docker's sentence and the exit code the CLI reports. */
export class BuildStepError extends EngineError {
  constructor(message: string, readonly code: number) { super(400, message); }
}

interface StageState {
  name?: string;
  /** The image so far (undefined for a `FROM scratch` stage before its first layer). */
  imageId: string | undefined;
  image: ImageConfigJson;
  shell: string[];
  /** Declared ARGs with their values (undefined: declared without a value). */
  args: Map<string, string | undefined>;
  isCacheBusted: boolean;
  /** A CMD was given in this stage (a later ENTRYPOINT keeps it). */
  isCmdSet: boolean;
}

const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * The legacy builder (`POST /build` without BuildKit), as moby's builder/dockerfile: each
 * instruction runs against the current image of its stage. RUN and COPY/ADD run through a
 * build container (ContainerService create/putArchive/start/commit/remove) committed into a
 * layer; the other instructions only write a new image config with an empty-layer history
 * entry. A step is taken from the cache when its key (parent image + the instruction as
 * Docker records it, with the checksum of copied files) is known; the first miss in a
 * stage turns the cache off for the rest of it.
 */
export class BuildService {
  constructor(private readonly d: BuildServiceDeps) {}

  async build(context: Readable, o: BuildOptions, emit: (m: BuildMessage) => void, signal: AbortSignal): Promise<string> {
    const intermediates: string[] = [];
    const held: string[] = [];
    let tree = this.newTree();
    let cloneDir: string | undefined;
    try {
      let dockerfile = o.dockerfile || 'Dockerfile';
      let text: string;
      const isGit = o.remote !== undefined && isGitUrl(o.remote);
      const remote = o.remote && !isGit ? await this.openRemote(context, o, emit, signal) : undefined;
      if (isGit) {
        context.resume();
        cloneDir = await fsp.mkdtemp(path.join(this.d.tmpDir, 'build-'));
        tree = await ContextTree.fromDirectory(await cloneGitContext(o.remote!, cloneDir, signal), this.treeOptions());
        text = await this.readDockerfile(tree, dockerfile);
      } else if (remote?.kind === 'dockerfile') {
        // A Dockerfile alone: the context is empty, the `dockerfile` parameter unused (dockerd's newURLRemote).
        text = remote.text;
        dockerfile = 'Dockerfile';
      } else {
        // The context stays in memory (up to contextMemoryBytes, then in files): a step that
        // hits the cache hashes what arrived and never reads the context back from disk.
        await receiveContext(remote?.body ?? context, tree, { signal });
        text = await this.readDockerfile(tree, dockerfile);
      }
      const df = parseDockerfile(text);
      const ignoreNode = tree.get(tree.resolve('.dockerignore'));
      const isIgnored = ignoreMatcher(ignoreNode?.type === 'file' ? await readNodeText(ignoreNode) : '');
      const run = new BuildRun(this.d, o, emit, signal, tree, df.escape, isIgnored, intermediates, (id) => { this.d.cache.hold(id); held.push(id); });
      const id = await run.execute(df.instructions);
      for (const t of o.tags) {
        const { repo, tag } = splitTag(t);
        await this.d.images.tag(id, repo, tag);
      }
      emit({ aux: { ID: id } });
      if (o.quiet) emit({ stream: `${id}\n` });
      else {
        emit({ stream: `Successfully built ${short(id)}\n` });
        for (const t of o.tags) emit({ stream: `Successfully tagged ${withLatest(t)}\n` });
      }
      return id;
    } finally {
      if (o.remove || o.forceRemove) {
        for (const c of intermediates.splice(0)) {
          await this.d.containers.remove(c, { force: true }).catch((err: unknown) => {
            // Already gone (removed after its commit) is the normal case here.
            if (!(err instanceof NotFoundError)) this.d.logger.warn({ component: 'build', containerId: c, err }, 'removing a build container failed');
          });
        }
      }
      await tree.dispose();
      if (cloneDir) await fsp.rm(cloneDir, { recursive: true, force: true });
      for (const id of held) this.d.cache.release(id);
    }
  }

  private newTree(): ContextTree { return new ContextTree(this.treeOptions()); }

  private treeOptions(): { tmpDir: string; memoryBytes: number } {
    return { tmpDir: this.d.tmpDir, memoryBytes: this.d.contextMemoryBytes ?? CONTEXT_MEMORY_BYTES };
  }

  private async readDockerfile(tree: ContextTree, dockerfile: string): Promise<string> {
    const node = tree.get(tree.resolve(path.posix.normalize(dockerfile).replace(/^\/+/, '')));
    if (node?.type !== 'file') throw new InvalidArgumentError(`Cannot locate specified Dockerfile: ${dockerfile}`);
    return readNodeText(node);
  }

  /** `remote=<url>`: the request's own body is not the context then, and is drained. */
  private async openRemote(body: Readable, o: BuildOptions, emit: (m: BuildMessage) => void, signal: AbortSignal): Promise<RemoteContext> {
    body.resume();
    return openRemoteContext(o.remote!, signal, (m) => { if (!o.quiet) emit(m); });
  }
}

/** `name[:tag]` as `docker build -t` gives it; the tag defaults to latest. */
export function splitTag(t: string): { repo: string; tag: string | undefined } {
  const at = t.lastIndexOf(':');
  if (at > t.lastIndexOf('/')) return { repo: t.slice(0, at), tag: t.slice(at + 1) };
  return { repo: t, tag: undefined };
}

function withLatest(t: string): string {
  return splitTag(t).tag === undefined ? `${t}:latest` : t;
}

/** The cache key of a step: the parent image and the instruction as Docker records it. */
export function cacheKey(parentId: string | undefined, createdBy: string, extra = ''): string {
  return createHash('sha256').update(JSON.stringify([parentId ?? 'scratch', createdBy, extra])).digest('hex');
}

class BuildRun {
  /** Stages by their index in the Dockerfile; a stage the target does not need is a hole. */
  private readonly stages: StageState[] = [];
  private currentStage: StageState | undefined;
  private readonly globalArgs = new Map<string, string | undefined>();
  private readonly usedArgs = new Set<string>();
  private step = 0;
  private total = 0;

  constructor(
    private readonly d: BuildServiceDeps, private readonly o: BuildOptions, private readonly emit: (m: BuildMessage) => void,
    private readonly signal: AbortSignal, private readonly context: ContextTree, private readonly escape: string,
    private readonly isIgnored: (rel: string) => boolean, private readonly intermediates: string[],
    private readonly hold: (imageId: string) => void,
  ) {
    // dockerd skips cache-from names it cannot find (with a warning in its log).
    this.cacheFrom = (o.cacheFrom ?? []).map((n) => d.store.lookup(n)?.id).filter((id): id is string => id !== undefined);
    const epoch = o.buildArgs.SOURCE_DATE_EPOCH;
    if (epoch !== undefined && epoch !== null && epoch !== '') {
      if (!/^\d{1,12}$/.test(epoch)) throw new InvalidArgumentError(`invalid SOURCE_DATE_EPOCH: ${epoch}`);
      this.epoch = { sec: Number(epoch), iso: new Date(Number(epoch) * 1000).toISOString().replace('.000Z', 'Z') };
    }
  }

  private readonly cacheFrom: string[];

  /**
   * SOURCE_DATE_EPOCH (a build arg; `berth build` passes its environment's): every date the
   * build writes is this one and no layer entry is newer (BuildKit's rule, which the legacy
   * builder lacks), so the same Dockerfile and context give the same image id anywhere.
   */
  private readonly epoch: { sec: number; iso: string } | undefined;

  /** A step's cache key; a reproducible build's steps are its own (their dates differ). */
  private key(parentId: string | undefined, createdBy: string, extra: string): string {
    return cacheKey(parentId, createdBy, this.epoch ? `${extra}|epoch=${this.epoch.sec}` : extra);
  }

  private now(): string { return this.epoch?.iso ?? new Date().toISOString(); }

  private cacheFromDeps(): CacheFromDeps { return { store: this.d.store, content: this.d.content, snapshots: this.d.snapshots }; }

  private say(s: string): void { if (!this.o.quiet) this.emit({ stream: s }); }

  async execute(all: Instruction[]): Promise<string> {
    const plan = planStages(all, this.o.target);
    if (!plan) throw new InvalidArgumentError(`failed to reach build target ${this.o.target} in Dockerfile`);
    const { list, indexOf } = plan;
    this.total = list.length;
    let stage: StageState | undefined;
    for (const ins of list) {
      this.signal.throwIfAborted();
      this.step++;
      this.say(`Step ${this.step}/${this.total} : ${ins.original}\n`);
      if (ins.cmd === 'from') {
        stage = await this.from(ins);
        // By the stage's index in the whole Dockerfile: skipped stages leave holes.
        this.stages[indexOf.get(ins)!] = stage;
        this.currentStage = stage;
        await this.onBuildTriggers(stage);
      } else if (!stage) {
        if (ins.cmd !== 'arg') throw new InvalidArgumentError('Please provide a source image with `from` prior to commit');
        this.declareArgs(ins, this.globalArgs);
        continue;
      } else {
        await this.dispatch(stage, ins);
      }
      this.say(` ---> ${stage.imageId ? short(stage.imageId) : '<none>'}\n`);
    }
    if (!stage) throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');
    if (Object.keys(this.o.labels).length > 0) {
      const img = await this.configImage(stage, { ...stage.image.config, Labels: { ...(stage.image.config?.Labels ?? {}), ...this.o.labels } }, `/bin/sh -c #(nop)  LABEL ${Object.entries(this.o.labels).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      stage.imageId = img;
    }
    const unused = Object.keys(this.o.buildArgs).filter((k) => !this.usedArgs.has(k) && !PREDEFINED_ARGS.has(k));
    if (unused.length > 0) this.say(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    if (!stage.imageId) throw new InvalidArgumentError('No image was generated. Is your Dockerfile empty?');
    return stage.imageId;
  }

  /**
   * The base image's ONBUILD triggers run first, as dockerd's processOnBuild: announced as
   * `# Executing N build trigger(s)`, each line dispatched in this stage without a Step line,
   * and the list emptied in the config the stage commits.
   */
  private async onBuildTriggers(stage: StageState): Promise<void> {
    const triggers = stage.image.config?.OnBuild ?? [];
    if (triggers.length === 0) return;
    this.say(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    stage.image = { ...stage.image, config: { ...stage.image.config, OnBuild: [] } };
    for (const t of triggers) {
      for (const ins of parseDockerfile(t).instructions) {
        if (ins.cmd === 'onbuild') throw new InvalidArgumentError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
        if (ins.cmd === 'from' || ins.cmd === 'maintainer') throw new InvalidArgumentError(`${ins.cmd.toUpperCase()} isn't allowed as an ONBUILD trigger`);
        await this.dispatch(stage, ins);
      }
    }
  }

  private expand(word: string, stage: StageState | undefined): string {
    return expandWord(word, this.envMap(stage), this.escape);
  }

  /** Variables a word may use: declared ARGs (build-arg overrides applied), then ENV. */
  private envMap(stage: StageState | undefined): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of stage ? stage.args : this.globalArgs) if (v !== undefined) m.set(k, v);
    for (const e of stage?.image.config?.Env ?? []) {
      const eq = e.indexOf('=');
      m.set(e.slice(0, eq), e.slice(eq + 1));
    }
    return m;
  }

  private declareArgs(ins: Instruction, into: Map<string, string | undefined>): void {
    for (const w of ins.args) {
      const eq = w.indexOf('=');
      const name = eq < 0 ? w : w.slice(0, eq);
      let value = eq < 0 ? (into === this.globalArgs ? undefined : this.globalArgs.get(name)) : this.expand(w.slice(eq + 1), into === this.globalArgs ? undefined : this.current());
      const given = this.o.buildArgs[name];
      if (given !== undefined && given !== null) { value = given; this.usedArgs.add(name); }
      into.set(name, value);
    }
  }

  /** Global ARGs plus the automatic platform ARGs FROM --platform may use (dockerd sets them too). */
  private platformArgs(): Map<string, string> {
    const m = new Map<string, string>([['BUILDPLATFORM', `linux/${archOf()}`], ['TARGETPLATFORM', `linux/${archOf()}`], ['BUILDOS', 'linux'], ['TARGETOS', 'linux'], ['BUILDARCH', archOf()], ['TARGETARCH', archOf()]]);
    for (const [k, v] of this.globalArgs) if (v !== undefined) m.set(k, v);
    return m;
  }

  private current(): StageState | undefined { return this.currentStage; }

  private async from(ins: Instruction): Promise<StageState> {
    const ref = expandWord(ins.args[0]!, new Map([...this.globalArgs].filter((e): e is [string, string] => e[1] !== undefined)), this.escape);
    const name = ins.args[1]?.toLowerCase();
    const spec = ins.flags.platform === undefined ? this.o.platform : expandWord(ins.flags.platform, this.platformArgs(), this.escape);
    const wanted = spec ? checkPlatform(spec) : undefined;
    const base = { name, args: new Map<string, string | undefined>(), isCacheBusted: this.o.noCache, isCmdSet: false, shell: ['/bin/sh', '-c'] };
    const prev = this.stages.find((s: StageState | undefined) => s?.name === ref.toLowerCase());
    if (prev) return { ...base, imageId: prev.imageId, image: structuredClone(prev.image), shell: [...prev.shell] };
    if (ref.toLowerCase() === 'scratch') {
      return { ...base, imageId: undefined, image: { architecture: archOf(), os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
    }
    let rec = this.o.pull && !/^(sha256:)?[0-9a-f]{64}$/.test(ref) ? undefined : this.d.store.lookup(ref);
    if (!rec && this.d.registry) {
      await this.pullBase(ref, wanted);
      rec = this.d.store.lookup(ref);
    }
    if (!rec) throw new NotFoundError(`pull access denied for ${ref}, repository does not exist or may require 'docker login': No such image: ${this.d.store.displayName(ref)}`);
    this.hold(rec.id);
    const image = structuredClone(this.d.store.config(rec.id));
    if (wanted && (image.os !== wanted.os || image.architecture !== wanted.architecture)) {
      throw new NotFoundError(`image with reference ${ref} was found but does not match the specified platform: wanted ${wanted.os}/${wanted.architecture}, actual: ${image.os}/${image.architecture}`);
    }
    return { ...base, imageId: rec.id, image, shell: image.config?.Shell ? [...image.config.Shell] : ['/bin/sh', '-c'] };
  }

  /**
   * dockerd's pullForBuilder: the name with its default tag, the credentials of its registry
   * out of `X-Registry-Config`, and the pull's progress messages in the build stream.
   */
  private async pullBase(ref: string, platform: { os: string; architecture: string } | undefined): Promise<void> {
    const named = parseNormalizedNamed(ref);
    const auth = Object.entries(this.o.registryAuth ?? {}).find(([k]) => registryDomain(k) === named.domain)?.[1] ?? {};
    await this.d.registry!.pull({
      fromImage: named.tag === undefined && named.digest === undefined ? `${ref}:latest` : ref,
      auth, emit: (m) => { if (!this.o.quiet) this.emit(m); }, signal: this.signal,
      ...(platform ? { platform: `${platform.os}/${platform.architecture}` } : {}),
    });
  }

  private async dispatch(stage: StageState, ins: Instruction): Promise<void> {
    switch (ins.cmd) {
      case 'run': return this.run(stage, ins);
      case 'copy': case 'add': return this.copy(stage, ins);
      case 'workdir': return this.workdir(stage, ins);
      case 'arg': {
        this.declareArgs(ins, stage.args);
        // ARG changes no config but, like dockerd, records an empty-layer history step.
        return this.configStep(stage, stage.image.config ?? {}, `/bin/sh -c #(nop)  ${ins.original.replace(/^\S+/, 'ARG')}`);
      }
      default: {
        const words = (ins.cmd === 'cmd' || ins.cmd === 'entrypoint' || ins.cmd === 'shell' || ins.cmd === 'healthcheck' || ins.cmd === 'onbuild')
          ? ins.args
          : ins.args.map((a) => this.expand(a, stage));
        const { config, shell, createdBy } = applyConfigInstruction(stage.image.config ?? {}, stage.shell, ins, words, stage.isCmdSet);
        stage.shell = shell;
        if (ins.cmd === 'cmd') stage.isCmdSet = true;
        return this.configStep(stage, config, `/bin/sh -c #(nop)  ${createdBy}`);
      }
    }
  }

  private async configStep(stage: StageState, config: ContainerConfigJson, createdBy: string): Promise<void> {
    const key = this.key(stage.imageId, createdBy, JSON.stringify(config));
    if (await this.fromCache(stage, key, createdBy, config)) return;
    stage.imageId = await this.configImage(stage, config, createdBy);
    await this.saveCache(key, stage.imageId, createdBy);
  }

  /** A new image with the same layers and a new config: an empty layer in the history. */
  private async configImage(stage: StageState, config: ContainerConfigJson, createdBy: string): Promise<string> {
    const now = this.now();
    const image: ImageConfigJson = {
      ...stage.image,
      created: now,
      config,
      // The empty base of a scratch stage (createdBy '') gets no history line of its own.
      history: [...(stage.image.history ?? []), ...(createdBy ? [{ created: now, created_by: createdBy, empty_layer: true }] : [])],
    };
    delete (image as Record<string, unknown>).container_config;
    const parent = stage.imageId ? this.d.store.get(stage.imageId) : undefined;
    const layers = (parent?.layers ?? []).map((l) => () => this.d.content.open(l.blobDigest));
    const rec = await this.d.store.lock.run('images', () => writeImage({ content: this.d.content, snapshots: this.d.snapshots, store: this.d.store }, Buffer.from(JSON.stringify(image)), layers, stage.imageId ? { parent: stage.imageId } : {}));
    this.hold(rec.id);
    stage.image = image;
    return rec.id;
  }

  /**
   * A step from the cache: its record, else (with `cachefrom`) a step of a cache-from image
   * whose history continues this stage's with the same line, as dockerd's ImageCache.
   */
  private async fromCache(stage: StageState, key: string, createdBy: string, config: ContainerConfigJson): Promise<boolean> {
    if (stage.isCacheBusted) return false;
    let id = await this.d.cache.lookup(key);
    if (!id && this.cacheFrom.length > 0) {
      id = await restoreFromSources(this.cacheFromDeps(), this.cacheFrom, stage.imageId, createdBy, config);
      if (id) await this.saveCache(key, id, createdBy);
    }
    if (!id) { stage.isCacheBusted = true; return false; }
    this.say(' ---> Using cache\n');
    this.setImage(stage, id);
    return true;
  }

  private async saveCache(key: string, imageId: string, createdBy: string): Promise<void> {
    await this.d.cache.save(key, imageId, createdBy);
  }

  /** The stage's image is now `id`; a running build holds it against `builder prune`. */
  private setImage(stage: StageState, id: string): void {
    this.hold(id);
    stage.imageId = id;
    stage.image = structuredClone(this.d.store.config(id));
  }

  /** The image to run a build container from; a scratch stage gets an empty one first. */
  private async baseFor(stage: StageState): Promise<string> {
    if (stage.imageId) return stage.imageId;
    stage.imageId = await this.configImage(stage, stage.image.config ?? {}, '');
    return stage.imageId;
  }

  /** Env for RUN: the config's, plus declared build args that ENV does not set. */
  private runEnv(stage: StageState): { env: string[]; argPrefix: string } {
    const env = [...(stage.image.config?.Env ?? [])];
    const keys = new Set(env.map((e) => e.split('=')[0]));
    const args = [...stage.args].filter((e): e is [string, string] => e[1] !== undefined && !keys.has(e[0]));
    for (const [k] of args) this.usedArgs.add(k);
    return { env: [...env, ...args.map(([k, v]) => `${k}=${v}`)], argPrefix: args.length ? `|${args.length} ${args.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '' };
  }

  private async run(stage: StageState, ins: Instruction): Promise<void> {
    let cmd = ins.isJson ? ins.args : [...stage.shell, ins.args[0]!];
    const docs = ins.heredocs ?? [];
    if (docs.length === 1 && /^<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1$/.test(ins.args[0]!.trim())) {
      // `RUN <<EOF`: the document is the script, run by the shell (BuildKit's behaviour).
      cmd = [...stage.shell, docs[0]!.content];
    } else if (docs.length > 0 && !ins.isJson) {
      // `RUN cmd <<EOF`: the shell reads its own heredoc; it gets the whole text.
      cmd = [...stage.shell, `${ins.args[0]!}\n${docs.map((d) => `${d.content}${d.name}\n`).join('')}`];
    }
    const { env, argPrefix } = this.runEnv(stage);
    const key = this.key(stage.imageId, argPrefix + cmd.join(' '), JSON.stringify(stage.image.config ?? {}));
    if (await this.fromCache(stage, key, argPrefix + cmd.join(' '), stage.image.config ?? {})) return;
    const base = await this.baseFor(stage);
    const id = await this.buildContainer(stage, base, cmd, env);
    this.say(` ---> Running in ${short(id)}\n`);
    const out = new StreamFrames((s) => this.say(s));
    await this.d.containers.start(id);
    const logs = await this.d.containers.logs(id, { follow: true, stdout: true, stderr: true, timestamps: false }, out, this.signal);
    await logs.write();
    const res = await this.d.containers.wait(id, 'not-running', this.signal);
    if (res.StatusCode !== 0) {
      throw new BuildStepError(`The command '${cmd.join(' ')}' returned a non-zero code: ${res.StatusCode}`, res.StatusCode);
    }
    await this.commit(stage, id, true);
    await this.saveCache(key, stage.imageId!, argPrefix + cmd.join(' '));
  }

  private async buildContainer(stage: StageState, image: string, cmd: string[], env: string[]): Promise<string> {
    const c = stage.image.config ?? {};
    const body = {
      Image: image, Cmd: cmd, Entrypoint: [''], Env: env, WorkingDir: c.WorkingDir ?? '', User: c.User ?? '',
      Healthcheck: { Test: ['NONE'] }, AttachStdout: true, AttachStderr: true,
      HostConfig: { ...this.o.hostConfig, NetworkMode: this.o.networkMode || 'default' },
    };
    const { Id } = await this.d.containers.create(body, undefined);
    this.intermediates.push(Id);
    return Id;
  }

  private async commit(stage: StageState, containerId: string, isRun = false): Promise<void> {
    const c = stage.image.config ?? {};
    const config = { ...c, Cmd: c.Cmd ?? null, Entrypoint: c.Entrypoint ?? null, Healthcheck: c.Healthcheck, Env: c.Env ?? [], WorkingDir: c.WorkingDir ?? '', User: c.User ?? '' };
    const id = await this.d.containers.commit(containerId, { changes: [], pause: false, config, ...(this.epoch ? { created: this.epoch.iso, clampMtimeSec: this.epoch.sec } : {}) });
    if (this.o.remove || this.o.forceRemove) {
      await this.d.containers.remove(containerId, { force: true });
      this.intermediates.splice(this.intermediates.indexOf(containerId), 1);
      // dockerd names the container it removes only for RUN, whose `Running in` it printed.
      if (isRun) this.say(`Removing intermediate container ${short(containerId)}\n`);
    }
    this.setImage(stage, id);
  }

  private async copy(stage: StageState, ins: Instruction): Promise<void> {
    const upper = ins.cmd.toUpperCase() as 'COPY' | 'ADD';
    const words = ins.args.map((a) => this.expand(a, stage));
    const dest = words.pop()!;
    if (ins.heredocs?.length) return this.copyHeredocs(stage, ins, upper, words, dest);
    const urls = upper === 'ADD' ? words.filter((w) => /^https?:\/\//i.test(w)) : [];
    if (ins.flags.checksum !== undefined && urls.length === 0) throw new InvalidArgumentError('checksum can\'t be specified for non-HTTP(S) sources');
    if (urls.length > 0) {
      if (ins.flags.checksum !== undefined && words.length > 1) throw new InvalidArgumentError('checksum can\'t be specified for multiple sources');
      // Each URL into a directory of its own (two may end in the same name); local sources
      // still come from the context, so URLs and files mix in one ADD as dockerd allows.
      const dir = await fsp.mkdtemp(path.join(this.d.tmpDir, 'build-url-'));
      try {
        const remote = new Map<string, string>();
        for (const [i, u] of urls.entries()) {
          const into = path.join(dir, String(i));
          await fsp.mkdir(into);
          remote.set(u, path.join(into, await this.download(u, into, ins.flags.checksum === undefined ? undefined : this.expand(ins.flags.checksum, stage))));
        }
        return await this.copyFrom(stage, ins, upper, words, dest, this.context, this.isIgnored, { remote });
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
    }
    if (ins.flags.from === undefined) return this.copyFrom(stage, ins, upper, words, dest, this.context, this.isIgnored);
    const tree = new ContextTree({ tmpDir: this.d.tmpDir, memoryBytes: this.d.contextMemoryBytes ?? CONTEXT_MEMORY_BYTES });
    try {
      await this.fetchFrom(stage, this.expand(ins.flags.from, stage), words, tree);
      return await this.copyFrom(stage, ins, upper, words.map((w) => w.replace(/^\/+/, '')), dest, tree, () => false);
    } finally {
      await tree.dispose();
    }
  }

  /**
   * `COPY --from=<stage|index|image>`: the sources are read out of a container of that image
   * (`getArchive`, below the part of each path before any wildcard) into `tree`, which then
   * serves as the context. Owners are not kept (root, or `--chown`'s).
   */
  private async fetchFrom(stage: StageState, from: string, sources: string[], tree: ContextTree): Promise<void> {
    const named = this.stages.find((s: StageState | undefined) => s?.name === from.toLowerCase()) ?? (/^\d+$/.test(from) ? this.stages[Number(from)] : undefined);
    if (named === stage) throw new InvalidArgumentError(`invalid from flag value ${from}: circular dependency detected on stage: ${from}`);
    const imageId = named ? await this.baseFor(named) : this.d.store.lookup(from)?.id;
    if (!imageId) throw new NotFoundError(`invalid from flag value ${from}: No such image: ${this.d.store.displayName(from)}`);
    const id = await this.buildContainer(named ?? stage, imageId, ['/bin/sh', '-c', '#(nop) COPY --from'], []);
    try {
      for (const src of sources) {
        const parts = path.posix.normalize('/' + src).split('/').filter(Boolean);
        const wild = parts.findIndex((p) => /[*?[]/.test(p));
        const fetch = '/' + (wild < 0 ? parts : parts.slice(0, wild)).join('/');
        const { tar } = await this.d.containers.getArchive(id, fetch, this.signal).catch((err: unknown) => {
          if (err instanceof NotFoundError) throw new NotFoundError(`COPY failed: stat ${fetch}: file does not exist`, { cause: err });
          throw err;
        });
        const into = tree.ensureDir(tree.resolve(path.posix.dirname(fetch)));
        await receiveContext(tar, tree, { prefix: into, signal: this.signal });
      }
    } finally {
      await this.dropContainer(id);
    }
  }

  /** `COPY <<EOF /path`: each document becomes a file (mode 0644) named after its marker. */
  private async copyHeredocs(stage: StageState, ins: Instruction, upper: 'COPY' | 'ADD', words: string[], dest: string): Promise<void> {
    const docs = ins.heredocs!;
    const tree = new ContextTree({ tmpDir: this.d.tmpDir, memoryBytes: Number.MAX_SAFE_INTEGER });
    const names: string[] = [];
    for (const w of words) {
      const m = /^<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1$/.exec(w);
      const doc = m ? docs.find((d) => d.name === m[2]) : undefined;
      if (!doc) throw new InvalidArgumentError(`${upper} with heredocs: ${w} is not a heredoc; berth copies heredocs only without other sources`);
      tree.addFile(doc.name, Buffer.from(doc.isQuoted ? doc.content : this.expandDoc(doc.content, stage)), 0o644);
      names.push(doc.name);
    }
    return this.copyFrom(stage, ins, upper, names, dest, tree, () => false, { isExtracting: false });
  }

  /** `$VAR` and `${VAR}` in an unquoted heredoc, from the stage's ARGs and ENV. */
  private expandDoc(text: string, stage: StageState): string {
    const env = this.envMap(stage);
    return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_, a: string | undefined, b: string | undefined) => env.get(a ?? b!) ?? '');
  }

  /**
   * ADD <url>: berthd fetches it, as dockerd does (downloadSource): the file is named after the
   * URL's last path component, gets mode 0600 and the Last-Modified time, and is not
   * extracted. `--checksum=sha256:<hex>` is checked before anything is copied.
   */
  private async download(url: string, dir: string, checksum: string | undefined): Promise<string> {
    const name = decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? '');
    if (!name || name === '.' || name === '..') throw new InvalidArgumentError(`cannot determine filename from url: ${url}`);
    if (checksum !== undefined && !/^sha256:[0-9a-f]{64}$/.test(checksum)) throw new InvalidArgumentError(`invalid checksum digest format: ${checksum}`);
    let res: Response;
    try {
      res = await fetch(url, { signal: this.signal, redirect: 'follow' });
    } catch (err) {
      throw new InvalidArgumentError(`ADD failed: Get ${JSON.stringify(url)}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.ok || !res.body) {
      // dockerd's sentence carries the response body.
      const text = (await res.text().catch(() => '')).slice(0, 65536);
      throw new InvalidArgumentError(`ADD failed: failed to GET ${url} with status ${res.status} ${res.statusText}: ${text}`);
    }
    const file = path.join(dir, name);
    const hash = createHash('sha256');
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    await pipeline(body, new Transform({ transform(c: Buffer, _e, done) { hash.update(c); done(null, c); } }), createWriteStream(file, { mode: 0o600 }), { signal: this.signal });
    const got = `sha256:${hash.digest('hex')}`;
    if (checksum !== undefined && got !== checksum) throw new InvalidArgumentError(`digest mismatch ${got}: ${checksum}`);
    await fsp.chmod(file, 0o600);
    const modified = Date.parse(res.headers.get('last-modified') ?? '');
    if (Number.isFinite(modified)) await fsp.utimes(file, new Date(modified), new Date(modified));
    return name;
  }

  private async copyFrom(stage: StageState, ins: Instruction, upper: 'COPY' | 'ADD', words: string[], dest: string, context: ContextTree, isIgnored: (rel: string) => boolean, o: { isExtracting?: boolean; remote?: Map<string, string> } = {}): Promise<void> {
    const workdir = stage.image.config?.WorkingDir ?? '/';
    const base = await this.baseFor(stage);
    // The destination's type is read from a container of the current image, made once here.
    let probe: string | undefined;
    const probeId = async (): Promise<string> => (probe ??= await this.buildContainer(stage, base, ['/bin/sh', '-c', `#(nop) ${upper}`], []));
    const exists = async (abs: string): Promise<{ isDir: boolean } | undefined> => {
      try {
        const st = await this.d.containers.statPath(await probeId(), abs);
        return { isDir: (st.mode & 0x80000000) !== 0 };
      } catch (err) { if (err instanceof NotFoundError) return undefined; throw err; }
    };
    // A downloaded archive is copied as it is; only local ones are extracted.
    const plan = await planCopy({ context, sources: words, dest, workdir, isIgnored, cmd: upper, isExtracting: upper === 'ADD' && o.isExtracting !== false, ...(o.remote ? { remote: o.remote } : {}), destIsDir: async (abs) => (await exists(abs))?.isDir ?? false });
    const createdBy = `/bin/sh -c #(nop) ${upper} ${plan.sourceWord} in ${dest} `;
    const chmod = ins.flags.chmod === undefined ? undefined : parseChmod(this.expand(ins.flags.chmod, stage));
    const chown = ins.flags.chown ? await this.resolveChown(this.expand(ins.flags.chown, stage), probeId) : undefined;
    const key = this.key(stage.imageId, createdBy, JSON.stringify([chown, chmod, stage.image.config ?? {}]));
    if (await this.fromCache(stage, key, createdBy, stage.image.config ?? {})) {
      if (probe) await this.dropContainer(probe);
      return;
    }
    const id = await this.buildContainerWithCmd(stage, base, createdBy, probe);
    // Missing parent directories are created 0755 (root, or --chown's owner), as dockerd does.
    const parents: string[] = [];
    const entryDirs = new Set<string>();
    for (const e of plan.entries) entryDirs.add(path.posix.dirname('/' + e.name));
    for (const a of plan.archives) entryDirs.add(a.destDir);
    for (const d of [...entryDirs].sort()) {
      for (let p = d; p !== '/' && !parents.includes(p.slice(1)); p = path.posix.dirname(p)) {
        if (await exists(p)) break;
        parents.push(p.slice(1));
      }
    }
    parents.sort();
    await this.d.containers.putArchive(id, '/', packEntries(plan.entries, parents, chown, chmod), { noOverwriteDirNonDir: false, copyUIDGID: true, signal: this.signal });
    for (const a of plan.archives) {
      await this.d.containers.putArchive(id, a.destDir, await decompressed(openNode(a.node)), { noOverwriteDirNonDir: false, copyUIDGID: true, signal: this.signal });
    }
    await this.commit(stage, id);
    await this.saveCache(key, stage.imageId!, createdBy);
  }

  /**
   * `--chown=user[:group]` as dockerd's parseChownFlag: numbers as they are, names looked up
   * in the image's /etc/passwd and /etc/group; without a group, the group of the same name
   * (or the same number).
   */
  private async resolveChown(s: string, container: () => Promise<string>): Promise<{ uid: number; gid: number }> {
    const [u = '', g = u] = s.split(':');
    const prefix = 'unable to convert uid/gid chown string to host mapping';
    const lookup = async (file: string, name: string, kind: 'user' | 'group'): Promise<number> => {
      if (/^\d+$/.test(name)) return Number(name);
      const text = await this.readImageFile(await container(), file);
      if (text === undefined) throw new InvalidArgumentError(`${prefix}: can't find ${kind === 'user' ? 'uid' : 'gid'} for ${kind} ${name}: open ${file}: no such file or directory`);
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2]!)) return Number(f[2]);
      }
      throw new InvalidArgumentError(`${prefix}: can't find ${kind === 'user' ? 'uid' : 'gid'} for ${kind} ${name}: no such ${kind}: ${name}`);
    };
    return { uid: await lookup('/etc/passwd', u, 'user'), gid: await lookup('/etc/group', g, 'group') };
  }

  /** A small file of a build container's filesystem, or undefined when it is not there. */
  private async readImageFile(containerId: string, file: string): Promise<string | undefined> {
    let res: { tar: Readable };
    try {
      res = await this.d.containers.getArchive(containerId, file, this.signal);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    const extract = tar.extract();
    let text: string | undefined;
    const consume = (async () => {
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        if (entry.header.type === 'file') text = Buffer.concat(chunks).toString('utf8');
      }
    })();
    await Promise.all([pipeline(res.tar, extract), consume]);
    return text;
  }

  /** COPY's container carries Docker's `#(nop)` command, which becomes its history line. */
  private async buildContainerWithCmd(stage: StageState, base: string, createdBy: string, probe: string | undefined): Promise<string> {
    if (probe) await this.dropContainer(probe);
    return this.buildContainer(stage, base, ['/bin/sh', '-c', createdBy.replace(/^\/bin\/sh -c /, '')], stage.image.config?.Env ?? []);
  }

  private async dropContainer(id: string): Promise<void> {
    await this.d.containers.remove(id, { force: true });
    this.intermediates.splice(this.intermediates.indexOf(id), 1);
  }

  private async workdir(stage: StageState, ins: Instruction): Promise<void> {
    const dir = path.posix.resolve('/', stage.image.config?.WorkingDir ?? '/', this.expand(ins.args[0]!, stage));
    const config = { ...(stage.image.config ?? {}), WorkingDir: dir };
    const createdBy = `/bin/sh -c #(nop) WORKDIR ${dir}`;
    const key = this.key(stage.imageId, createdBy, JSON.stringify(config));
    if (await this.fromCache(stage, key, createdBy, config)) return;
    const base = await this.baseFor(stage);
    const id = await this.buildContainer(stage, base, ['/bin/sh', '-c', `#(nop) WORKDIR ${dir}`], []);
    const missing: string[] = [];
    for (let p = dir; p !== '/'; p = path.posix.dirname(p)) {
      const found = await this.d.containers.statPath(id, p).then(() => true, (err: unknown) => { if (err instanceof NotFoundError) return false; throw err; });
      if (found) break;
      missing.unshift(p.slice(1));
    }
    if (missing.length === 0) {
      await this.dropContainer(id);
      return this.configStep(stage, config, createdBy);
    }
    await this.d.containers.putArchive(id, '/', packEntries([], missing, undefined), { noOverwriteDirNonDir: false, copyUIDGID: true, signal: this.signal });
    stage.image = { ...stage.image, config };
    await this.commit(stage, id);
    await this.saveCache(key, stage.imageId!, createdBy);
  }
}

const PREDEFINED_ARGS = new Set(['SOURCE_DATE_EPOCH', 'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/** `--chmod` as an octal mode, as dockerd reads it (strconv.ParseUint(s, 8, 32)). */
export function parseChmod(s: string): number {
  if (!/^[0-7]+$/.test(s) || parseInt(s, 8) > 0o7777) throw new InvalidArgumentError(`invalid chmod parameter ${s}: strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`);
  return parseInt(s, 8);
}

/** FROM --platform: the host's platform only (this daemon runs linux/<arch> images). */
export function checkPlatform(spec: string): { os: string; architecture: string } {
  const parts = spec.toLowerCase().split('/');
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_-]+$/.test(p))) {
    throw new InvalidArgumentError(`failed to parse platform ${spec}: "${spec}": unknown operating system or architecture: invalid argument`);
  }
  const arch = ({ x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64' } as Record<string, string>)[parts[1] ?? ''] ?? parts[1] ?? archOf();
  return { os: parts[0]!, architecture: arch };
}

function archOf(): string {
  return process.arch === 'x64' ? 'amd64' : process.arch;
}

/** Unframes the logs stream (8-byte stdcopy headers) into build `stream` messages. */
class StreamFrames extends Writable {
  private buf = Buffer.alloc(0);
  constructor(private readonly out: (s: string) => void) { super(); }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      this.out(this.buf.subarray(8, 8 + size).toString('utf8'));
      this.buf = this.buf.subarray(8 + size);
    }
    done();
  }
}
