import { InvalidArgumentError } from '../errors/index.js';

/**
 * The Dockerfile parser, following moby/buildkit's `frontend/dockerfile/parser` and
 * `instructions`: parser directives at the top (`escape`, `syntax` accepted and ignored),
 * comment lines (also inside continuations), line continuations with the escape character,
 * then one instruction per logical line with its flags (`--from=`) and its arguments in
 * exec (JSON) or shell form. Variables are not substituted here: that needs the build's
 * environment at that step (see `expand.ts`).
 */
export interface Instruction {
  /** Lower case, as Docker's AST (`run`, `copy`). */
  cmd: string;
  /** The logical line as written after the continuations are joined (`RUN echo hi`). */
  original: string;
  /** 1-based line where the instruction starts. */
  line: number;
  flags: Record<string, string>;
  /** Exec form: the JSON array; shell form: one string (RUN/CMD/ENTRYPOINT) or the words. */
  args: string[];
  isJson: boolean;
  /** `<<WORD` documents of RUN/COPY/ADD, in the order of their markers. */
  heredocs?: Heredoc[];
}

export interface Heredoc {
  name: string;
  content: string;
  /** `<<"WORD"` or `<<'WORD'`: the content is taken as it is. */
  isQuoted: boolean;
}

const HEREDOC = /(?<!<)<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

export interface Dockerfile {
  escape: string;
  instructions: Instruction[];
}

const KNOWN = new Set(['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label', 'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir']);

const FLAGS: Record<string, readonly string[]> = {
  from: ['platform'],
  copy: ['from', 'chown', 'chmod', 'link'],
  add: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir'],
  healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

export class DockerfileParseError extends InvalidArgumentError {
  constructor(readonly line: number, detail: string) {
    super(`dockerfile parse error on line ${line}: ${detail}`);
  }
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  // Parser directives: `# key=value` lines before anything else; any other line ends them.
  const seen = new Set<string>();
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/.exec(lines[i]!);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (seen.has(key)) throw new DockerfileParseError(i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '\\' && m[2] !== '`') throw new DockerfileParseError(i + 1, `invalid escape token '${m[2]}' does not match \` or \\`);
      escape = m[2]!;
    }
  }
  const continuation = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  for (; i < lines.length; i++) {
    const first = lines[i]!.replace(/^[ \t]+/, '');
    if (first === '' || first.startsWith('#')) continue;
    const start = i + 1;
    let logical = first;
    while (continuation.test(logical)) {
      logical = logical.replace(continuation, '');
      // Comment lines and blank lines inside a continuation are dropped, as Docker does.
      let next: string | undefined;
      while (++i < lines.length) {
        const l = lines[i]!.replace(/^[ \t]+/, '');
        if (l === '' || l.startsWith('#')) continue;
        next = lines[i]!;
        break;
      }
      if (next === undefined) break;
      logical += next;
    }
    logical = logical.trim();
    if (logical === '') continue;
    const ins = parseInstruction(logical, start, escape);
    // Heredocs (BuildKit's, a step beyond the legacy builder): RUN/COPY/ADD `<<[-]WORD` take
    // the following lines up to WORD as a document, one per marker, in order.
    if (ins.cmd === 'run' || ins.cmd === 'copy' || ins.cmd === 'add') {
      const docs: Heredoc[] = [];
      for (const m of logical.matchAll(HEREDOC)) {
        const name = m[3]!;
        const body: string[] = [];
        for (;;) {
          if (++i >= lines.length) throw new DockerfileParseError(start, `unterminated heredoc ${name}`);
          const l = m[1] ? lines[i]!.replace(/^\t+/, '') : lines[i]!;
          if (l === name) break;
          body.push(l);
        }
        docs.push({ name, content: body.map((l) => `${l}\n`).join(''), isQuoted: m[2] !== '' });
      }
      if (docs.length > 0) ins.heredocs = docs;
    }
    instructions.push(ins);
  }
  if (instructions.length === 0) throw new InvalidArgumentError('the Dockerfile (Dockerfile) cannot be empty');
  return { escape, instructions };
}

