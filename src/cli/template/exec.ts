/**
 * Executes a parsed template the way Go's text/template/exec.go does: pipelines pass
 * their value as the last argument of the next command, variables live on a stack
 * popped at the end of each control block, maps range in sorted key order, and errors
 * read "template: :1:2: executing "" at <.Foo>: ...". Output produced before an error
 * is kept (ExecError.partial): docker prints a table header even when it errors.
 */
import type { ArgNode, CommandNode, ControlNode, Node, PipeNode } from './parse.js';
import type { FuncMap, TemplateFunc } from './funcs.js';
import { formatValue, goTypeName, isPlainObject, isTrue, structName } from './value.js';

/**
 * What a missing map key does: 'default' gives "<no value>", 'error' fails (Go's
 * missingkey=error), 'struct' fails only where the object looks like one of docker's
 * structs (every key capitalised, as is the name asked for): docker's inspect fails on
 * `{{.Nope}}` but prints "<no value>" for `{{.Config.Labels.nope}}`.
 */
export type MissingKey = 'default' | 'error' | 'struct';

function looksLikeStruct(obj: Record<string, unknown>, name: string): boolean {
  const keys = Object.keys(obj);
  return /^[A-Z]/.test(name) && keys.length > 0 && keys.every((k) => /^[A-Z]/.test(k));
}

export class ExecError extends Error {
  constructor(message: string, readonly partial: string) {
    super(message);
  }
}

const MISSING = Symbol('missing');
type Final = unknown | typeof MISSING;

class BreakSignal {}
class ContinueSignal {}
class Failure {
  constructor(readonly message: string) {}
}

interface Where { pos: number; src: string }

export interface ExecContext {
  name: string;
  src: string;
  funcs: FuncMap;
  missingKey: MissingKey;
}

class State {
  readonly out: string[] = [];
  private vars: Array<{ name: string; value: unknown }>;
  private at: Where | undefined;

  constructor(private readonly t: ExecContext, data: unknown) {
    this.vars = [{ name: '$', value: data }];
  }

  fail(msg: string): never {
    if (!this.at) throw new Failure(`template: ${this.t.name}: ${msg}`);
    const before = this.t.src.slice(0, this.at.pos);
    const nl = before.lastIndexOf('\n');
    const col = nl < 0 ? this.at.pos : this.at.pos - nl - 1;
    const line = 1 + (before.match(/\n/g)?.length ?? 0);
    throw new Failure(`template: ${this.t.name}:${line}:${col}: executing ${JSON.stringify(this.t.name)} at <${this.at.src}>: ${msg}`);
  }

  private mark(): number { return this.vars.length; }
  private pop(mark: number): void { this.vars.length = mark; }

