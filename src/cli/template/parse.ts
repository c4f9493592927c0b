/**
 * Parser for Go's text/template, following text/template/parse: actions, pipelines,
 * if/else if/with/else with/range (with break/continue), variables. {{define}},
 * {{template}} and {{block}} are refused: docker's --format never needs them.
 * Each node keeps its source text, which stands in for Go's Node.String() in errors.
 */
import { lex, TemplateSyntaxError, unquote, type Token } from './lex.js';

interface Base { pos: number; src: string }
export type ArgNode =
  | (Base & { kind: 'field'; idents: string[] })
  | (Base & { kind: 'variable'; name: string; idents: string[] })
  | (Base & { kind: 'dot' })
  | (Base & { kind: 'nil' })
  | (Base & { kind: 'bool'; value: boolean })
  | (Base & { kind: 'number'; value: number })
  | (Base & { kind: 'string'; value: string })
  | (Base & { kind: 'identifier'; name: string })
  | (Base & { kind: 'chain'; node: ArgNode; idents: string[] })
  | PipeNode;

export interface CommandNode extends Base { args: ArgNode[] }
export interface PipeNode extends Base { kind: 'pipe'; decl: string[]; isAssign: boolean; cmds: CommandNode[] }

export interface ControlNode extends Base { kind: 'if' | 'with' | 'range'; pipe: PipeNode; list: Node[]; elseList?: Node[] }
export type Node =
  | (Base & { kind: 'text'; text: string })
  | (Base & { kind: 'action'; pipe: PipeNode })
  | ControlNode
  | (Base & { kind: 'break' | 'continue' });

