/**
 * Go text/template for `--format`, as docker's CLI runs it (docker/cli templates/).
 * `@ctrl/golang-template` was tried first and lacks what docker's own formats use:
 * pipelines (`{{.Name | upper}}`), variables (`{{range $k, $v := .Labels}}`), custom
 * functions (`{{json .}}`, `{{join .Env ","}}`), printing slices as `[a b]` and `println`.
 * So this is a compact evaluator of that subset; see template.test.ts for the cases.
 */
import { TemplateSyntaxError } from './lex.js';
import { parseTemplate, type Node } from './parse.js';
import { execute, type MissingKey } from './exec.js';
import { builtinFuncs, dockerFuncs, type FuncMap } from './funcs.js';

export { ExecError } from './exec.js';
export { asStruct, goJson, formatValue, jsonString, STRUCT, GO_JSON } from './value.js';
export { headerFuncs, dockerFuncs, builtinFuncs, sprintf, type FuncMap, type TemplateFunc } from './funcs.js';

/** A template that failed to parse; the message is Go's ("template: :1: unclosed action"). */
export class TemplateParseError extends Error {}

export interface CompileOptions {
  /** Go's template name; docker uses "" except for `version` ("version"). */
  name?: string;
  /** Functions beyond Go's builtins and docker's (json, split, join, …). */
  funcs?: FuncMap;
}

export class Template {
  constructor(private readonly name: string, private readonly src: string, private readonly nodes: Node[], private readonly funcs: FuncMap) {}

  /** Renders `data`; throws ExecError (with the partial output) as Go's Execute fails. */
  execute(data: unknown, opts: { missingKey?: MissingKey; funcs?: FuncMap } = {}): string {
    const funcs = opts.funcs ? { ...this.funcs, ...opts.funcs } : this.funcs;
    return execute({ name: this.name, src: this.src, funcs, missingKey: opts.missingKey ?? 'default' }, this.nodes, data);
  }
}

export function compile(src: string, opts: CompileOptions = {}): Template {
  const name = opts.name ?? '';
  const funcs = { ...builtinFuncs, ...dockerFuncs, ...opts.funcs };
  try {
    return new Template(name, src, parseTemplate(src, (f) => f in funcs), funcs);
  } catch (e) {
    if (e instanceof TemplateSyntaxError) throw new TemplateParseError(`template: ${name}:${e.line}: ${e.message}`);
    throw e;
  }
}

/** One-shot compile and execute. */
export function render(src: string, data: unknown, opts: CompileOptions & { missingKey?: MissingKey } = {}): string {
  return compile(src, opts).execute(data, { missingKey: opts.missingKey });
}
