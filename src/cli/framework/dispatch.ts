/**
 * Finds and runs the command named by argv, as docker's cobra tree does: flags before
 * the command name belong to the root (`berth -H x images`), a group takes only
 * --help before its subcommand, a leaf takes flags anywhere among its arguments.
 * Usage mistakes produce docker's messages: flag errors exit 125, argument-count and
 * unknown-command errors exit 1.
 */
import { findSubcommand, hasSubcommands, nameOf, type AnyCommand, type ArgsRule, type Command } from './command.js';
import { StatusError } from './errors.js';
import { FlagError, parseFlags, type ParsedFlags } from './flags.js';
import { renderHelp, useLine } from './help.js';

export interface DispatchIO {
  out(text: string): void;
  err(text: string): void;
  /** Columns for wrapping help text (docker: the terminal's width - 1, else 79). */
  cols: number;
  additionalHelp?: string;
}

export interface Resolved<C> {
  cmd: Command<C>;
  parentPath: string;
  calledAs: string;
  args: string[];
  flags: ParsedFlags;
  /** The flags of the groups on the way down (compose's -f/-p before its subcommand), outermost first. */
  groupFlags: ParsedFlags[];
}

export function flagError(err: FlagError, cmd: AnyCommand, parentPath: string): StatusError {
  const path = parentPath ? `${parentPath} ${nameOf(cmd)}` : nameOf(cmd);
  return new StatusError(125, `${err.message}\n\nUsage:  ${useLine(cmd, parentPath)}\n\nRun '${path} --help' for more information`);
}

function parseOrFail(cmd: AnyCommand, parentPath: string, argv: string[], interspersed: boolean, io: DispatchIO): ReturnType<typeof parseFlags> {
  try {
    const r = parseFlags(cmd.flags ?? [], argv, interspersed);
    for (const n of r.notices) io.out(`${n}\n`);
    return r;
  } catch (e) {
    if (e instanceof FlagError) throw flagError(e, cmd, parentPath);
    throw e;
  }
}

/** docker's cli.ExactArgs/RequiresMinArgs/…: returns the error text, or undefined. */
export function checkArgs(rule: ArgsRule | undefined, args: string[], cmd: AnyCommand, parentPath: string, bin: string): string | undefined {
  const path = `${parentPath} ${nameOf(cmd)}`;
  const usage = `\n\nUsage:  ${useLine(cmd, parentPath)}\n\n`;
  const plural = (n: number): string => (n === 1 ? 'argument' : 'arguments');
  const r = rule ?? { kind: 'any' };
  switch (r.kind) {
    case 'none':
      return args.length === 0 ? undefined : `${bin}: '${path}' accepts no arguments${usage}Run '${path} --help' for more information`;
    case 'exact':
      return args.length === r.n ? undefined : `${bin}: '${path}' requires ${r.n} ${plural(r.n)}${usage}Run '${path} --help' for more information`;
    case 'min':
      return args.length >= r.n ? undefined : `${bin}: '${path}' requires at least ${r.n} ${plural(r.n)}${usage}See '${path} --help' for more information`;
    case 'max':
      return args.length <= r.n ? undefined : `${bin}: '${path}' requires at most ${r.n} ${plural(r.n)}${usage}Run '${path} --help' for more information`;
    case 'range':
      return args.length >= r.min && args.length <= r.max ? undefined
        : `${bin}: '${path}' requires at least ${r.min} and at most ${r.max} ${plural(r.max)}${usage}Run '${path} --help' for more information`;
    case 'any':
      return undefined;
  }
}

/**
 * Walks from `root` (whose own flags were parsed already) down argv to a leaf.
 * Returns undefined when help was printed instead.
 */
export function resolve<C>(root: Command<C>, argv: string[], io: DispatchIO): Resolved<C> | undefined {
  const bin = nameOf(root);
  let cmd = root;
  let parentPath = '';
  let rest = argv;
  const groupFlags: ParsedFlags[] = [];
  for (;;) {
    const path = parentPath ? `${parentPath} ${nameOf(cmd)}` : nameOf(cmd);
    const name = rest[0]!;
    const next = findSubcommand(cmd, name);
    if (!next) {
      const hint = cmd === root ? '' : `\n\nUsage:  ${useLine(cmd, parentPath)}`;
      throw new StatusError(1, `${bin}: unknown command: ${path} ${name}${hint}\n\nRun '${path} --help' for more information`);
    }
    parentPath = path;
    cmd = next;
    const parsed = parseOrFail(cmd, parentPath, rest.slice(1), !hasSubcommands(cmd) && cmd.interspersed !== false, io);
    if (parsed.help) {
      io.out(renderHelp(cmd, { parentPath, cols: io.cols }));
      return undefined;
    }
    if (!hasSubcommands(cmd)) {
      const argErr = checkArgs(cmd.args, parsed.args, cmd, parentPath, bin);
      if (argErr) throw new StatusError(1, argErr);
      return { cmd, parentPath, calledAs: name, args: parsed.args, flags: parsed.flags, groupFlags };
    }
    if (parsed.args.length === 0) {
      io.err(renderHelp(cmd, { parentPath, cols: io.cols }));
      return undefined;
    }
    groupFlags.push(parsed.flags);
    rest = parsed.args;
  }
}

/** `berth help [COMMAND...]`: the help of the named command on stdout. */
export function helpTopic<C>(root: Command<C>, topic: string[], io: DispatchIO): void {
  let cmd = root;
  let parentPath = '';
  for (const name of topic) {
    const next = findSubcommand(cmd, name);
    if (!next) throw new StatusError(1, `unknown help topic: ${topic.join(' ')}`);
    parentPath = parentPath ? `${parentPath} ${nameOf(cmd)}` : nameOf(cmd);
    cmd = next;
  }
  io.out(renderHelp(cmd, { parentPath, cols: io.cols, additional: cmd === root ? io.additionalHelp : undefined }));
}
