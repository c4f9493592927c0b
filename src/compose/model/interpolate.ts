import { ComposeConfigError } from './errors.js';

/** Where a variable's value comes from (`undefined`: unset). */
export type Lookup = (name: string) => string | undefined;

/** A template Compose cannot read (`${` unclosed or not a variable): reported with its key path. */
export class InvalidTemplateError extends Error {}

/** A `${VAR:?msg}` / `${VAR?msg}` whose variable has no value. compose-go's words. */
export class MissingRequiredError extends Error {
  constructor(readonly variable: string, readonly reason: string) {
    super(reason ? `required variable ${variable} is missing a value: ${reason}` : `required variable ${variable} is missing a value`);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Substitutes variables in one string as Compose does (compose-go template/): `$$` is a `$`,
 * `$VAR` and `${VAR}`; `${VAR:-d}` (unset or empty), `${VAR-d}` (unset); `${VAR:?e}`,
 * `${VAR?e}` fail; `${VAR:+r}`, `${VAR+r}` replace a set value. Defaults and replacements are
 * themselves templates, so they nest. An unset variable without a default becomes "" and is
 * reported to `onUnset` (Compose warns).
 */
export function substitute(template: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar < 0) { out += template.slice(i); break; }
    out += template.slice(i, dollar);
    const next = template[dollar + 1];
    if (next === '$') { out += '$'; i = dollar + 2; continue; }
    if (next === '{') {
      const end = closingBrace(template, dollar + 2);
      if (end < 0) throw new InvalidTemplateError(template);
      out += braced(template.slice(dollar + 2, end), template, lookup, onUnset);
      i = end + 1;
      continue;
    }
    const name = NAME.exec(template.slice(dollar + 1))?.[0];
    // compose-go's pattern matches nothing there: the '$' stays as written ("$1", "a $ b").
    if (!name) { out += '$'; i = dollar + 1; continue; }
    out += valueOf(name, lookup, onUnset);
    i = dollar + 1 + name.length;
  }
  return out;
}

/** The index of the `}` closing a `${` whose body starts at `from`, counting nested `${…}`. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') { i++; continue; }
    if (s[i] === '$' && s[i + 1] === '{') { depth++; i++; continue; }
    if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function braced(body: string, template: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new InvalidTemplateError(template);
  const rest = body.slice(name.length);
  if (rest === '') return valueOf(name, lookup, onUnset);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (!op) throw new InvalidTemplateError(template);
  const arg = rest.slice(op.length);
  const value = lookup(name);
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== '';
  switch (op) {
    case ':-': return isNonEmpty ? value : substitute(arg, lookup, onUnset);
    case '-': return isSet ? value : substitute(arg, lookup, onUnset);
    case ':?': if (isNonEmpty) return value; throw new MissingRequiredError(name, substitute(arg, lookup, onUnset));
    case '?': if (isSet) return value; throw new MissingRequiredError(name, substitute(arg, lookup, onUnset));
    case ':+': return isNonEmpty ? substitute(arg, lookup, onUnset) : '';
    default: return isSet ? substitute(arg, lookup, onUnset) : '';
  }
}

function valueOf(name: string, lookup: Lookup, onUnset?: (name: string) => void): string {
  const value = lookup(name);
  if (value === undefined) { onUnset?.(name); return ''; }
  return value;
}

/**
 * Interpolates every string value of a parsed compose file (keys are left alone, as Compose
 * does), naming the key path in errors as compose-go does.
 */
export function interpolateTree(node: unknown, lookup: Lookup, onUnset?: (name: string) => void, path: string[] = []): unknown {
  if (typeof node === 'string') {
    try {
      return substitute(node, lookup, onUnset);
    } catch (err) {
      const where = path.join('.');
      if (err instanceof InvalidTemplateError) {
        throw new ComposeConfigError(`invalid interpolation format for ${where}.\nYou may need to escape any $ with another $.\n${node}`);
      }
      if (err instanceof MissingRequiredError) throw new ComposeConfigError(`error while interpolating ${where}: ${err.message}`);
      throw err;
    }
  }
  // compose-go names a list item `[]` in the path ("services.web.environment.[]").
  if (Array.isArray(node)) return node.map((v) => interpolateTree(v, lookup, onUnset, [...path, '[]']));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, lookup, onUnset, [...path, k]);
    return out;
  }
  return node;
}