function parseInstruction(logical: string, line: number, escape: string): Instruction {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(logical)!;
  const cmd = m[1]!.toLowerCase();
  if (!KNOWN.has(cmd)) throw new DockerfileParseError(line, `unknown instruction: ${m[1]!.toUpperCase()}`);
  const upper = cmd.toUpperCase();
  let rest = m[2]!;
  const flags: Record<string, string> = {};
  // Flags come first: `--name=value` (or `--name` for booleans), as BFlags parses them.
  if (cmd !== 'run' && cmd !== 'cmd' && cmd !== 'entrypoint' && cmd !== 'onbuild') {
    for (;;) {
      const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      if (!(FLAGS[cmd] ?? []).includes(f[1]!)) throw new DockerfileParseError(line, `Unknown flag: ${f[1]}`);
      flags[f[1]!] = f[2] ?? 'true';
      rest = rest.slice(f[0].length);
    }
  }
  const ins = (args: string[], isJson = false): Instruction => ({ cmd, original: logical, line, flags, args, isJson });
  switch (cmd) {
    case 'run': case 'cmd': case 'entrypoint': case 'shell': {
      const json = maybeJson(rest);
      if (json) return ins(json, true);
      if (cmd === 'shell') throw new DockerfileParseError(line, 'SHELL requires the arguments to be in JSON form');
      if (rest === '' && cmd === 'run') throw new DockerfileParseError(line, 'RUN requires at least one argument');
      return ins(rest === '' ? [] : [rest]);
    }
    case 'copy': case 'add': case 'volume': {
      const json = maybeJson(rest);
      const args = json ?? splitWords(rest, escape);
      if (cmd === 'volume') {
        if (args.length === 0) throw new DockerfileParseError(line, 'VOLUME requires at least one argument');
      } else if (args.length < 2) {
        throw new DockerfileParseError(line, args.length === 1
          ? `${upper} requires at least two arguments, but only one was provided. Destination could not be determined.`
          : `${upper} requires at least two arguments`);
      }
      return ins(args, json !== undefined);
    }
    case 'env': case 'label': return ins(nameValues(rest, cmd, line, escape));
    case 'arg': {
      const words = splitWords(rest, escape);
      if (words.length === 0) throw new DockerfileParseError(line, 'ARG requires at least one argument');
      return ins(words);
    }
    case 'from': {
      const words = splitWords(rest, escape);
      if (!(words.length === 1 || (words.length === 3 && words[1]!.toLowerCase() === 'as'))) {
        throw new DockerfileParseError(line, 'FROM requires either one or three arguments');
      }
      return ins(words.length === 3 ? [words[0]!, words[2]!] : words);
    }
    case 'expose': {
      const words = splitWords(rest, escape);
      if (words.length === 0) throw new DockerfileParseError(line, 'EXPOSE requires at least one argument');
      return ins(words);
    }
    case 'workdir': case 'user': case 'stopsignal': case 'maintainer': {
      if (rest.trim() === '') throw new DockerfileParseError(line, `${upper} requires exactly one argument`);
      if (cmd === 'stopsignal' && splitWords(rest, escape).length !== 1) throw new DockerfileParseError(line, 'STOPSIGNAL requires exactly one argument');
      return ins([rest.trim()]);
    }
    case 'healthcheck': {
      const w = /^(\S+)\s*([\s\S]*)$/.exec(rest);
      if (!w) throw new DockerfileParseError(line, 'HEALTHCHECK requires at least one argument');
      const kind = w[1]!.toUpperCase();
      if (kind === 'NONE') {
        if (w[2] !== '') throw new DockerfileParseError(line, 'HEALTHCHECK NONE takes no arguments');
        return ins(['NONE']);
      }
      if (kind !== 'CMD') throw new DockerfileParseError(line, `Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
      const json = maybeJson(w[2]!);
      if (json) return ins(['CMD', ...json], true);
      if (w[2] === '') throw new DockerfileParseError(line, 'Missing command after HEALTHCHECK CMD');
      return ins(['CMD-SHELL', w[2]!]);
    }
    default: { // onbuild
      const inner = rest.trim();
      const t = /^(\S+)/.exec(inner)?.[1]?.toUpperCase();
      if (!t) throw new DockerfileParseError(line, 'ONBUILD requires at least one argument');
      if (t === 'ONBUILD') throw new DockerfileParseError(line, 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (t === 'FROM' || t === 'MAINTAINER') throw new DockerfileParseError(line, `${t} isn't allowed as an ONBUILD trigger`);
      parseInstruction(inner, line, escape);
      return ins([inner]);
    }
  }
}

/** A JSON array of strings, or undefined for the shell form (Docker falls back silently). */
function maybeJson(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(rest);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch { /* not JSON: the shell form, as Docker's parseMaybeJSON decides */ }
  return undefined;
}

/**
 * Splits on blanks outside quotes, keeping quotes and escapes in the words (they are
 * removed by the expansion, which runs later), as buildkit's `parseWords`.
 */
export function splitWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < rest.length; i++) {
    const c = rest[i]!;
    if (!quote && /\s/.test(c)) {
      if (inWord) words.push(word);
      word = ''; inWord = false;
      continue;
    }
    inWord = true;
    if (c === escape && i + 1 < rest.length) { word += c + rest[++i]!; continue; }
    if (quote && c === quote) quote = '';
    else if (!quote && (c === '"' || c === '\'')) quote = c;
    word += c;
  }
  if (inWord) words.push(word);
  return words;
}

/** ENV/LABEL: `k=v k2="v 2"` pairs, or the legacy `ENV k v with blanks`. Returns k, v, k, v… */
function nameValues(rest: string, cmd: string, line: number, escape: string): string[] {
  const upper = cmd.toUpperCase();
  const words = splitWords(rest, escape);
  if (words.length === 0) throw new DockerfileParseError(line, `${upper} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim());
    if (!m) throw new DockerfileParseError(line, `${upper} must have two arguments`);
    return [m[1]!, m[2]!];
  }
  const out: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) throw new DockerfileParseError(line, `Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    if (eq === 0) throw new DockerfileParseError(line, `${upper} names can not be blank`);
    out.push(w.slice(0, eq), w.slice(eq + 1));
  }
  return out;
}
