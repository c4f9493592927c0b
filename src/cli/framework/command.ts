/**
 * A command tree like docker's cobra commands: a leaf runs, a group (image, system)
 * holds subcommands. `use` is cobra's Use line ("images [OPTIONS] [REPOSITORY[:TAG]]"),
 * whose first word is the name; `aliasesText` is docker's "aliases" annotation shown in
 * help ("berth image ls, berth image list, berth images").
 */
import type { FlagSpec, ParsedFlags } from './flags.js';

/** docker's positional-argument checks (cli/required.go). */
export type ArgsRule =
  | { kind: 'none' }
  | { kind: 'exact'; n: number }
  | { kind: 'min'; n: number }
  | { kind: 'max'; n: number }
  | { kind: 'range'; min: number; max: number }
  | { kind: 'any' };

export interface Invocation<C> {
  ctx: C;
  args: string[];
  flags: ParsedFlags;
  /** "berth image ls" */
  path: string;
  /** The name the command was called by ("images" or "ls"). */
  calledAs: string;
  /** Flags given to the groups above the command, outermost first (`compose -p x up`). */
  groupFlags?: ParsedFlags[];
}

export interface Command<C> {
  use: string;
  short: string;
  /** cobra's Long: shown instead of `short` in the command's own help. */
  long?: string;
  aliases?: string[];
  aliasesText?: string;
  /** Listed under "Common Commands" at the root, in this order. */
  categoryTop?: number;
  hidden?: boolean;
  args?: ArgsRule;
  flags?: FlagSpec[];
  /** pflag's SetInterspersed(false): the first argument ends the flags (`run IMAGE CMD -x`). */
  interspersed?: boolean;
  run?: (inv: Invocation<C>) => Promise<void>;
  subcommands?: Array<Command<C>>;
}

/** Any command, whatever its context type: for code that only reads the tree. */
export type AnyCommand = Command<any>;

export function nameOf(cmd: AnyCommand): string {
  return cmd.use.split(' ')[0]!;
}

export function findSubcommand<C>(parent: Command<C>, name: string): Command<C> | undefined {
  return parent.subcommands?.find((c) => nameOf(c) === name || (c.aliases ?? []).includes(name));
}

export function hasSubcommands(cmd: AnyCommand): boolean {
  return (cmd.subcommands?.length ?? 0) > 0;
}
