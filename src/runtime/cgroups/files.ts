import { readFile } from 'node:fs/promises';
import { errnoOf } from '../../errors/index.js';

/**
 * Reading cgroup files: a container's cgroup can vanish between any two reads (the container
 * exits, runc deletes the directory), so absence is a normal answer here, never an error.
 */

/** Errnos that mean "this cgroup file or directory is not there (any more)". */
const ABSENT = new Set(['ENOENT', 'ENODEV', 'ENOTDIR']);

export function isAbsent(err: unknown): boolean {
  return ABSENT.has(errnoOf(err) ?? '');
}

/** The file's text, or undefined when it (or its cgroup) is gone. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw err;
  }
}

/**
 * The largest double below 2^64. Counters are JSON numbers on the wire and Go clients decode
 * them into uint64: a value that rounds up to 2^64 (u64::MAX) would fail the whole decode.
 */
const MAX_U64_DOUBLE = 18446744073709549568;

/**
 * A cgroup counter as a number. "max" (no limit) gives undefined; negative values (v1 can
 * report -1) give 0, as containerd's parseUint does; garbage gives undefined.
 */
export function parseCount(text: string | undefined): number | undefined {
  const s = text?.trim();
  if (!s || s === 'max') return undefined;
  if (/^-\d+$/.test(s)) return 0;
  if (!/^\d+$/.test(s)) return undefined;
  return Math.min(Number(s), MAX_U64_DOUBLE);
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat) as a map. */
export function parseKeyValues(text: string | undefined): Map<string, number> | undefined {
  if (text === undefined) return undefined;
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (!key || value === undefined || extra !== undefined) continue;
    const n = parseCount(value);
    if (n !== undefined) out.set(key, n);
  }
  return out;
}

export async function readCount(path: string): Promise<number | undefined> {
  return parseCount(await readOptional(path));
}

export async function readKeyValues(path: string): Promise<Map<string, number> | undefined> {
  return parseKeyValues(await readOptional(path));
}
