/** Pieces the command files share: docker's flag help texts, prompts, Go-style file errors. */
import type { Readable } from 'node:stream';
import type { FlagSpec } from '../framework/flags.js';
import type { Cli } from '../context.js';
import type { Filters as FilterSet } from '../../client/index.js';

export const FORMAT_HELP = `Format output using a custom template:
'table':            Print output in table format with column headers (default)
'table TEMPLATE':   Print output in table format using the given Go template
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

export const INSPECT_FORMAT_HELP = `Format output using a custom template:
'json':             Print in JSON format
'TEMPLATE':         Print output using the given Go template.
Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates`;

export const formatFlag = (short?: string, usage = FORMAT_HELP): FlagSpec => ({ name: 'format', short, type: 'string', usage });

/** A command the user declined (prune's prompt): docker exits 0 and prints nothing more. */
export class CancelledError extends Error {}

/** Reads one line of `input` (without its newline); what there is at end of input. */
export async function readLine(input: Readable): Promise<string> {
  let line = '';
  for await (const chunk of input) {
    line += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const nl = line.indexOf('\n');
    if (nl >= 0) return line.slice(0, nl);
  }
  return line;
}

/** prompt.Confirm: asks on stdout, true only for "y"/"Y". */
export async function confirm(cli: Cli, message: string): Promise<boolean> {
  await cli.out(`${message} [y/N] `);
  const answer = await readLine(cli.io.stdin);
  return answer.trim().toLowerCase() === 'y';
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** A file error worded as Go's *PathError ("open /x: no such file or directory"). */
export function pathError(op: string, file: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const text = (code && ERRNO_TEXT[code]) ?? (err as Error)?.message ?? String(err);
  return new Error(`${op} ${file}: ${text}`, { cause: err });
}

/** An image or other name as a path segment: '/', ':' and '@' stay readable, as docker sends them. */
export function pathName(name: string): string {
  return encodeURIComponent(name).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%40/gi, '@');
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm' };

/** containerd's platforms.Parse of "os[/arch[/variant]]", as the JSON the API takes. */
export function platformParam(spec: string): string {
  const parts = spec.toLowerCase().split('/');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new Error(`invalid platform: "${spec}": unknown operating system or architecture: invalid argument`);
  const [os, arch = 'amd64', variant] = parts;
  const p: Record<string, string> = { architecture: ARCH_ALIASES[arch] ?? arch, os: os! };
  if (variant) p.variant = variant;
  return JSON.stringify(p);
}

/** command.PruneFilters: the config file's pruneFilters join the command line's, unless it says the opposite. */
export function withConfigPruneFilters(cli: Cli, filters: FilterSet): FilterSet {
  const extra = cli.config.file.pruneFilters;
  if (!Array.isArray(extra)) return filters;
  for (const f of extra) {
    if (typeof f !== 'string' || !f.includes('=')) continue;
    const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
    if (k === 'label' && filters.get('label!').includes(v)) continue;
    if (k === 'label!' && filters.get('label').includes(v)) continue;
    filters.add(k, v);
  }
  return filters;
}
