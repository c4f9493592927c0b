import { ComposeConfigError } from './errors.js';

/**
 * Splits a command line into words as Compose does for a string `command:` or `entrypoint:`
 * (mattn/go-shellwords without environment expansion): blanks separate words; single quotes
 * keep everything; in double quotes a backslash escapes `"`, `\`, `$` and a backquote; outside
 * quotes a backslash escapes any character.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let hasWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null; else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else word += c;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < line.length) { word += line[++i]; hasWord = true; }
      continue;
    }
    if (c === "'" || c === '"') { quote = c; hasWord = true; continue; }
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (hasWord) words.push(word);
      word = ''; hasWord = false;
      continue;
    }
    word += c; hasWord = true;
  }
  if (quote) throw new ComposeConfigError(`invalid command line string: ${line}`);
  if (hasWord) words.push(word);
  return words;
}
