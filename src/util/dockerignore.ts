import path from 'node:path';

/**
 * `.dockerignore` as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments,
 * `!` exceptions, the last matching pattern wins, `**` any number of directories. The CLI
 * leaves excluded files out of the context it sends; the daemon applies it again for
 * contexts sent by others.
 */
export function ignoreMatcher(text: string): (rel: string) => boolean {
  const rules = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const p = path.posix.normalize((negate ? l.slice(1).trim() : l).replace(/^\/+/, ''));
    return { negate, re: patternRe(p) };
  });
  return (rel) => {
    let excluded = false;
    for (const r of rules) {
      // A pattern matching a parent directory excludes what is below it.
      const parts = rel.split('/');
      for (let i = 1; i <= parts.length; i++) {
        if (r.re.test(parts.slice(0, i).join('/'))) { excluded = !r.negate; break; }
      }
    }
    return excluded;
  };
}

function patternRe(p: string): RegExp {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      i++;
      if (p[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else re += /[.+^${}()|[\]]/.test(c) ? '\\' + c : c;
  }
  return new RegExp(`^${re}$`);
}
