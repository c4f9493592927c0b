import { readFile } from 'node:fs/promises';
import { isErrno } from '../../errors/index.js';
import { ComposeConfigError } from './errors.js';
import { InvalidTemplateError, MissingRequiredError, substitute, type Lookup } from './interpolate.js';

/**
 * Parses a `.env`, `--env-file` or `env_file:` file as Compose does (compose-go dotenv/):
 * `KEY=value` lines, an optional `export `, `#` comments (inline after a blank when unquoted);
 * single quotes keep the value as written, double quotes read `\n`, `\t`, `\\`, `\"` and may
 * span lines; unquoted and double-quoted values expand `${VAR}` from the variables above in the
 * same file, then `lookup`. A line holding only a name takes its value from `lookup`, and is
 * skipped when that has none.
 */
export function parseDotenv(text: string, lookup: Lookup, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  const expand = (s: string, line: number): string => {
    try {
      return substitute(s, (n) => vars[n] ?? lookup(n));
    } catch (err) {
      if (err instanceof InvalidTemplateError || err instanceof MissingRequiredError) {
        throw new ComposeConfigError(`failed to read ${file}: line ${line}: ${err instanceof MissingRequiredError ? err.message : `invalid template: ${s}`}`);
      }
      throw err;
    }
  };
  const src = text.replace(/\r\n?/g, '\n');
  let i = 0;
  let lineNo = 1;
  while (i < src.length) {
    const eol = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    const line = src.slice(i, eol).trim();
    const startLine = lineNo;
    if (line === '' || line.startsWith('#')) { i = eol + 1; lineNo++; continue; }
    const body = line.replace(/^export\s+/, '');
    const eq = body.search(/[=:]/);
    if (eq < 0) {
      const name = body.trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new ComposeConfigError(`failed to read ${file}: line ${startLine}: unexpected character in variable name "${name}"`);
      const v = lookup(name);
      if (v !== undefined) vars[name] = v;
      i = eol + 1; lineNo++;
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) throw new ComposeConfigError(`failed to read ${file}: line ${startLine}: unexpected character in variable name "${key}"`);
    // The value starts after '=' in the original text, so quoted values may run over lines.
    const lineStart = src.indexOf(body, i);
    let p = lineStart + eq + 1;
    while (src[p] === ' ' || src[p] === '\t') p++;
    const q = src[p];
    if (q === "'" || q === '"') {
      let value = '';
      let j = p + 1;
      for (; j < src.length && src[j] !== q; j++) {
        if (q === '"' && src[j] === '\\' && j + 1 < src.length) {
          const e = src[++j]!;
          value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '\\' || e === '"' || e === '$' ? (e === '$' ? '$$' : e) : `\\${e}`;
          continue;
        }
        if (src[j] === '\n') lineNo++;
        value += q === "'" && src[j] === '$' ? '$' : src[j];
      }
      if (j >= src.length) throw new ComposeConfigError(`failed to read ${file}: line ${startLine}: unterminated quoted value`);
      vars[key] = q === "'" ? value : expand(value, startLine);
      const after = src.indexOf('\n', j) < 0 ? src.length : src.indexOf('\n', j);
      i = after + 1; lineNo++;
      continue;
    }
    let raw = src.slice(p, eol);
    const comment = raw.search(/\s#/);
    if (comment >= 0) raw = raw.slice(0, comment);
    vars[key] = expand(raw.trim(), startLine);
    i = eol + 1; lineNo++;
  }
  return vars;
}

/** Reads and parses an env file; a missing file is Compose's error unless `required` is false. */
export async function readEnvFile(file: string, lookup: Lookup, isRequired = true): Promise<Record<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) {
      if (!isRequired) return undefined;
      throw new ComposeConfigError(`env file ${file} not found: stat ${file}: no such file or directory`, { cause: err });
    }
    throw err;
  }
  return parseDotenv(text, lookup, file);
}
