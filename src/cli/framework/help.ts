/**
 * Help and usage text in the layout of docker's cobra templates (docker/cli cli/cobra.go):
 * "Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]", the short description, Aliases,
 * Options wrapped as pflag's FlagUsagesWrapped does, and for groups the command lists
 * padded to cobra's NamePadding (at least 11).
 */
import { hasSubcommands, nameOf, type AnyCommand } from './command.js';
import type { FlagSpec } from './flags.js';

const MIN_NAME_PADDING = 11;

/** cobra's UseLine: the parent's path and this command's Use. */
export function useLine(cmd: AnyCommand, parentPath: string): string {
  return parentPath ? `${parentPath} ${cmd.use}` : cmd.use;
}

function visibleFlags(cmd: AnyCommand): FlagSpec[] {
  return (cmd.flags ?? []).filter((f) => !f.hidden && !f.deprecated);
}

function namePadding(parent: AnyCommand): number {
  const longest = Math.max(0, ...(parent.subcommands ?? []).map((c) => nameOf(c).length));
  return Math.max(MIN_NAME_PADDING, longest);
}

function typeName(f: FlagSpec): string {
  if (f.typeName !== undefined) return f.typeName;
  return f.type === 'bool' ? '' : f.type;
}

function defaultText(f: FlagSpec): string {
  if (f.shownDefault !== undefined) return ` (default ${f.shownDefault})`;
  if (f.default === undefined || f.default === false || f.default === '' || f.default === 0) return '';
  return typeof f.default === 'string' ? ` (default ${JSON.stringify(f.default)})` : ` (default ${String(f.default)})`;
}

/** pflag's wrapN: cut near `i` at a space or newline. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const w = Math.max(s.lastIndexOf(' ', i - 1), s.lastIndexOf('\t', i - 1), s.lastIndexOf('\n', i - 1));
  if (w <= 0) return [s, ''];
  const nl = s.lastIndexOf('\n', i - 1);
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

/** pflag's wrap: indent continuation lines by `i`, wrap at width `w`. */
function wrap(i: number, w: number, s: string): string {
  let wrapAt = w - i;
  let r = '';
  if (wrapAt < 24) {
    i = 16;
    wrapAt = w - i;
    r += `\n${' '.repeat(i)}`;
  }
  if (wrapAt < 24) return s.replaceAll('\n', r);
  const slop = 5;
  wrapAt -= slop;
  const indent = (t: string): string => t.replaceAll('\n', `\n${' '.repeat(i)}`);
  let [line, rest] = wrapN(wrapAt, slop, s);
  r += indent(line);
  while (rest !== '') {
    [line, rest] = wrapN(wrapAt, slop, rest);
    r += `\n${' '.repeat(i)}${indent(line)}`;
  }
  return r;
}

/** pflag's FlagUsagesWrapped(cols): sorted by name, descriptions aligned and wrapped. */
export function flagUsages(flags: FlagSpec[], cols: number): string {
  const sorted = [...flags].filter((f) => !f.hidden && !f.deprecated).sort((a, b) => (a.name < b.name ? -1 : 1));
  const heads = sorted.map((f) => {
    const head = f.short ? `  -${f.short}, --${f.name}` : `      --${f.name}`;
    return typeName(f) ? `${head} ${typeName(f)}` : head;
  });
  const maxLen = Math.max(0, ...heads.map((h) => h.length));
  return sorted.map((f, k) => {
    const usage = f.usage + defaultText(f);
    return `${heads[k]}${' '.repeat(maxLen - heads[k]!.length)}   ${wrap(maxLen + 3, cols, usage)}`;
  }).join('\n').replace(/\s+$/, '');
}

function listing(cmds: AnyCommand[], pad: number, decorated: boolean): string {
  return cmds.map((c) => (decorated ? `\n  ${`${nameOf(c)} `.padEnd(pad + 1)}${c.short}` : `\n  ${nameOf(c).padEnd(pad)} ${c.short}`)).join('');
}

export interface HelpOptions {
  /** "berth image" for `ls`; "" for the root. */
  parentPath: string;
  /** Terminal width for wrapping flag descriptions. */
  cols: number;
  /** Text after everything else at the root (docker's additionalHelp). */
  additional?: string;
}

/** The full help text of `cmd` (what `--help` prints). */
export function renderHelp(cmd: AnyCommand, opts: HelpOptions): string {
  const isRoot = opts.parentPath === '';
  const path = isRoot ? nameOf(cmd) : `${opts.parentPath} ${nameOf(cmd)}`;
  const subs = (cmd.subcommands ?? []).filter((c) => !c.hidden).sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : 1));
  const flags = visibleFlags(cmd);
  let s = 'Usage:';
  s += hasSubcommands(cmd) ? `  ${path}${flags.length ? ' [OPTIONS]' : ''} COMMAND` : `  ${useLine(cmd, opts.parentPath)}`;
  s += `\n\n${(cmd.long ?? cmd.short).trim()}`;
  if (cmd.aliasesText || cmd.aliases?.length) {
    s += `\n\nAliases:\n  ${cmd.aliasesText ?? [path, ...(cmd.aliases ?? []).map((a) => `${opts.parentPath} ${a}`)].join(', ')}`;
  }
  if (!isRoot && flags.length) s += `\n\nOptions:\n${flagUsages(flags, opts.cols)}`;
  const pad = namePadding(cmd);
  const top = isRoot ? subs.filter((c) => c.categoryTop !== undefined).sort((a, b) => a.categoryTop! - b.categoryTop!) : [];
  if (top.length) s += `\n\nCommon Commands:${listing(top, pad, true)}`;
  const groups = subs.filter(hasSubcommands);
  if (groups.length) s += `\n\nManagement Commands:${listing(groups, pad, true)}`;
  const leaves = subs.filter((c) => !hasSubcommands(c) && !(isRoot && c.categoryTop !== undefined));
  if (leaves.length) s += `\n\nCommands:${listing(leaves, pad, false)}`;
  if (isRoot && flags.length) s += `\n\nGlobal Options:\n${flagUsages(flags, opts.cols)}`;
  if (hasSubcommands(cmd)) s += `\n\nRun '${path} COMMAND --help' for more information on a command.`;
  if (isRoot && opts.additional) s += `\n\n${opts.additional}`;
  return `${s}\n`;
}