  private varValue(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i]!.name === name) return this.vars[i]!.value;
    return this.fail(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i]!.name === name) {
        this.vars[i]!.value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  walkList(dot: unknown, list: Node[]): void {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: unknown, node: Node): void {
    this.at = node;
    switch (node.kind) {
      case 'text': this.out.push(node.text); return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          this.at = node;
          if (typeof v === 'function') this.fail(`can't print ${node.src} of type func`);
          this.out.push(formatValue(v));
        }
        return;
      }
      case 'if': case 'with': return this.walkIfOrWith(dot, node);
      case 'range': return this.walkRange(dot, node);
      case 'break': throw new BreakSignal();
      case 'continue': throw new ContinueSignal();
    }
  }

  private walkIfOrWith(dot: unknown, node: ControlNode): void {
    const mark = this.mark();
    const v = this.evalPipeline(dot, node.pipe);
    if (isTrue(v)) this.walkList(node.kind === 'with' ? v : dot, node.list);
    else if (node.elseList) this.walkList(dot, node.elseList);
    this.pop(mark);
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    const mark = this.mark();
    const v = this.evalPipeline(dot, { ...node.pipe, decl: [] });
    const entries = this.rangeEntries(v);
    for (const [key, elem] of entries) {
      const iter = this.mark();
      const decl = node.pipe.decl;
      if (decl.length === 1) this.vars.push({ name: decl[0]!, value: elem });
      if (decl.length === 2) this.vars.push({ name: decl[0]!, value: key }, { name: decl[1]!, value: elem });
      try {
        this.walkList(elem, node.list);
      } catch (e) {
        if (e instanceof BreakSignal) { this.pop(iter); break; }
        if (!(e instanceof ContinueSignal)) throw e;
      }
      this.pop(iter);
    }
    if (entries.length === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.pop(mark);
  }

  private rangeEntries(v: unknown): Array<[unknown, unknown]> {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map((e, i) => [i, e]);
    if (typeof v === 'number' && Number.isInteger(v)) return Array.from({ length: Math.max(v, 0) }, (_x, i) => [i, i]);
    if (isPlainObject(v) && !structName(v)) return Object.keys(v).sort().map((k) => [k, v[k]]);
    return this.fail(`range can't iterate over ${formatValue(v)}`);
  }

  evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    this.at = pipe;
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value === MISSING ? undefined : value;
  }

  private notAFunction(args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.fail(`can't give argument to non-function ${args[0]?.src ?? ''}`);
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0]!;
    switch (first.kind) {
      case 'field': this.at = first; return this.evalFieldChain(dot, dot, first.idents, cmd.args, final);
      case 'chain': return this.evalChain(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first.name, first, cmd, cmd.args, final);
      case 'pipe': this.notAFunction(cmd.args, final); return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariable(dot, first, cmd.args, final);
    }
    this.at = first;
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case 'bool': case 'number': case 'string': return first.value;
      case 'dot': return dot;
      case 'nil': return this.fail('nil is not a command');
    }
  }

  private evalChain(dot: unknown, chain: Extract<ArgNode, { kind: 'chain' }>, args: ArgNode[], final: Final): unknown {
    this.at = chain;
    if (chain.node.kind === 'nil') this.fail(`indirection through explicit nil in ${chain.src}`);
    const receiver = this.evalArg(dot, chain.node);
    this.at = chain;
    return this.evalFieldChain(dot, receiver, chain.idents, args, final);
  }

  private evalVariable(dot: unknown, v: Extract<ArgNode, { kind: 'variable' }>, args: ArgNode[], final: Final): unknown {
    this.at = v;
    const value = this.varValue(v.name);
    if (v.idents.length === 0) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v.idents, args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, idents: string[], args: ArgNode[], final: Final): unknown {
    let r = receiver;
    for (let i = 0; i < idents.length - 1; i++) r = this.evalField(dot, idents[i]!, [], MISSING, r);
    return this.evalField(dot, idents[idents.length - 1]!, args, final, r);
  }

  private evalField(dot: unknown, name: string, args: ArgNode[], final: Final, receiver: unknown): unknown {
    // JSON null is read as docker's typed structs read their nil maps (Labels, Attributes):
    // a field of it has no value. (A nil pointer would be an error in Go; a nil map is not.)
    if (receiver === undefined || receiver === null) {
      if (this.t.missingKey === 'error') this.fail(`nil data; no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    const hasArgs = args.length > 1 || final !== MISSING;
    const typeName = structName(receiver);
    if (isPlainObject(receiver)) {
      const has = Object.prototype.hasOwnProperty.call(receiver, name);
      const v = has ? receiver[name] : undefined;
      if (typeof v === 'function') return this.callMethod(dot, name, v as (...a: unknown[]) => unknown, args, final);
      if (typeName !== undefined) {
        if (!has) this.fail(`can't evaluate field ${name} in type ${typeName}`);
        if (hasArgs) this.fail(`${name} has arguments but cannot be invoked as function`);
        return v;
      }
      if (hasArgs) this.fail(`${name} is not a method but has arguments`);
      if (!has && (this.t.missingKey === 'error' || (this.t.missingKey === 'struct' && looksLikeStruct(receiver, name)))) {
        this.fail(`map has no entry for key ${JSON.stringify(name)}`);
      }
      return v;
    }
    return this.fail(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private callMethod(dot: unknown, name: string, f: (...a: unknown[]) => unknown, args: ArgNode[], final: Final): unknown {
    const argv = args.slice(1).map((a) => this.evalArg(dot, a));
    if (final !== MISSING) argv.push(final);
    if (argv.length !== f.length) this.fail(`wrong number of args for ${name}: want ${f.length} got ${argv.length}`);
    return f(...argv);
  }

  private evalFunction(dot: unknown, name: string, at: Where, cmd: Where, args: ArgNode[], final: Final): unknown {
    this.at = at;
    const f = this.t.funcs[name];
    if (!f) return this.fail(`${JSON.stringify(name)} is not a defined function`);
    const rest = args.slice(1);
    const count = rest.length + (final !== MISSING ? 1 : 0);
    this.checkArity(name, f, count);
    if (name === 'and' || name === 'or') return this.evalShortCircuit(dot, name, rest, final);
    const argv = rest.map((a) => this.evalArg(dot, a));
    if (final !== MISSING) argv.push(final);
    try {
      return f.call(argv);
    } catch (e) {
      this.at = cmd;
      const msg = e instanceof Error ? e.message : String(e);
      return this.fail(/^(error calling|wrong type)/.test(msg) ? msg : `error calling ${name}: ${msg}`);
    }
  }

  private checkArity(name: string, f: TemplateFunc, count: number): void {
    if (typeof f.arity === 'number') {
      if (count !== f.arity) this.fail(`wrong number of args for ${name}: want ${f.arity} got ${count}`);
    } else if (count < f.arity[0]) {
      this.fail(`wrong number of args for ${name}: want at least ${f.arity[0]} got ${count}`);
    } else if (count > f.arity[1]) {
      this.fail(`wrong number of args for ${name}: want at most ${f.arity[1]} got ${count}`);
    }
  }

  private evalShortCircuit(dot: unknown, name: 'and' | 'or', args: ArgNode[], final: Final): unknown {
    let v: unknown;
    const values = [...args.map((a) => () => this.evalArg(dot, a)), ...(final !== MISSING ? [() => final] : [])];
    for (const get of values) {
      v = get();
      if (isTrue(v) === (name === 'or')) return v;
    }
    return v;
  }

  private evalArg(dot: unknown, n: ArgNode): unknown {
    this.at = n;
    switch (n.kind) {
      case 'dot': return dot;
      case 'nil': return null;
      case 'field': return this.evalFieldChain(dot, dot, n.idents, [n], MISSING);
      case 'variable': return this.evalVariable(dot, n, [], MISSING);
      case 'pipe': return this.evalPipeline(dot, n);
      case 'identifier': return this.evalFunction(dot, n.name, n, n, [n], MISSING);
      case 'chain': return this.evalChain(dot, n, [], MISSING);
      case 'bool': case 'number': case 'string': return n.value;
    }
  }
}

/** Runs the template on `data`; throws ExecError with the output produced so far. */
export function execute(t: ExecContext, nodes: Node[], data: unknown): string {
  const s = new State(t, data);
  try {
    s.walkList(data, nodes);
  } catch (e) {
    if (e instanceof Failure) throw new ExecError(e.message, s.out.join(''));
    throw e;
  }
  return s.out.join('');
}
