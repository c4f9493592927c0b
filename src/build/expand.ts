import { InvalidArgumentError } from '../errors/index.js';

/**
 * Docker's word expansion (buildkit `frontend/dockerfile/shell/lex.go`), applied to the
 * instructions Docker expands (FROM, ENV, ARG, LABEL, COPY, ADD, WORKDIR, EXPOSE, VOLUME,
 * USER, STOPSIGNAL), never to RUN/CMD/ENTRYPOINT, whose shell does it. Quotes are removed;
 * single quotes keep `$` literal; the escape character keeps the next character literal.
 * `$V`, `${V}`, `${V:-word}`, `${V-word}`, `${V:+word}`, `${V+word}`; unset is empty.
 */
export function expandWord(word: string, env: ReadonlyMap<string, string>, escape = '\\'): string {
  let out = '';
  let i = 0;
  const n = word.length;
  const variable = (): string => {
    // at word[i] === '$'
    i++;
    if (i >= n) return '$';
    if (word[i] === '{') {
      i++;
      const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(word.slice(i));
      if (!m) throw new InvalidArgumentError(`failed to process "${word}": missing ':' in substitution`);
      const name = m[0];
      i += name.length;
      if (word[i] === '}') { i++; return env.get(name) ?? ''; }
      let op = word[i] === ':' ? ':' : '';
      if (op) i++;
      const kind = word[i];
      if (kind !== '-' && kind !== '+') throw new InvalidArgumentError(`failed to process "${word}": unsupported modifier (${op}${kind ?? ''}) in substitution`);
      op += kind; i++;
      // The alternative word runs to the matching brace and is expanded itself.
      let depth = 1; let inner = '';
      while (i < n) {
        const c = word[i]!;
        if (c === escape && i + 1 < n) { inner += c + word[i + 1]!; i += 2; continue; }
        if (c === '{') depth++;
        if (c === '}' && --depth === 0) break;
        inner += c; i++;
      }
      if (i >= n) throw new InvalidArgumentError(`failed to process "${word}": syntax error: missing '}'`);
      i++;
      const value = env.get(name);
      const isSet = value !== undefined;
      const useAlt = op === ':-' ? !value : op === '-' ? !isSet : op === ':+' ? !!value : isSet;
      if (op.endsWith('-')) return useAlt ? expandWord(inner, env, escape) : value!;
      return useAlt ? expandWord(inner, env, escape) : '';
    }
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(word.slice(i));
    if (!m) return '$';
    i += m[0].length;
    return env.get(m[0]) ?? '';
  };
  while (i < n) {
    const c = word[i]!;
    if (c === '\'') {
      const end = word.indexOf('\'', i + 1);
      if (end < 0) throw new InvalidArgumentError(`failed to process "${word}": unexpected end of statement while looking for matching single-quote`);
      out += word.slice(i + 1, end); i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const d = word[i]!;
        if (d === '"') { i++; closed = true; break; }
        if (d === escape && i + 1 < n && (word[i + 1] === '"' || word[i + 1] === '$' || word[i + 1] === escape)) { out += word[i + 1]!; i += 2; continue; }
        if (d === '$') { out += variable(); continue; }
        out += d; i++;
      }
      if (!closed) throw new InvalidArgumentError(`failed to process "${word}": unexpected end of statement while looking for matching double-quote`);
    } else if (c === escape) {
      if (i + 1 < n) out += word[i + 1]!;
      i += 2;
    } else if (c === '$') {
      out += variable();
    } else {
      out += c; i++;
    }
  }
  return out;
}
