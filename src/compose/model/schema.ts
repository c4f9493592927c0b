import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { composeSpecSchema } from './compose-spec.schema.generated.js';
import { ComposeConfigError } from './errors.js';

let validator: ValidateFunction | undefined;

/** Compiled on first use: a compose command pays for it, `berth ps` does not. */
function compiled(): ValidateFunction {
  // strict off: the schema uses annotations ajv does not know ("deprecated"); its $schema is
  // draft-07 spelled with https, which ajv does not recognise: the schema itself is trusted.
  validator ??= new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false }).compile(composeSpecSchema);
  return validator;
}

/**
 * Checks one parsed file against the Compose Specification's schema, as compose-go does for
 * each file before interpolation. The error names the key path and the schema's complaint:
 * `validating /p/compose.yaml: services.web additional properties 'foo' not allowed`.
 */
export function validateAgainstSchema(model: unknown, file: string): void {
  const validate = compiled();
  if (validate(model)) return;
  throw new ComposeConfigError(`validating ${file}: ${describe(mostSpecific(validate.errors ?? []))}`);
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

function describe(e: ErrorObject): string {
  const where = e.instancePath === ''
    ? '(root)'
    : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': return `${where} additional properties '${String(p.additionalProperty)}' not allowed`;
    case 'required': return `${where} missing property '${String(p.missingProperty)}'`;
    case 'type': return `${where} must be a ${humanType(p.type)}`;
    case 'enum': return `${where} must be one of the following: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default: return `${where} ${e.message ?? 'is invalid'}`;
  }
}

function humanType(t: unknown): string {
  const names = String(t).split(',').map((x) => (x === 'object' ? 'mapping' : x === 'array' ? 'list' : x));
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
