/**
 * Lexer for Go's text/template syntax (the subset docker's --format uses; see
 * golang.org/pkg/text/template). Tokens keep their byte offset so errors can say
 * "template: :1:2: ..." as Go does. Spaces inside actions are tokens because they
 * separate command arguments: `(.A).B` is a chain, `(.A) .B` two arguments.
 */

export type TokenType =
  | 'text' | 'leftDelim' | 'rightDelim' | 'space' | 'field' | 'variable' | 'identifier'
  | 'keyword' | 'string' | 'rawString' | 'number' | 'char' | 'bool' | 'nil' | 'dot'
  | 'pipe' | 'leftParen' | 'rightParen' | 'declare' | 'assign' | 'comma' | 'eof';

export interface Token {
  type: TokenType;
  value: string;
  pos: number;
  line: number;
}

export const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'define', 'template', 'block']);

/** A syntax error; `line` is where Go would report it. */
export class TemplateSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
// ASCII is answered without the Unicode property regular expression, whose first use
// compiles it (ADR 0014): a letter or digit below U+0080 is one of these.
const isAlnum = (c: string): boolean => c === '_' || (c.length === 1 && c < '\x80' ? /^[A-Za-z0-9]$/.test(c) : /[\p{L}\p{Nd}]/u.test(c));

class Lexer {
  readonly tokens: Token[] = [];
  private pos = 0;
  private parenDepth = 0;

  constructor(private readonly src: string) {}

  run(): Token[] {
    while (this.pos < this.src.length) {
      const open = this.src.indexOf('{{', this.pos);
      if (open < 0) {
        this.emitText(this.src.slice(this.pos));
        this.pos = this.src.length;
        break;
      }
      const trimLeft = this.src[open + 2] === '-' && isSpace(this.src[open + 3] ?? '');
      let text = this.src.slice(this.pos, open);
      if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
      this.emitText(text, this.pos);
      this.pos = open + 2 + (trimLeft ? 2 : 0);
      if (this.atComment()) this.lexComment(open);
      else this.lexAction(open);
    }
    this.push('eof', '', this.src.length);
    return this.tokens;
  }

  private lineAt(pos: number): number {
    let line = 1;
    for (let i = 0; i < pos && i < this.src.length; i++) if (this.src[i] === '\n') line++;
    return line;
  }

  private push(type: TokenType, value: string, pos: number): void {
    this.tokens.push({ type, value, pos, line: this.lineAt(pos) });
  }

  private emitText(text: string, pos = this.pos): void {
    if (text) this.push('text', text, pos);
  }

  private atComment(): boolean {
    return this.src.startsWith('/*', this.pos);
  }

  /** Where the action closes at `p`, and whether it trims the text after it. */
  private closeAt(p: number): { len: number; trimRight: boolean } | undefined {
    if (isSpace(this.src[p] ?? '') && this.src.startsWith('-}}', p + 1)) return { len: 4, trimRight: true };
    if (this.src.startsWith('}}', p)) return { len: 2, trimRight: false };
    return undefined;
  }

  private finishAction(p: number, close: { len: number; trimRight: boolean }): void {
    this.push('rightDelim', '}}', p);
    this.pos = p + close.len;
    if (close.trimRight) {
      while (this.pos < this.src.length && isSpace(this.src[this.pos]!)) this.pos++;
    }
  }

  private lexComment(open: number): void {
    const end = this.src.indexOf('*/', this.pos + 2);
    if (end < 0) throw new TemplateSyntaxError(this.lineAt(open), 'unclosed comment');
    const close = this.closeAt(end + 2);
    if (!close) throw new TemplateSyntaxError(this.lineAt(open), 'comment ends before closing delimiter');
    this.pos = end + 2 + close.len;
    if (close.trimRight) while (this.pos < this.src.length && isSpace(this.src[this.pos]!)) this.pos++;
  }

  private lexAction(open: number): void {
    this.push('leftDelim', '{{', open);
    this.parenDepth = 0;
    for (;;) {
      const p = this.pos;
      if (p >= this.src.length) throw new TemplateSyntaxError(this.lineAt(open), 'unclosed action');
      const close = this.closeAt(p);
      if (close && this.parenDepth === 0) return this.finishAction(p, close);
      if (close) throw new TemplateSyntaxError(this.lineAt(p), 'unclosed left paren');
      this.lexInsideAction(p);
    }
  }

