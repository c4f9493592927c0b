/**
 * Flags parsed as spf13/pflag parses them for docker: `--name=value`, `--name value`,
 * `-abc` combined shorthands, `-fvalue`, `--` ending flags, booleans taking `=false`,
 * repeatable lists; and pflag's error messages ("unknown flag: --bogus", "flag needs an
 * argument: 'f' in -f", `invalid argument "x" for "-a, --all" flag: …`).
 */
import { Filters } from '../../client/index.js';
import { parseGoBool } from '../../util/index.js';

/**
 * pflag value types; the name shows in help ("--format string", "--filter filter").
 * `custom` is a pflag.Value of docker's own (opts.MemBytes, opts.UlimitOpt, …): its
 * `set` parses one occurrence into the accumulated value.
 */
export type FlagType = 'bool' | 'string' | 'int' | 'list' | 'filter' | 'strings' | 'custom';

export interface FlagSpec {
  name: string;
  short?: string;
  type: FlagType;
  usage: string;
  default?: string | boolean | number;
  hidden?: boolean;
  /** Message printed when a deprecated shorthand is used. */
  shortDeprecated?: string;
  /** pflag's MarkDeprecated: hidden from help, and this notice when used. */
  deprecated?: string;
  /** The type name help shows, for custom values ("bytes", "ulimit", "uint16"). */
  typeName?: string;
  /** A default shown in help that is not the zero value ("[]", "map[]"). */
  shownDefault?: string;
  /** A list's validator (opts.ValidatorFctType): the value to store, or throws pflag's reason. */
  validate?: (raw: string) => string;
  /** A custom value's Set: parses `raw` into the new value given the current one; throws pflag's reason. */
  set?: (raw: string, current: unknown) => unknown;
  /** A custom value's initial value. */
  initial?: () => unknown;
  /** Another flag whose value this one sets too (pflag: two names bound to one variable, like --net and --network). */
  storeAs?: string;
}

export class FlagError extends Error {}

type Value = unknown;

export class ParsedFlags {
  private readonly values = new Map<string, Value>();
  private readonly changedNames = new Set<string>();

  constructor(specs: FlagSpec[]) {
    for (const s of specs) if (!s.storeAs) this.values.set(s.name, initial(s));
  }

  set(spec: FlagSpec, raw: string): void {
    const key = spec.storeAs ?? spec.name;
    this.changedNames.add(spec.name);
    this.values.set(key, convert(spec, raw, this.values.get(key)));
  }

  changed(name: string): boolean { return this.changedNames.has(name); }
  bool(name: string): boolean { return this.get(name) as boolean; }
  string(name: string): string { return this.get(name) as string; }
  int(name: string): number { return this.get(name) as number; }
  list(name: string): string[] { return this.get(name) as string[]; }
  filters(name: string): Filters { return this.get(name) as Filters; }
  /** A custom value (see FlagSpec.set). */
  value<T>(name: string): T { return this.get(name) as T; }
  /** How many flags were set (cobra's NFlag). */
  get count(): number { return this.changedNames.size; }

  private get(name: string): Value {
    if (!this.values.has(name)) throw new Error(`flag accessed but not defined: ${name}`);
    return this.values.get(name)!;
  }
}

function initial(s: FlagSpec): Value {
  switch (s.type) {
    case 'bool': return s.default === true;
    case 'string': return typeof s.default === 'string' ? s.default : '';
    case 'int': return typeof s.default === 'number' ? s.default : 0;
    case 'list': case 'strings': return [];
    case 'filter': return new Filters();
    case 'custom': return s.initial ? s.initial() : undefined;
  }
}

function flagTitle(s: FlagSpec): string {
  return s.short ? `-${s.short}, --${s.name}` : `--${s.name}`;
}

