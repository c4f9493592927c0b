import type { ErrorObject, ValidateFunction } from 'ajv';
import { InvalidArgumentError } from '../errors/index.js';
import { BODY_SCHEMAS, DEFINITIONS, type BodyName } from './body-schemas.generated.js';
import * as generated from './body-validators.generated.js';

export type { BodyName };

type Schema = Record<string, unknown>;

/** Go's names of the definitions' types (moby api/types), where they differ from the spec's. */
const GO_TYPE_NAMES: Record<string, string> = {
  ContainerConfig: 'container.Config', HostConfig: 'container.HostConfig', HealthConfig: 'container.HealthConfig',
  RestartPolicy: 'container.RestartPolicy', DeviceMapping: 'container.DeviceMapping', DeviceRequest: 'container.DeviceRequest',
  ThrottleDevice: 'blkiodev.ThrottleDevice', Mount: 'mount.Mount', PortBinding: 'nat.PortBinding', NetworkingConfig: 'network.NetworkingConfig',
  EndpointSettings: 'network.EndpointSettings', EndpointIPAMConfig: 'network.EndpointIPAMConfig', IPAM: 'network.IPAM', IPAMConfig: 'network.IPAMConfig',
};

/** A struct's name as Go's errors give it (reflect.Type.Name: no package). */
function goStructName(def: string): string {
  const full = GO_TYPE_NAMES[def] ?? def;
  return full.slice(full.indexOf('.') + 1);
}

/**
 * Request bodies checked against the Engine API's own definitions (issue 16): what dockerd's
 * Go decoder refuses, a value of the wrong JSON type, is a 400 in its words, before any
 * service is called. The schemas (api/body-schemas.generated.ts) and their ajv validators
 * (api/body-validators.generated.ts) are made from the spec at build time by
 * scripts/gen-body-schemas.mjs: compiling them here would add ~0.2 s to every start.
 */
export class BodyChecker {
  private readonly validators = new Map<BodyName, ValidateFunction>();

  constructor() {
    const all = generated as unknown as Record<BodyName, ValidateFunction | undefined>;
    for (const name of Object.keys(BODY_SCHEMAS) as BodyName[]) {
      const v = all[name];
      if (!v) throw new Error(`no generated validator for ${name}: run npm run gen:body-schemas`);
      this.validators.set(name, v);
    }
  }

  /** Throws dockerd's 400 (`json: cannot unmarshal … into Go struct field …`) for a wrong type. */
  check(name: BodyName, body: unknown): void {
    const validate = this.validators.get(name)!;
    if (body === undefined || validate(body)) return;
    throw new InvalidArgumentError(unmarshalMessage(name, body, validate.errors ?? []));
  }
}

/** encoding/json's name for a JSON value's kind; a number it cannot store in an integer carries its text. */
function jsonKind(v: unknown, wantsInteger: boolean): string {
  if (typeof v === 'number') return wantsInteger && !Number.isInteger(v) ? `number ${v}` : 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'object' ? 'object' : 'string';
}

function deref(s: Schema): { schema: Schema; name?: string } {
  const ref = s.$ref;
  if (typeof ref !== 'string') return { schema: s };
  const name = ref.slice(ref.lastIndexOf('/') + 1);
  return { schema: DEFINITIONS[name]!, name };
}

/** The schema of property `key` of an object schema, looking through allOf (Go's embedded structs). */
function propertyOf(s: Schema, key: string): Schema | undefined {
  const own = (s.properties as Record<string, Schema> | undefined)?.[key];
  if (own) return own;
  for (const part of (s.allOf as Schema[] | undefined) ?? []) {
    const found = propertyOf(deref(part).schema, key);
    if (found) return found;
  }
  return undefined;
}

function typesOf(s: Schema): string[] {
  const t = s.type;
  if (Array.isArray(t)) return t as string[];
  if (typeof t === 'string') return [t];
  return (s.allOf as Schema[] | undefined)?.length ? ['object'] : [];
}

/** A schema as the Go type dockerd declares (close enough to name it in a message). */
function goType(s: Schema, name?: string): string {
  if (typeof s['x-go-type'] === 'string') return s['x-go-type'];
  if (s.$ref) { const r = deref(s); return goType(r.schema, r.name); }
  const t = typesOf(s).find((x) => x !== 'null');
  switch (t) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return 'float64';
    case 'integer': return typeof s.format === 'string' && /^u?int\d+$/.test(s.format) ? s.format : 'int';
    case 'array': return `[]${s.items ? goType(s.items as Schema) : 'interface {}'}`;
    case 'object':
      if (name) return GO_TYPE_NAMES[name] ?? name;
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${goType(s.additionalProperties as Schema)}`;
      return s.properties ? 'map[string]interface {}' : 'struct {}';
    default: return 'interface {}';
  }
}

/**
 * Go's UnmarshalTypeError text for the first failure: the innermost struct's type name, then
 * the JSON field names from the top (array indexes and map keys are not in Go's path).
 */
function unmarshalMessage(name: BodyName, body: unknown, errors: ErrorObject[]): string {
  // An anyOf (strslice) fails as a whole: its own error, the last, names the field.
  const err = errors.find((e) => e.keyword === 'anyOf') ?? errors[0]!;
  const segments = err.instancePath.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  let struct = BODY_SCHEMAS[name].goType;
  let schema: Schema = BODY_SCHEMAS[name].schema;
  let schemaName: string | undefined;
  let value: unknown = body;
  const fields: string[] = [];
  for (const [depth, seg] of segments.entries()) {
    const r = deref(schema);
    const here = r.schema;
    // The body's own struct keeps its Go name (the spec's is another); nested ones take theirs.
    if (depth > 0 && r.name && typesOf(here).includes('object') && (here.properties || here.allOf)) struct = goStructName(r.name);
    const types = typesOf(here);
    let next: Schema | undefined;
    if (Array.isArray(value)) next = (here.items as Schema | undefined) ?? (here.anyOf as Schema[] | undefined)?.[0]?.items as Schema | undefined;
    else if (types.includes('object') && (here.properties || here.allOf) && propertyOf(here, seg)) { next = propertyOf(here, seg); fields.push(seg); }
    else next = here.additionalProperties as Schema | undefined;
    value = (value as Record<string, unknown>)[seg];
    schema = next ?? {};
    schemaName = undefined;
  }
  const resolved = deref(schema);
  schemaName = resolved.name;
  const wantsInteger = typesOf(resolved.schema).includes('integer');
  const kind = jsonKind(value, wantsInteger);
  // A strslice takes a list or a string: Go reports the string attempt.
  const want = schema['x-go-type'] === 'strslice.StrSlice' ? 'string' : goType(schema, schemaName);
  if (fields.length === 0) return `json: cannot unmarshal ${kind} into Go value of type ${segments.length === 0 ? struct : want}`;
  return `json: cannot unmarshal ${kind} into Go struct field ${struct}.${fields.join('.')} of type ${want}`;
}
