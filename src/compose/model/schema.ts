import type { ErrorObject } from 'ajv';
import { ComposeConfigError } from './errors.js';

interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Checks one parsed file against the Compose Specification's schema. The error names the key
 * path and the schema's complaint, as compose-go words it:
 * `validating /p/compose.yaml: services.web additional properties 'foo' not allowed`.
 * Each file is checked as written, before interpolation: the schema takes a string wherever
 * interpolation may make one (`scale: ${N}`). compose-go checks after interpolating and
 * merging, which changes only which of two faults in one project is reported first.
 */
export async function validateAgainstSchema(model: unknown, file: string): Promise<void> {
  // ajv's standalone code, generated from compose-spec.schema.json by scripts/gen-compose-schema.mjs:
  // 400 KB, imported on first use so that a CLI bundle holding compose does not evaluate it
  // for every command.
  const check = (await import('./compose-spec.validate.generated.js')).validate as Validator;
  if (check(model)) return;
  throw new ComposeConfigError(`validating ${file}: ${describe(mostSpecific(check.errors ?? []), check.errors ?? [])}`);
}

/** The deepest error wins (compose-go's getMostSpecificError); on a tie, a type error. */
function mostSpecific(errors: ErrorObject[]): ErrorObject {
  let best = errors[0]!;
  for (const e of errors) {
    const d = depth(e) - depth(best);
    if (d > 0 || (d === 0 && rank(e) > rank(best))) best = e;
  }
  return best;
}

function depth(e: ErrorObject): number {
  return e.instancePath === '' ? 0 : e.instancePath.split('/').length - 1 + (e.keyword === 'additionalProperties' ? 0.5 : 0);
}

/** Within one key: an unknown key or a missing one says most, then a wrong type, then the rest. */
function rank(e: ErrorObject): number {
  switch (e.keyword) {
    case 'additionalProperties': case 'required': return 3;
    case 'type': return 2;
    case 'oneOf': case 'anyOf': return 0;
    default: return 1;
  }
}

function describe(e: ErrorObject, all: ErrorObject[]): string {
  const where = e.instancePath === ''
    ? '(root)'
    : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': return `${where} additional properties '${String(p.additionalProperty)}' not allowed`;
    case 'required': return `${where} missing property '${String(p.missingProperty)}'`;
    case 'type': {
      // A value that is none of a oneOf's types ("80", 80 or a mapping): name them all.
      const types = [...new Set(all.filter((x) => x.keyword === 'type' && x.instancePath === e.instancePath)
        .flatMap((x) => String((x.params as Record<string, unknown>).type).split(',')))];
      return `${where} must be a ${humanType(types.join(','))}`;
    }
    case 'enum': return `${where} must be one of the following: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default: return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function humanType(t: unknown): string {
  const names = String(t).split(',').map((x) => (x === 'object' ? 'mapping' : x === 'array' ? 'list' : x));
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