function convert(s: FlagSpec, raw: string, current: Value | undefined): Value {
  const invalid = (why: string): never => {
    throw new FlagError(`invalid argument ${JSON.stringify(raw)} for ${JSON.stringify(flagTitle(s))} flag: ${why}`);
  };
  switch (s.type) {
    case 'bool': {
      const b = parseGoBool(raw);
      return b ?? invalid(`strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
    }
    case 'string': return raw;
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw)) invalid(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: invalid syntax`);
      const n = BigInt(raw);
      if (n > 9223372036854775807n || n < -9223372036854775808n) invalid(`strconv.ParseInt: parsing ${JSON.stringify(raw)}: value out of range`);
      return Number(raw);
    }
    case 'list': {
      if (!s.validate) return [...(current as string[]), raw];
      let v: string;
      try {
        v = s.validate(raw);
      } catch (e) {
        return invalid((e as Error).message);
      }
      return [...(current as string[]), v];
    }
    case 'custom':
      try {
        return s.set!(raw, current);
      } catch (e) {
        return invalid((e as Error).message);
      }
    case 'strings': return [...(current as string[]), ...(raw === '' ? [] : raw.split(','))];
    case 'filter': {
      if (raw === '') return current as Filters;
      if (!raw.includes('=')) invalid('bad format of filter (expected name=value)');
      const [k, v] = Filters.parseArg(raw);
      return (current as Filters).add(k, v);
    }
  }
}


export interface ParseResult {
  flags: ParsedFlags;
  args: string[];
  help: boolean;
  /** Lines pflag prints while parsing (deprecated shorthands). */
  notices: string[];
}

/**
 * Parses `argv` against `specs` plus the hidden --help/-h. With `interspersed` false the
 * first positional argument ends flag parsing (the root and command groups, where it
 * names the subcommand).
 */
export function parseFlags(specs: FlagSpec[], argv: string[], interspersed: boolean): ParseResult {
  // run and create declare their own --help: their -h is --hostname.
  const all = specs.some((s) => s.name === 'help') ? specs : [...specs, HELP_FLAG];
  const flags = new ParsedFlags(all);
  const args: string[] = [];
  const notices: string[] = [];
  const byName = new Map(all.map((s) => [s.name, s]));
  const byShort = new Map(all.filter((s) => s.short).map((s) => [s.short!, s]));
  let rest = [...argv];
  while (rest.length > 0) {
    const a = rest.shift()!;
    if (a.length < 2 || a[0] !== '-') {
      args.push(a);
      if (!interspersed) {
        args.push(...rest);
        break;
      }
      continue;
    }
    if (a === '--') {
      args.push(...rest);
      break;
    }
    rest = a.startsWith('--') ? parseLong(a, rest, byName, flags, notices) : parseShorts(a, rest, byShort, flags, notices);
  }
  return { flags, args, help: flags.bool('help'), notices };
}

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'bool', usage: 'Print usage', hidden: true, shortDeprecated: 'use --help' };

function parseLong(a: string, rest: string[], byName: Map<string, FlagSpec>, flags: ParsedFlags, notices: string[]): string[] {
  const body = a.slice(2);
  if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${a}`);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const spec = byName.get(name);
  if (!spec) throw new FlagError(`unknown flag: --${name}`);
  if (spec.deprecated) notices.push(`Flag --${name} has been deprecated, ${spec.deprecated}`);
  if (eq >= 0) flags.set(spec, body.slice(eq + 1));
  else if (spec.type === 'bool') flags.set(spec, 'true');
  else if (rest.length > 0) flags.set(spec, rest.shift()!);
  else throw new FlagError(`flag needs an argument: ${a}`);
  return rest;
}

function parseShorts(a: string, rest: string[], byShort: Map<string, FlagSpec>, flags: ParsedFlags, notices: string[]): string[] {
  let shorts = a.slice(1);
  while (shorts.length > 0) {
    const c = shorts[0]!;
    const spec = byShort.get(c);
    if (!spec) throw new FlagError(`unknown shorthand flag: '${c}' in -${shorts}`);
    let value: string;
    if (shorts.length > 2 && shorts[1] === '=') {
      value = shorts.slice(2);
      shorts = '';
    } else if (spec.type === 'bool') {
      value = 'true';
      shorts = shorts.slice(1);
    } else if (shorts.length > 1) {
      value = shorts.slice(1);
      shorts = '';
    } else if (rest.length > 0) {
      value = rest.shift()!;
      shorts = '';
    } else {
      throw new FlagError(`flag needs an argument: '${c}' in -${shorts}`);
    }
    if (spec.shortDeprecated) notices.push(`Flag shorthand -${c} has been deprecated, ${spec.shortDeprecated}`);
    flags.set(spec, value);
  }
  return rest;
}