  private lexInsideAction(p: number): void {
    const c = this.src[p]!;
    if (isSpace(c)) {
      let q = p;
      while (q < this.src.length && isSpace(this.src[q]!) && !this.closeAt(q)) q++;
      this.push('space', this.src.slice(p, q), p);
      this.pos = q === p ? p + 1 : q;
      return;
    }
    switch (c) {
      case '=': return this.single('assign', p);
      case ',': return this.single('comma', p);
      case '|': return this.single('pipe', p);
      case '(':
        this.parenDepth++;
        return this.single('leftParen', p);
      case ')':
        if (--this.parenDepth < 0) throw new TemplateSyntaxError(this.lineAt(p), `unexpected right paren`);
        return this.single('rightParen', p);
      case ':':
        if (this.src[p + 1] !== '=') throw new TemplateSyntaxError(this.lineAt(p), 'expected :=');
        this.push('declare', ':=', p);
        this.pos = p + 2;
        return;
      case '"': return this.quoted(p);
      case '`': return this.raw(p);
      case "'": return this.charConst(p);
      case '$': return this.word(p, 'variable');
      case '.':
        if (/[0-9]/.test(this.src[p + 1] ?? '')) return this.number(p);
        if (isAlnum(this.src[p + 1] ?? '')) return this.word(p, 'field');
        return this.single('dot', p);
    }
    if (c === '+' || c === '-' || /[0-9]/.test(c)) return this.number(p);
    if (isAlnum(c)) return this.identifier(p);
    throw new TemplateSyntaxError(this.lineAt(p), `unrecognized character in action: ${JSON.stringify(c)}`);
  }

  private single(type: TokenType, p: number): void {
    this.push(type, this.src[p]!, p);
    this.pos = p + 1;
  }

  /** `$name` or `.Name`: the sigil then alphanumerics. */
  private word(p: number, type: 'variable' | 'field'): void {
    let q = p + 1;
    while (q < this.src.length && isAlnum(this.src[q]!)) q++;
    this.push(type, this.src.slice(p, q), p);
    this.pos = q;
  }

  private identifier(p: number): void {
    let q = p;
    while (q < this.src.length && isAlnum(this.src[q]!)) q++;
    const w = this.src.slice(p, q);
    const type: TokenType = KEYWORDS.has(w) ? 'keyword' : w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'identifier';
    this.push(type, w, p);
    this.pos = q;
  }

  private number(p: number): void {
    const m = /^[+-]?(0[xX][0-9a-fA-F_]+(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|([0-9_]*\.?[0-9_]*)([eE][+-]?[0-9_]+)?)/.exec(this.src.slice(p));
    const text = m?.[0] ?? '';
    if (!text || !/[0-9]/.test(text) || isAlnum(this.src[p + text.length] ?? '')) {
      throw new TemplateSyntaxError(this.lineAt(p), `bad number syntax: ${JSON.stringify(this.src.slice(p, p + text.length + 1))}`);
    }
    this.push('number', text, p);
    this.pos = p + text.length;
  }

  private quoted(p: number): void {
    let q = p + 1;
    for (; q < this.src.length && this.src[q] !== '"'; q++) {
      if (this.src[q] === '\\') q++;
      if (this.src[q] === '\n' || q >= this.src.length) throw new TemplateSyntaxError(this.lineAt(p), 'unterminated quoted string');
    }
    if (q >= this.src.length) throw new TemplateSyntaxError(this.lineAt(p), 'unterminated quoted string');
    this.push('string', this.src.slice(p, q + 1), p);
    this.pos = q + 1;
  }

  private raw(p: number): void {
    const q = this.src.indexOf('`', p + 1);
    if (q < 0) throw new TemplateSyntaxError(this.lineAt(p), 'unterminated raw quoted string');
    this.push('rawString', this.src.slice(p, q + 1), p);
    this.pos = q + 1;
  }

  private charConst(p: number): void {
    let q = p + 1;
    for (; q < this.src.length && this.src[q] !== "'"; q++) {
      if (this.src[q] === '\\') q++;
      if (this.src[q] === '\n') throw new TemplateSyntaxError(this.lineAt(p), 'unterminated character constant');
    }
    if (q >= this.src.length) throw new TemplateSyntaxError(this.lineAt(p), 'unterminated character constant');
    this.push('char', this.src.slice(p, q + 1), p);
    this.pos = q + 1;
  }
}

export function lex(src: string): Token[] {
  return new Lexer(src).run();
}

/** Go's interpreted string literal ("a\tb", "\x41", "\u00e9") to its value. */
export function unquote(lit: string): string {
  if (lit.startsWith('`')) return lit.slice(1, -1);
  const body = lit.slice(1, -1);
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      default:
        if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
        return e;
    }
  });
}
