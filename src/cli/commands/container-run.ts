/**
 * `run` and `create` (docker/cli container/run.go, create.go). Both parse the container
 * flags into a create request (opts/container-config.ts) and create the container, pulling
 * the image first when the daemon does not have it. `run` then attaches (HTTP upgrade),
 * waits for the next exit (or removal with --rm), starts the container and exits with its
 * status; with -d it prints the ID instead.
 */
import { encodeAuthHeader, getCredentials, serverKey } from '../credentials.js';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { ApiError, compareVersions, type ContainerCreateResult } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { runStatusError, StatusError, withHelp } from '../framework/errors.js';
import { buildContainerSpec, type ContainerSpec } from '../opts/container-config.js';
import { createFlags } from '../opts/container-flags.js';
import { formatPlatform, parsePlatform } from '../platform.js';
import { familiarString, parseAnyReference, type Reference } from '../reference.js';
import { displayJsonMessages } from '../stream/json-message.js';
import { DetachError } from '../stream/escape.js';
import { checkTty, ttySize } from '../stream/terminal.js';
import type { Cli } from '../context.js';
import { pathError } from './common.js';
import { attachContainer, detachKeysOf, monitorTtySize, proxySignals, waitExitOrRemoved, type AttachSession } from './container-session.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

interface CreateOptions {
  name: string;
  platform: string;
  pull: string;
  quiet: boolean;
  useApiSocket: boolean;
}

/**
 * --use-api-socket: the daemon's socket bind-mounted at /var/run/docker.sock. (docker also
 * copies the client's registry credentials in; berth has no credential store yet.)
 */
function addApiSocketMount(cli: Cli, body: Record<string, unknown>): void {
  const host = cli.host;
  if (!host.startsWith('unix://')) throw new Error(`flag --use-api-socket can only be used with unix sockets: docker endpoint ${host} incompatible`);
  const hc = body.HostConfig as Record<string, unknown>;
  const mounts = (hc.Mounts as object[] | undefined) ?? [];
  hc.Mounts = [...mounts, { Type: 'bind', Source: host.slice('unix://'.length), Target: '/var/run/docker.sock', BindOptions: {} }];
}

function validatePull(value: string): void {
  if (!['always', 'missing', 'never', ''].includes(value)) {
    throw new Error(`invalid pull option: '${value}': must be one of "always", "missing" or "never"`);
  }
}

function proxiesFor(cli: Cli): Record<string, unknown> | undefined {
  const proxies = cli.config.file.proxies as Record<string, Record<string, unknown>> | undefined;
  if (!proxies || typeof proxies !== 'object') return undefined;
  return proxies[cli.host] ?? proxies.default;
}

/** Parses the flags as docker's runRun/runCreate do: errors exit 125 with a pointer to --help. */
function parseSpec(inv: Inv, command: 'run' | 'create'): ContainerSpec {
  const { ctx, args, flags } = inv;
  try {
    validatePull(flags.string('pull'));
    return buildContainerSpec(flags, {
      image: args[0]!, args: args.slice(1), env: ctx.env, proxies: proxiesFor(ctx), consoleSize: ttySize(ctx.io),
    });
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new StatusError(125, withHelp((e as Error).message, command));
  }
}

/** The --cidfile: refused when it exists, removed again unless an ID was written to it. */
class CidFile {
  private fd: number | undefined;
  private written = false;

  constructor(private readonly file: string) {
    if (!file) return;
    if (existsSync(file)) throw new Error(`container ID file found, make sure the other container isn't running or delete ${file}`);
    try {
      this.fd = openSync(file, 'w', 0o666);
    } catch (e) {
      throw new Error(`failed to create the container ID file: ${pathError('open', file, e).message}`);
    }
  }

  write(id: string): void {
    if (this.fd === undefined) return;
    writeSync(this.fd, id);
    this.written = true;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    if (!this.written) rmSync(this.file, { force: true });
  }
}

/** reference.TagNameOnly: a name without tag or digest gets :latest. */
function tagNameOnly(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : { ...ref, tag: 'latest' };
}

