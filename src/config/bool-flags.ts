import { InvalidArgumentError } from '../errors/index.js';
import { parseGoBool } from '../util/index.js';

/**
 * Takes pflag-style boolean flags out of `argv`: `--name` is true, `--name=false` false, and
 * absent stays undefined, since dockerd treats `--tls=false` (consent to plain TCP) apart from
 * no flag at all. node:util parseArgs cannot read `--name=false`, so these go first.
 */
export function takeBoolFlags(argv: string[], names: string[]): { rest: string[]; values: Record<string, boolean | undefined> } {
  const values: Record<string, boolean | undefined> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') { rest.push(...argv.slice(i)); break; }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m || !names.includes(m[1]!)) { rest.push(arg); continue; }
    if (m[2] === undefined) { values[m[1]!] = true; continue; }
    const v = parseGoBool(m[2]);
    if (v === undefined) throw new InvalidArgumentError(`invalid argument "${m[2]}" for "--${m[1]}" flag: strconv.ParseBool: parsing "${m[2]}": invalid syntax`);
    values[m[1]!] = v;
  }
  return { rest, values };
}
