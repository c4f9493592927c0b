/**
 * docker's formatter.Context.Write: a `--format` value is "table", "table TEMPLATE",
 * "json" or a Go template. Each row is rendered and followed by a newline; a table is
 * aligned by the tabwriter (min width 10, padding 3) under a header made by running the
 * same template on a map of column titles. Rows are Go structs to the template (STRUCT):
 * `{{.Nope}}` fails; `{{json .}}` prints every field, keys sorted, HTML-escaped, as
 * docker's reflection-based MarshalJSON does.
 */
import { asStruct, compile, ExecError, goJson, headerFuncs, type FuncMap, type Template } from '../template/index.js';
import { tabulate } from './tabwriter.js';

export const TABLE = 'table';
export const JSON_FORMAT = '{{json .}}';

/** A template error as docker reports it ("template parsing error: template: :1: …"). */
export class FormatError extends Error {}

export function isTable(format: string): boolean {
  return format.startsWith(TABLE);
}

/** formatter.Context.preFormat: strip "table", expand "json", unescape \t and \n. */
export function preFormat(format: string): string {
  let f = format;
  if (isTable(f)) f = f.slice(TABLE.length);
  else if (f === 'json') f = JSON_FORMAT;
  return f.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

export function parseFormat(format: string, funcs?: FuncMap): Template {
  try {
    return compile(format, { funcs });
  } catch (e) {
    throw new FormatError(`template parsing error: ${(e as Error).message}`);
  }
}

/** A row: docker's *xxxContext struct, with its methods as precomputed fields. */
export function makeRow<T extends object>(typeName: string, fields: T): T {
  return asStruct(fields, typeName, () => rowJson(fields as Record<string, unknown>));
}

/** formatter.MarshalJSON: json.Marshal of a map from method name to result. */
export function rowJson(fields: Record<string, unknown>): string {
  const keys = Object.keys(fields).filter((k) => typeof fields[k] !== 'function').sort();
  return `{${keys.map((k) => `${goJson(k, true)}:${goJson(fields[k], true)}`).join(',')}}`;
}

/** SubHeaderContext: column titles, plus Label(name) which titles `{{.Label "x"}}` columns. */
export function headerContext(titles: Record<string, string>): Record<string, unknown> {
  return {
    ...titles,
    Label: (name: string) => (name.split('.').pop() ?? name).replace(/[-_]/g, ' '),
  };
}

/**
 * A template of text and `{{.Field}}` actions only (the default tables of ps, images, ls…):
 * its text and field names alternately, else undefined. Text holding a `{` is left to the
 * engine (where an action starts is then its business).
 */
function fieldsOnly(template: string): string[] | undefined {
  const parts = template.split(/\{\{\.([A-Za-z_][A-Za-z0-9_]*)\}\}/);
  for (let i = 0; i < parts.length; i += 2) if (parts[i]!.includes('{')) return undefined;
  return parts;
}

/** `parts` filled from `data`'s own string fields, as the engine prints them; undefined if one is not. */
function fillFields(parts: string[], data: object): string | undefined {
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const v = Object.prototype.hasOwnProperty.call(data, parts[i]!) ? (data as Record<string, unknown>)[parts[i]!] : undefined;
    if (typeof v !== 'string') return undefined;
    out += v + parts[i + 1]!;
  }
  return out;
}

/**
 * renderRows without the template engine, for a template of `{{.Field}}` actions on fields
 * that are strings: what the engine prints, without its first use's cost (lexer, parser,
 * function tables: more than the rest of `berth ps`'s output, ADR 0014). Undefined otherwise.
 */
function renderFields(template: string, format: string, rows: object[], header: Record<string, string>): string | undefined {
  const parts = fieldsOnly(template);
  if (parts === undefined) return undefined;
  let body = '';
  for (const row of rows) {
    const line = fillFields(parts, row);
    if (line === undefined) return undefined;
    body += `${line}\n`;
  }
  if (!isTable(format)) return body;
  const head = fillFields(parts, headerContext(header));
  return head === undefined ? undefined : tabulate(`${head}\n${body}`);
}

/** Renders `rows` with `format`; `header` titles the columns of a table. */
export function renderRows(format: string, rows: object[], header: Record<string, string>, funcs?: FuncMap): string {
  const template = preFormat(format);
  const plain = renderFields(template, format, rows, header);
  if (plain !== undefined) return plain;
  const tmpl = parseFormat(template, funcs);
  let body = '';
  for (const row of rows) {
    try {
      body += `${tmpl.execute(row)}\n`;
    } catch (e) {
      if (e instanceof ExecError) throw new FormatError(`template parsing error: ${e.message}`);
      throw e;
    }
  }
  if (!isTable(format)) return body;
  return tabulate(`${renderHeader(tmpl, header)}\n${body}`);
}

/** docker ignores header errors and keeps what was written before them. */
export function renderHeader(tmpl: Template, header: Record<string, string>): string {
  try {
    return tmpl.execute(headerContext(header), { funcs: headerFuncs });
  } catch (e) {
    if (e instanceof ExecError) return e.partial;
    throw e;
  }
}