/** POST /images/create?fromImage=…: the pull progress goes to stderr, as docker's run does. */
async function pullImage(cli: Cli, ref: Reference, opts: CreateOptions): Promise<void> {
  const res = await cli.client.request('POST', '/images/create', {
    query: { fromImage: ref.name, tag: ref.digest ?? ref.tag ?? 'latest', platform: opts.platform || undefined },
    headers: { 'X-Registry-Auth': encodeAuthHeader(await getCredentials(cli.config.dir, serverKey(ref.domain), cli.env)) },
    signal: cli.signal,
  });
  await displayJsonMessages(res.body, {
    write: (text) => {
      if (!opts.quiet) cli.err(text);
    },
    isTerminal: false,
  });
}

function localhostDnsWarning(dns: unknown): string | undefined {
  for (const ip of Array.isArray(dns) ? (dns as string[]) : []) {
    if (/^127\./.test(ip) || ip === '::1') return `Localhost DNS (${ip}) may fail in containers.`;
  }
  return undefined;
}

/**
 * What docker's client changes in a create request for the negotiated API version: old
 * daemons cannot take some options; newer ones deprecated KernelMemory and the
 * container-wide MacAddress.
 */
async function adjustForApiVersion(cli: Cli, body: Record<string, unknown>, platform: string | undefined): Promise<void> {
  const version = await cli.client.apiVersion(cli.signal);
  const before = (v: string): boolean => compareVersions(version, v) < 0;
  const requires = (feature: string, v: string): Error => new Error(`${JSON.stringify(feature)} requires API version ${v}, but the berth daemon API version is ${version}`);
  const hc = body.HostConfig as Record<string, unknown>;
  const health = body.Healthcheck as { StartInterval?: number } | undefined;
  const endpoints = Object.values((body.NetworkingConfig as { EndpointsConfig: Record<string, { MacAddress?: string }> }).EndpointsConfig);
  if (body.StopTimeout !== undefined && before('1.25')) throw requires('stop timeout', '1.25');
  if (health?.StartInterval && before('1.44')) throw requires('specify health-check start interval', '1.44');
  if (endpoints.some((ep) => ep.MacAddress) && before('1.44')) throw requires('specify mac-address per network', '1.44');
  if (before('1.25')) hc.AutoRemove = false;
  if (!before('1.42') || before('1.40')) hc.KernelMemory = undefined;
  if (platform?.startsWith('linux') && before('1.42')) hc.ConsoleSize = [0, 0];
  if (!before('1.44')) body.MacAddress = undefined;
}

/** --platform as the create query sends it; daemons before API 1.41 get none. */
async function platformQuery(cli: Cli, flag: string): Promise<string | undefined> {
  if (!flag) return undefined;
  let platform: string;
  try {
    platform = formatPlatform(parsePlatform(flag));
  } catch (e) {
    throw new Error(`error parsing specified platform: ${(e as Error).message}`);
  }
  return compareVersions(await cli.client.apiVersion(cli.signal), '1.41') < 0 ? undefined : platform;
}

/** createContainer: returns the new container's ID. */
export async function createContainer(cli: Cli, spec: ContainerSpec, opts: CreateOptions): Promise<string> {
  const cid = new CidFile(spec.containerIdFile);
  try {
    const image = spec.body.Image as string;
    const parsed = parseAnyReference(image);
    const namedRef = 'name' in parsed ? tagNameOnly(parsed) : undefined;
    if (opts.useApiSocket) addApiSocketMount(cli, spec.body);
    const platform = await platformQuery(cli, opts.platform);
    await adjustForApiVersion(cli, spec.body, platform);
    if (opts.pull === 'always' && namedRef) await pullImage(cli, namedRef, opts);
    const create = (): Promise<ContainerCreateResult> => cli.client.json<ContainerCreateResult>('POST', '/containers/create', {
      query: { name: opts.name || undefined, platform }, json: spec.body, signal: cli.signal,
    });
    let created: ContainerCreateResult;
    try {
      created = await create();
    } catch (e) {
      if (!(e instanceof ApiError && e.isNotFound && namedRef && opts.pull === 'missing')) throw e;
      if (!opts.quiet) cli.err(`Unable to find image '${familiarString(namedRef)}' locally\n`);
      await pullImage(cli, namedRef, opts);
      created = await create();
    }
    const warnings = [...(created.Warnings ?? [])];
    const dnsWarning = localhostDnsWarning((spec.body.HostConfig as Record<string, unknown>).Dns);
    if (dnsWarning) warnings.push(dnsWarning);
    for (const w of warnings) cli.err(`WARNING: ${w}\n`);
    cid.write(created.Id);
    return created.Id;
  } finally {
    cid.close();
  }
}

