import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A JSON Schema draft-04 checker for the keywords the OCI runtime-spec schema uses (type, $ref
 * across its files, properties, patternProperties, additionalProperties, required, items,
 * minItems, enum, pattern, minimum, maximum, allOf, anyOf). For tests: it lets the generated
 * config.json be checked against the spec's own schema without a validator dependency.
 * bigints count as integers, so 2^64-1 rlimits compare exactly.
 */
type Schema = Record<string, unknown>;

export class SchemaSet {
  private readonly files = new Map<string, Schema>();

  constructor(private readonly dir: string) {}

  private file(name: string): Schema {
    let s = this.files.get(name);
    if (!s) {
      s = JSON.parse(readFileSync(join(this.dir, name), 'utf8')) as Schema;
      this.files.set(name, s);
    }
    return s;
  }

  /** Errors as "path: reason"; empty when `value` conforms to the schema in `file`. */
  validate(value: unknown, file: string): string[] {
    const errors: string[] = [];
    this.check(value, this.file(file), file, '$', errors);
    return errors;
  }

  private resolve(ref: string, base: string): { schema: Schema; base: string } {
    const [fileName, pointer = ''] = ref.split('#');
    const file = fileName || base;
    let node: unknown = this.file(file);
    for (const part of pointer.split('/').filter((p) => p !== '')) node = (node as Schema)[part];
    return { schema: node as Schema, base: file };
  }

  private check(value: unknown, schema: Schema, base: string, path: string, errors: string[]): void {
    if (typeof schema.$ref === 'string') {
      const r = this.resolve(schema.$ref, base);
      this.check(value, r.schema, r.base, path, errors);
      return;
    }
    if (typeof schema.type === 'string' && !hasType(value, schema.type)) {
      errors.push(`${path}: expected ${schema.type}`);
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value)) errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
    this.checkNumber(value, schema, path, errors);
    if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern).test(value)) {
      errors.push(`${path}: does not match ${schema.pattern}`);
    }
    if (Array.isArray(value)) this.checkArray(value, schema, base, path, errors);
    if (isObject(value)) this.checkObject(value, schema, base, path, errors);
    for (const sub of (schema.allOf as Schema[] | undefined) ?? []) this.check(value, sub, base, path, errors);
    const anyOf = schema.anyOf as Schema[] | undefined;
    if (anyOf && !anyOf.some((sub) => { const e: string[] = []; this.check(value, sub, base, path, e); return e.length === 0; })) {
      errors.push(`${path}: matches none of anyOf`);
    }
  }

  private checkNumber(value: unknown, schema: Schema, path: string, errors: string[]): void {
    if (typeof value !== 'number' && typeof value !== 'bigint') return;
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: above ${schema.maximum}`);
  }

  private checkArray(value: unknown[], schema: Schema, base: string, path: string, errors: string[]): void {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (isObject(schema.items)) value.forEach((v, i) => this.check(v, schema.items as Schema, base, `${path}[${i}]`, errors));
  }

  private checkObject(value: Record<string, unknown>, schema: Schema, base: string, path: string, errors: string[]): void {
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) errors.push(`${path}: missing ${key}`);
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((schema.patternProperties ?? {}) as Record<string, Schema>);
    for (const [key, v] of Object.entries(value)) {
      const at = `${path}.${key}`;
      const matched = patterns.filter(([re]) => new RegExp(re).test(key));
      if (props[key]) this.check(v, props[key]!, base, at, errors);
      for (const [, sub] of matched) this.check(v, sub, base, at, errors);
      if (!props[key] && matched.length === 0) {
        if (schema.additionalProperties === false) errors.push(`${at}: not allowed`);
        else if (isObject(schema.additionalProperties)) this.check(v, schema.additionalProperties, base, at, errors);
      }
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasType(v: unknown, type: string): boolean {
  switch (type) {
    case 'integer': return typeof v === 'bigint' || Number.isInteger(v);
    case 'number': return typeof v === 'number' || typeof v === 'bigint';
    case 'array': return Array.isArray(v);
    case 'object': return isObject(v);
    case 'null': return v === null;
    default: return typeof v === type;
  }
}