type Terminator = 'end' | 'else' | 'eof';

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(private readonly src: string, private readonly tokens: Token[], private readonly hasFunc: (name: string) => boolean) {}

  parse(): Node[] {
    const { list, end } = this.itemList();
    if (end.kind !== 'eof') this.fail(end.token, `unexpected {{${end.kind}}}`);
    return list;
  }

  private fail(tok: Token, msg: string): never {
    throw new TemplateSyntaxError(tok.line, msg);
  }

  private next(): Token { return this.tokens[this.i++] ?? this.tokens[this.tokens.length - 1]!; }
  private peek(): Token { return this.tokens[this.i] ?? this.tokens[this.tokens.length - 1]!; }
  private backup(n = 1): void { this.i -= n; }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private text(from: number, to: number): string { return this.src.slice(from, to).trim(); }

  /** Nodes up to {{end}}, {{else}} or EOF; says which ended the list. */
  private itemList(): { list: Node[]; end: { kind: Terminator; token: Token } } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === 'eof') return { list, end: { kind: 'eof', token: t } };
      if (t.type === 'text') {
        list.push({ kind: 'text', text: t.value, pos: t.pos, src: t.value });
        continue;
      }
      const kw = this.peekNonSpace();
      if (kw.type === 'keyword' && (kw.value === 'end' || kw.value === 'else')) {
        this.nextNonSpace();
        if (kw.value === 'end') {
          const close = this.nextNonSpace();
          if (close.type !== 'rightDelim') this.fail(close, `unexpected ${describe(close)} in end`);
        }
        return { list, end: { kind: kw.value, token: kw } };
      }
      list.push(this.action());
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    if (t.type === 'keyword') {
      switch (t.value) {
        case 'if': case 'with': case 'range': return this.control(t.value, t);
        case 'break': case 'continue': return this.loopControl(t.value, t);
        default: this.fail(t, `{{${t.value}}} is not supported`);
      }
    }
    this.backup();
    const pipe = this.pipeline('command', 'rightDelim');
    return { kind: 'action', pipe, pos: pipe.pos, src: pipe.src };
  }

  private loopControl(kind: 'break' | 'continue', t: Token): Node {
    const close = this.nextNonSpace();
    if (close.type !== 'rightDelim') this.fail(close, `unexpected ${describe(close)} in {{${kind}}}`);
    if (this.rangeDepth === 0) this.fail(t, `{{${kind}}} outside {{range}}`);
    return { kind, pos: t.pos, src: kind };
  }

  private control(kind: 'if' | 'with' | 'range', t: Token): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'rightDelim');
    if (kind === 'range') this.rangeDepth++;
    const { list, end } = this.itemList();
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (end.kind === 'eof') this.fail(end.token, 'unexpected EOF');
    if (end.kind === 'else') elseList = this.elseBranch(kind);
    this.vars.length = mark;
    return { kind, pipe, list, elseList, pos: t.pos, src: `${kind} ${pipe.src}` };
  }

  /** After {{else}}: `else if`/`else with` chain into a nested node that consumes the {{end}}. */
  private elseBranch(kind: 'if' | 'with' | 'range'): Node[] {
    const p = this.peekNonSpace();
    if ((kind === 'if' || kind === 'with') && p.type === 'keyword' && p.value === kind) {
      this.nextNonSpace();
      return [this.control(kind, p)];
    }
    const close = this.nextNonSpace();
    if (close.type !== 'rightDelim') this.fail(close, `unexpected ${describe(close)} in else`);
    const { list, end } = this.itemList();
    if (end.kind !== 'end') this.fail(end.token, end.kind === 'eof' ? 'unexpected EOF' : `expected end; found {{else}}`);
    return list;
  }

  private pipeline(context: string, end: 'rightDelim' | 'rightParen'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { kind: 'pipe', decl: [], isAssign: false, cmds: [], pos: start.pos, src: '' };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) {
        if (pipe.cmds.length === 0) this.fail(t, `missing value for ${context}`);
        pipe.cmds.slice(1).forEach((c, i) => {
          const k = c.args[0]!.kind;
          if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') this.fail(t, `non executable command in pipeline stage ${i + 2}`);
        });
        pipe.src = this.text(start.pos, t.pos);
        return pipe;
      }
      if (isOperandStart(t)) {
        this.backup();
        pipe.cmds.push(this.command());
        continue;
      }
      this.fail(t, `unexpected ${describe(t)} in ${context}`);
    }
  }

  private declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') return;
      const save = this.i;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.type === 'declare' || after.type === 'assign') {
        this.nextNonSpace();
        pipe.isAssign = after.type === 'assign';
        pipe.decl.push(v.value);
        if (!pipe.isAssign) this.vars.push(v.value);
        else if (!this.vars.includes(v.value)) this.fail(v, `undefined variable "${v.value}"`);
        return;
      }
      if (after.type === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.value);
        this.vars.push(v.value);
        if (context !== 'range' || pipe.decl.length >= 2) this.fail(after, `too many declarations in ${context}`);
        if (this.peekNonSpace().type !== 'variable') this.fail(after, 'range can only initialize variables');
        continue;
      }
      this.i = save;
      return;
    }
  }

  private command(): CommandNode {
    const first = this.peekNonSpace();
    const cmd: CommandNode = { args: [], pos: first.pos, src: '' };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'rightDelim' || t.type === 'rightParen') this.backup();
      else if (t.type !== 'pipe') this.fail(t, `unexpected ${describe(t)} in operand`);
      break;
    }
    if (cmd.args.length === 0) this.fail(first, 'empty command');
    const last = cmd.args[cmd.args.length - 1]!;
    cmd.src = this.text(cmd.pos, last.pos + last.src.length);
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const idents: string[] = [];
    while (this.peek().type === 'field') idents.push(this.next().value.slice(1));
    const src = node.src + idents.map((f) => `.${f}`).join('');
    if (node.kind === 'field') return { ...node, idents: [...node.idents, ...idents], src };
    if (node.kind === 'variable') return { ...node, idents: [...node.idents, ...idents], src };
    if (node.kind === 'bool' || node.kind === 'string' || node.kind === 'number' || node.kind === 'nil' || node.kind === 'dot') {
      this.fail(this.peek(), `unexpected . after term ${JSON.stringify(node.src)}`);
    }
    return { kind: 'chain', node, idents, pos: node.pos, src };
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    const base = { pos: t.pos, src: t.value };
    switch (t.type) {
      case 'identifier':
        if (!this.hasFunc(t.value)) this.fail(t, `function "${t.value}" not defined`);
        return { kind: 'identifier', name: t.value, ...base };
      case 'dot': return { kind: 'dot', ...base };
      case 'nil': return { kind: 'nil', ...base };
      case 'bool': return { kind: 'bool', value: t.value === 'true', ...base };
      case 'field': return { kind: 'field', idents: [t.value.slice(1)], ...base };
      case 'variable': {
        const [name, ...idents] = t.value.split('.');
        if (!this.vars.includes(name!)) this.fail(t, `undefined variable "${name}"`);
        return { kind: 'variable', name: name!, idents, ...base };
      }
      case 'number': return { kind: 'number', value: parseNumber(t, this), ...base };
      case 'char': return { kind: 'number', value: unquote(`"${t.value.slice(1, -1)}"`).codePointAt(0) ?? 0, ...base };
      case 'string': case 'rawString': return { kind: 'string', value: unquote(t.value), ...base };
      case 'leftParen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rightParen');
        return { ...pipe, pos: t.pos, src: `(${pipe.src})` };
      }
      default:
        this.backup();
        return undefined;
    }
  }

  failAt(t: Token, msg: string): never { return this.fail(t, msg); }
}

function parseNumber(t: Token, p: Parser): number {
  const text = t.value.replace(/_/g, '');
  const n = /^[+-]?0[oO]/.test(text) ? parseInt(text.replace(/0[oO]/, ''), 8)
    : /^[+-]?0[bB]/.test(text) ? parseInt(text.replace(/0[bB]/, ''), 2)
      : /^[+-]?0[xX]/.test(text) && !/[pP.]/.test(text) ? parseInt(text, 16)
        : Number(text);
  if (Number.isNaN(n)) p.failAt(t, `illegal number syntax: ${JSON.stringify(t.value)}`);
  return n;
}

function isOperandStart(t: Token): boolean {
  return ['bool', 'char', 'dot', 'field', 'identifier', 'number', 'nil', 'rawString', 'string', 'variable', 'leftParen'].includes(t.type);
}

function describe(t: Token): string {
  switch (t.type) {
    case 'rightDelim': return '"}}"';
    case 'rightParen': return '")"';
    case 'eof': return 'EOF';
    default: return `<${t.value}>`;
  }
}

export function parseTemplate(src: string, hasFunc: (name: string) => boolean): Node[] {
  return new Parser(src, lex(src), hasFunc).parse();
}
