import { readFile } from 'node:fs/promises';
import { isErrno } from '../../errors/index.js';
import { ComposeConfigError } from './errors.js';
import { InvalidTemplateError, MissingRequiredError, substitute, type Lookup } from './interpolate.js';

/**
 * Parses a `.env`, `--env-file` or `env_file:` file as Compose does (compose-go dotenv/parser.go):
 * `KEY=value` or `KEY: value`, an optional `export `, `#` comment lines; an unquoted value ends
 * at the line's end or at ` #`; quoted values may span lines, `\` escapes the quote;
 * double-quoted ones also read `\n`, `\t`, `\\`, `\$`... Unquoted and double-quoted values
 * expand `${VAR}` from `lookup`, then from the lines above. A line holding only a name takes
 * its value from `lookup`, and is skipped when that has none.
 */
export function parseDotenv(text: string, lookup: Lookup, file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let line = 1;
  const fail = (msg: string): never => { throw new ComposeConfigError(`failed to read ${file}: line ${line}: ${msg}`); };
  const expand = (s: string): string => {
    try {
      return substitute(s, (n) => lookup(n) ?? vars[n]);
    } catch (err) {
      if (err instanceof MissingRequiredError) fail(err.message);
      if (err instanceof InvalidTemplateError) fail(`Invalid template: ${JSON.stringify(s)}`);
      throw err;
    }
  };
  const src = text.replace(/\r\n/g, '\n');
  let i = 0;
  for (;;) {
    // The next statement: blanks and comment lines skipped.
    while (i < src.length && /\s/.test(src[i]!)) { if (src[i] === '\n') line++; i++; }
    if (i >= src.length) break;
    if (src[i] === '#') { const nl = src.indexOf('\n', i); if (nl < 0) break; i = nl; continue; }
    const exported = /^export\s+/.exec(src.slice(i, i + 20));
    if (exported) i += exported[0].length;
    // The key: letters, digits, _ . - [ ], up to '=', ':' or the line's end (a bare name).
    let j = i;
    let end: string | undefined;
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (c === '=' || c === ':' || c === '\n') { end = c; break; }
      if (c === ' ' || c === '\t' || /[\p{L}\p{N}_.\-[\]]/u.test(c)) continue;
      fail(`unexpected character ${JSON.stringify(c)} in variable name ${JSON.stringify(src.slice(i).split('\n')[0])}`);
    }
    const key = src.slice(i, j).trim();
    if (key.includes(' ')) fail('key cannot contain a space');
    if (end === undefined || end === '\n') {
      const v = lookup(key);
      if (v !== undefined) vars[key] = v;
      if (end === '\n') line++;
      i = j + 1;
      continue;
    }
    i = j + 1;
    while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
    const quote = src[i];
    if (quote !== '"' && quote !== "'") {
      const nl = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
      let value = src.slice(i, nl);
      const comment = value.indexOf(' #');
      if (comment >= 0) value = value.slice(0, comment);
      vars[key] = expand(value.trimEnd());
      line++;
      i = nl + 1;
      continue;
    }
    let value = '';
    let k = i + 1;
    let isEscaped = false;
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (c === '\n') line++;
      if (c !== quote) {
        if (!isEscaped && c === '\\') { isEscaped = true; continue; }
        if (isEscaped) { isEscaped = false; value += '\\'; }
        value += c;
        continue;
      }
      if (isEscaped) { isEscaped = false; value += c; continue; }
      break;
    }
    if (k >= src.length) fail(`unterminated quoted value ${src.slice(i).split('\n')[0]}`);
    vars[key] = quote === '"' ? expand(unescape(value)) : value;
    i = k + 1;
  }
  return vars;
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', c: '\\c', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"', '\\': '\\' };

/** The escapes of a double-quoted value; `\$` stays a literal dollar through expansion. */
function unescape(s: string): string {
  return s.replace(/\\([abcfnrtv$"\\]|0[0-7]{0,3})/g, (m, e: string) => {
    if (e === '$') return '$$';
    if (e.startsWith('0')) return String.fromCharCode(parseInt(e, 8));
    return ESCAPES[e] ?? m;
  });
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