function createOptions(inv: Inv): CreateOptions {
  const f = inv.flags;
  return { name: f.string('name'), platform: f.string('platform'), pull: f.string('pull'), quiet: f.bool('quiet'), useApiSocket: f.bool('use-api-socket') };
}

async function runCreate(inv: Inv): Promise<void> {
  const spec = parseSpec(inv, 'create');
  const id = await createContainer(inv.ctx, spec, createOptions(inv));
  await inv.ctx.out(`${id}\n`);
}

async function runRun(inv: Inv): Promise<void> {
  const { ctx, flags } = inv;
  const spec = parseSpec(inv, 'run');
  const detach = flags.bool('detach');
  const body = spec.body;
  if (!detach) {
    checkTty(ctx.io, spec.attachStdin, spec.tty);
  } else {
    if (flags.list('attach').length !== 0) throw new Error('conflicting options: cannot specify both --attach and --detach');
    body.AttachStdin = spec.attachStdin = false;
    body.AttachStdout = spec.attachStdout = false;
    body.AttachStderr = spec.attachStderr = false;
    body.StdinOnce = false;
  }
  let id: string;
  try {
    id = await createContainer(ctx, spec, createOptions(inv));
  } catch (e) {
    throw runStatusError(e);
  }
  const stopProxy = flags.bool('sig-proxy') ? proxySignals(ctx, id) : () => {};
  try {
    await runContainer(ctx, id, spec, flags.string('detach-keys'));
  } finally {
    stopProxy();
  }
}

/** runContainer after create: attach, wait, start, then the exit status. */
/** Attaches, starts and waits as `run` does; compose's `run` shares it. */
export async function runContainer(cli: Cli, id: string, spec: Pick<ContainerSpec, 'attachStdin' | 'attachStdout' | 'attachStderr' | 'tty' | 'autoRemove'>, detachKeysFlag: string): Promise<void> {
  const attach = spec.attachStdin || spec.attachStdout || spec.attachStderr;
  let session: AttachSession | undefined;
  if (attach) {
    session = await attachContainer(cli, id, {
      stdin: spec.attachStdin, stdout: spec.attachStdout, stderr: spec.attachStderr, tty: spec.tty, detachKeys: detachKeysOf(cli, detachKeysFlag),
    });
  }
  let stopResize = (): void => {};
  try {
    const wait = await waitExitOrRemoved(cli, id, spec.autoRemove);
    // A detached run prints the ID as soon as the container exists, as docker's goroutine does.
    if (!attach) await cli.out(`${id}\n`);
    try {
      await cli.client.call('POST', `/containers/${id}/start`, { signal: cli.signal });
    } catch (e) {
      if (session) {
        session.cancel();
        await session.done.catch(() => {});
      }
      if (spec.autoRemove) await wait.status;
      else wait.cancel();
      throw runStatusError(e);
    }
    if (!session) {
      wait.cancel();
      return;
    }
    if (spec.tty && cli.io.stdoutIsTerminal) stopResize = monitorTtySize(cli, id);
    const first = await Promise.race([
      session.done.then(() => ({ kind: 'stream' as const, error: undefined as unknown }), (error: unknown) => ({ kind: 'stream' as const, error })),
      wait.status.then((status) => ({ kind: 'status' as const, status })),
    ]);
    let status: number;
    if (first.kind === 'stream') {
      if (first.error instanceof DetachError) {
        wait.cancel();
        return;
      }
      if (first.error) {
        wait.cancel();
        throw first.error;
      }
      status = await wait.status;
    } else {
      status = first.status;
      // Output may still be in flight; without stdout or stderr there is nothing to drain.
      if (!spec.attachStdout && !spec.attachStderr) session.cancel();
      await session.done.catch(() => {});
    }
    if (status !== 0) throw new StatusError(status, '');
  } finally {
    stopResize();
    session?.close();
  }
}

export const runCommand: Cmd = {
  use: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  aliasesText: 'berth container run, berth run',
  args: { kind: 'min', n: 1 },
  interspersed: false,
  flags: createFlags('run'),
  run: runRun,
};

export const createCommand: Cmd = {
  use: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  aliasesText: 'berth container create, berth create',
  args: { kind: 'min', n: 1 },
  interspersed: false,
  flags: createFlags('create'),
  run: runCreate,
};
