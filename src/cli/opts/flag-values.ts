/**
 * FlagSpecs for docker's own pflag.Value types (opts.MemBytes "bytes", opts.NanoCPUs
 * "decimal", opts.UlimitOpt "ulimit", opts.MapOpts "map", durations, uint16 …), with the
 * type names and defaults docker's help shows.
 */
import type { FlagSpec } from '../framework/flags.js';
import { parseGoDurationNs, parseGoUint } from './go-parse.js';
import { memSwapBytes, parseCpus, parseUlimit, ramInBytes } from './values.js';

type Base = Pick<FlagSpec, 'name' | 'short' | 'usage' | 'hidden'>;

/** A custom value: `set` parses one occurrence into the accumulated value. */
export function customFlag<T>(base: Base, typeName: string, initial: () => T, set: (raw: string, current: T) => T, shownDefault?: string): FlagSpec {
  return { ...base, type: 'custom', typeName, initial, set: set as FlagSpec['set'], shownDefault };
}

/** opts.MemBytes. */
export const bytesFlag = (base: Base): FlagSpec => customFlag<number>(base, 'bytes', () => 0, ramInBytes);
/** opts.MemSwapBytes ("-1" is unlimited). */
export const swapBytesFlag = (base: Base): FlagSpec => customFlag<number>(base, 'bytes', () => 0, memSwapBytes);
/** opts.NanoCPUs. */
export const cpusFlag = (base: Base): FlagSpec => customFlag<number>(base, 'decimal', () => 0, parseCpus);
/** pflag's Uint16Var. */
export const uint16Flag = (base: Base): FlagSpec => customFlag<number>(base, 'uint16', () => 0, (raw) => parseGoUint(raw, 16));
/** pflag's Uint64Var (help says "uint"). */
export const uint64Flag = (base: Base): FlagSpec => customFlag<number>(base, 'uint', () => 0, (raw) => parseGoUint(raw, 64));
/** pflag's DurationVar, in nanoseconds. */
export const durationFlag = (base: Base): FlagSpec => customFlag<number>(base, 'duration', () => 0, parseGoDurationNs);

/** opts.UlimitOpt: the last value per name wins; listed sorted by name. */
export const ulimitFlag = (base: Base): FlagSpec => customFlag<Map<string, ReturnType<typeof parseUlimit>>>(
  base, 'ulimit', () => new Map(), (raw, cur) => {
    const u = parseUlimit(raw);
    return new Map(cur).set(u.Name, u);
  }, '[]',
);

/** opts.MapOpts: "k=v" pairs, the last per key winning, with an optional validator. */
export const mapFlag = (base: Base, validate?: (raw: string) => string): FlagSpec => customFlag<Record<string, string>>(
  base, 'map', () => ({}), (raw, cur) => {
    const v = validate ? validate(raw) : raw;
    const eq = v.indexOf('=');
    return { ...cur, [eq >= 0 ? v.slice(0, eq) : v]: eq >= 0 ? v.slice(eq + 1) : '' };
  }, 'map[]',
);

/** A list of parsed values (throttle devices, mounts, networks, GPU requests). */
export const parsedListFlag = <T>(base: Base, typeName: string, parse: (raw: string) => T, shownDefault?: string): FlagSpec => customFlag<T[]>(
  base, typeName, () => [], (raw, cur) => [...cur, parse(raw)], shownDefault,
);
