/**
 * Image archives: `load` streams a tar from stdin or -i to POST /images/load, `save`
 * streams GET /images/get to stdout or -o (written to a temp file and renamed, as
 * docker's atomicwriter does, so a failed save leaves no half file), `import` streams a
 * root filesystem tar to POST /images/create?fromSrc=-.
 */
import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command, Invocation } from '../framework/command.js';
import type { Cli } from '../context.js';
import { parseNormalizedNamed } from '../reference.js';
import { displayJsonMessages } from '../stream/json-message.js';
import { pathError, platformParam } from './common.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/** Opens a file for reading, failing with Go's wording before any request is made. */
async function openInput(file: string): Promise<Readable> {
  try {
    const handle = await open(file, 'r');
    return handle.createReadStream();
  } catch (e) {
    throw pathError('open', file, e);
  }
}

function platformQuery(flagValue: string): string | undefined {
  if (!flagValue) return undefined;
  try {
    return platformParam(flagValue);
  } catch (e) {
    throw new Error(`invalid platform: ${(e as Error).message}`);
  }
}

async function showMessages(cli: Cli, body: Readable): Promise<void> {
  await displayJsonMessages(body, { write: (t) => cli.out(t), isTerminal: cli.io.stdoutIsTerminal, columns: cli.io.columns });
}

async function runLoad({ ctx, flags }: Inv): Promise<void> {
  const file = flags.string('input');
  let input: Readable = ctx.io.stdin;
  if (!file && ctx.io.stdinIsTerminal) throw new Error('requested load from stdin, but stdin is empty');
  const platform = platformQuery(flags.string('platform'));
  if (file) input = await openInput(file);
  const quiet = flags.bool('quiet') || !ctx.io.stdoutIsTerminal;
  const res = await ctx.client.request('POST', '/images/load', {
    query: { quiet: quiet ? '1' : '0', platform },
    body: input,
    headers: { 'Content-Type': 'application/x-tar' },
    signal: ctx.signal,
  });
  if ((res.headers['content-type'] ?? '') === 'application/json') return showMessages(ctx, res.body);
  await pipeline(res.body, ctx.io.stdout, { end: false });
}

export const loadCommand: Cmd = {
  use: 'load [OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  aliasesText: 'berth image load, berth load',
  args: { kind: 'none' },
  flags: [
    { name: 'input', short: 'i', type: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'platform', type: 'string', usage: 'Load only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
    { name: 'quiet', short: 'q', type: 'bool', usage: 'Suppress the load output' },
  ],
  run: runLoad,
};

/** A file that only appears under its name once completely written (docker's atomicwriter). */
export class AtomicFile {
  private constructor(readonly target: string, readonly temp: string, readonly stream: Writable) {}

  /** `failure` prefixes an invalid path's error, as each command words it ("failed to save image"). */
  static async create(target: string, failure = 'failed to save image'): Promise<AtomicFile> {
    const dir = path.dirname(path.resolve(target));
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    } catch (e) {
      throw new Error(`${failure}: invalid output path: ${pathError('stat', dir, e).message}`);
    }
    const temp = path.join(dir, `.${path.basename(target)}.berth-${process.pid}-${Date.now()}`);
    return new AtomicFile(target, temp, createWriteStream(temp, { mode: 0o600 }));
  }

  async commit(): Promise<void> {
    await rename(this.temp, this.target);
  }

  async discard(): Promise<void> {
    this.stream.destroy();
    await rm(this.temp, { force: true });
  }
}

async function runSave({ ctx, args, flags }: Inv): Promise<void> {
  const platform = platformQuery(flags.string('platform'));
  await writeTarOutput(ctx, flags.string('output'), 'failed to save image', () =>
    ctx.client.request('GET', '/images/get', { query: { names: args, platform }, signal: ctx.signal }));
}

/**
 * `save` and `export`: a tar from the daemon to `-o FILE` (written atomically) or to stdout,
 * which docker refuses to be a terminal.
 */
export async function writeTarOutput(
  ctx: Inv['ctx'],
  output: string | undefined,
  failure: string,
  fetch: () => Promise<{ body: NodeJS.ReadableStream }>,
): Promise<void> {
  if (!output && ctx.io.stdoutIsTerminal) throw new Error('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const file = output ? await AtomicFile.create(output, failure) : undefined;
  try {
    const res = await fetch();
    if (file) {
      await pipeline(res.body, file.stream);
      await file.commit();
    } else {
      await pipeline(res.body, ctx.io.stdout, { end: false });
    }
  } catch (e) {
    await file?.discard();
    throw e;
  }
}

export const saveCommand: Cmd = {
  use: 'save [OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  aliasesText: 'berth image save, berth save',
  args: { kind: 'min', n: 1 },
  flags: [
    { name: 'output', short: 'o', type: 'string', usage: 'Write to a file, instead of STDOUT' },
    { name: 'platform', type: 'string', usage: 'Save only the given platform variant. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")' },
  ],
  run: runSave,
};

async function runImport({ ctx, args, flags }: Inv): Promise<void> {
  const [source, ref] = args as [string, string | undefined];
  let body: Readable | undefined;
  let fromSrc = '-';
  if (source === '-') body = ctx.io.stdin;
  else if (/^https?:\/\//.test(source)) fromSrc = source;
  else body = await openInput(source);
  if (ref) parseNormalizedNamed(ref);
  const platform = flags.string('platform');
  const res = await ctx.client.request('POST', '/images/create', {
    query: {
      fromSrc,
      repo: ref || undefined,
      message: flags.string('message') || undefined,
      platform: platform ? platform.toLowerCase() : undefined,
      changes: flags.list('change'),
    },
    body,
    signal: ctx.signal,
  });
  await showMessages(ctx, res.body);
}

export const importCommand: Cmd = {
  use: 'import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  aliasesText: 'berth image import, berth import',
  args: { kind: 'min', n: 1 },
  flags: [
    { name: 'change', short: 'c', type: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', type: 'string', usage: 'Set commit message for imported image' },
    { name: 'platform', type: 'string', usage: 'Set platform if server is multi-platform capable' },
  ],
  run: runImport,
};
