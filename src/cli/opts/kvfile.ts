/**
 * docker/cli pkg/kvfile: `--env-file` and `--label-file`. One KEY[=VALUE] per line, leading
 * whitespace dropped, `#` comments and blank lines skipped, a UTF-8 BOM removed; values are
 * kept as written (no quotes, no interpolation). A key without `=` takes its value from
 * `lookup` (the CLI's environment for env files) and is dropped when that has none.
 */
import { readFileSync } from 'node:fs';
import { pathError } from '../commands/common.js';

export type Lookup = (key: string) => string | undefined;

export function parseKeyValueText(bytes: Buffer, lookup?: Lookup): string[] {
  const lines: string[] = [];
  const raw = bytes.toString('latin1').split('\n');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  raw.forEach((latin1, i) => {
    let lineBytes = Buffer.from(latin1.endsWith('\r') ? latin1.slice(0, -1) : latin1, 'latin1');
    let text: string;
    try {
      text = decoder.decode(lineBytes);
    } catch {
      throw new Error(`invalid utf8 bytes at line ${i + 1}: [${[...lineBytes].join(' ')}]`);
    }
    if (i === 0 && text.startsWith('\ufeff')) {
      lineBytes = lineBytes.subarray(3);
      text = text.slice(1);
    }
    const line = text.replace(/^\s+/u, '');
    if (line.length === 0 || line[0] === '#') return;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line;
    if (key.length === 0) throw new Error(`no variable name on line '${line}'`);
    if (/[ \t]/.test(key)) throw new Error(`variable '${key}' contains whitespaces`);
    if (eq >= 0) {
      lines.push(line);
      return;
    }
    const value = lookup?.(line);
    if (value !== undefined) lines.push(`${key}=${value}`);
  });
  return lines;
}

/** kvfile.Parse: the file's pairs; read errors as Go's ("open x: no such file or directory"). */
export function parseKeyValueFile(file: string, lookup?: Lookup): string[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    // Go opens a directory fine and fails on the first read.
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new Error(`invalid env file (${file}): ${pathError('read', file, e).message}`);
    throw pathError('open', file, e);
  }
  try {
    return parseKeyValueText(bytes, lookup);
  } catch (e) {
    throw new Error(`invalid env file (${file}): ${(e as Error).message}`);
  }
}

/** opts.ReadKVStrings: the files' pairs, then the flags' (which thereby override them). */
export function readKeyValueStrings(files: string[], override: string[], lookup?: Lookup): string[] {
  return [...files.flatMap((f) => parseKeyValueFile(f, lookup)), ...override];
}

/** opts.ConvertKVStringsToMap: "k=v" → {k: v}, a missing "=" giving "". */
export function kvToMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    out[eq >= 0 ? v.slice(0, eq) : v] = eq >= 0 ? v.slice(eq + 1) : '';
  }
  return out;
}
