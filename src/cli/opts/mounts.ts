/**
 * `--mount` (docker/cli opts.MountOpt), `-v/--volume` (compose loader's ParseVolume, used by
 * container/opts.go only to tell binds from anonymous volumes), and Go's encoding/csv reader
 * that both `--mount` and `--network` split their fields with.
 */
import path from 'node:path';
import type { Mount } from '../../types/container.js';
import { parseGoBool } from '../../util/index.js';
import { parseGoUint } from './go-parse.js';
import { ramInBytes } from './values.js';

/** csv.Reader.Read of one record: comma-separated, double quotes with "" escapes. */
export function readCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new Error(`parse error on line 1, column ${line.length + 1}: extraneous or missing " in quoted-field`);
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const end = line.indexOf(',', i);
      field = end < 0 ? line.slice(i) : line.slice(i, end);
      const quoteAt = field.indexOf('"');
      if (quoteAt >= 0) throw new Error(`parse error on line 1, column ${i + quoteAt + 1}: bare " in non-quoted-field`);
      i = end < 0 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

function parseBoolOr(val: string, err: string): boolean {
  const b = parseGoBool(val);
  if (b === undefined) throw new Error(err);
  return b;
}

/** Go's filepath.Abs for a relative path starting with "." (what docker expands). */
function absIfDotRelative(p: string): string {
  return !path.isAbsolute(p) && p.startsWith('.') ? path.resolve(p) : p;
}

/** opts.MountOpt.Set: one `--mount` value. */
export function parseMount(value: string): Mount {
  const fields = readCsvRecord(value);
  const m: Mount = { Type: 'volume' };
  const volumeOptions = (): NonNullable<Mount['VolumeOptions']> => {
    m.VolumeOptions ??= { Labels: {} };
    m.VolumeOptions.DriverConfig ??= {};
    return m.VolumeOptions;
  };
  const bindOptions = (): NonNullable<Mount['BindOptions']> => (m.BindOptions ??= {});
  const tmpfsOptions = (): NonNullable<Mount['TmpfsOptions']> => (m.TmpfsOptions ??= {});
  const imageOptions = (): NonNullable<Mount['ImageOptions']> => (m.ImageOptions ??= {});
  const setOnMap = (target: Record<string, string>, v: string): void => {
    const eq = v.indexOf('=');
    const k = eq >= 0 ? v.slice(0, eq) : v;
    if (k !== '') target[k] = eq >= 0 ? v.slice(eq + 1) : '';
  };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : '';
    if (eq < 0) {
      switch (key) {
        case 'readonly': case 'ro': m.ReadOnly = true; continue;
        case 'volume-nocopy': volumeOptions().NoCopy = true; continue;
        case 'bind-nonrecursive': bindOptions().NonRecursive = true; continue;
        default: throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    const invalid = `invalid value for ${key}: ${val}`;
    switch (key) {
      case 'type': m.Type = val.toLowerCase() as Mount['Type']; break;
      case 'source': case 'src': m.Source = absIfDotRelative(val); break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro': m.ReadOnly = parseBoolOr(val, invalid); break;
      case 'consistency': m.Consistency = val.toLowerCase(); break;
      case 'bind-propagation': bindOptions().Propagation = val.toLowerCase() as NonNullable<Mount['BindOptions']>['Propagation']; break;
      case 'bind-nonrecursive': bindOptions().NonRecursive = parseBoolOr(val, invalid); break;
      case 'bind-recursive':
        switch (val) {
          case 'enabled': break;
          case 'disabled': bindOptions().NonRecursive = true; break;
          case 'writable': bindOptions().ReadOnlyNonRecursive = true; break;
          case 'readonly': bindOptions().ReadOnlyForceRecursive = true; break;
          default: throw new Error(`invalid value for ${key}: ${val} (must be "enabled", "disabled", "writable", or "readonly")`);
        }
        break;
      case 'volume-subpath': volumeOptions().Subpath = val; break;
      case 'volume-nocopy': volumeOptions().NoCopy = parseBoolOr(val, `invalid value for volume-nocopy: ${val}`); break;
      case 'volume-label': setOnMap(volumeOptions().Labels as Record<string, string>, val); break;
      case 'volume-driver': volumeOptions().DriverConfig!.Name = val; break;
      case 'volume-opt': setOnMap((volumeOptions().DriverConfig!.Options ??= {}), val); break;
      case 'image-subpath': imageOptions().Subpath = val; break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = ramInBytes(val);
        } catch {
          throw new Error(invalid);
        }
        break;
      case 'tmpfs-mode':
        try {
          tmpfsOptions().Mode = parseGoUint(val, 32, 8);
        } catch {
          throw new Error(invalid);
        }
        break;
      default: throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Type) throw new Error('type is required');
  if (!m.Target) throw new Error('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.ImageOptions && m.Type !== 'image') throw new Error(`cannot mix 'image-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.TmpfsOptions && m.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${m.Type}'`);
  if (m.BindOptions?.ReadOnlyNonRecursive && !m.ReadOnly) throw new Error("option 'bind-recursive=writable' requires 'readonly' to be specified in conjunction");
  if (m.BindOptions?.ReadOnlyForceRecursive) {
    if (!m.ReadOnly) throw new Error("option 'bind-recursive=readonly' requires 'readonly' to be specified in conjunction");
    if (m.BindOptions.Propagation !== 'rprivate') throw new Error("option 'bind-recursive=readonly' requires 'bind-propagation=rprivate' to be specified in conjunction");
  }
  return m;
}

/** A mount as Go's json.Marshal writes mount.Mount (omitempty on every field). */
export function mountJson(m: Mount): Record<string, unknown> {
  const omit = <T>(v: T): T | undefined => (v === '' || v === false || v === 0 || v === undefined || v === null ? undefined : v);
  const nonEmptyMap = (o: Record<string, string> | null | undefined): Record<string, string> | undefined => (o && Object.keys(o).length ? sortKeys(o) : undefined);
  const b = m.BindOptions;
  const v = m.VolumeOptions;
  const t = m.TmpfsOptions;
  return {
    Type: omit(m.Type),
    Source: omit(m.Source),
    Target: omit(m.Target),
    ReadOnly: omit(m.ReadOnly),
    Consistency: omit(m.Consistency),
    BindOptions: b ? {
      Propagation: omit(b.Propagation), NonRecursive: omit(b.NonRecursive), CreateMountpoint: omit(b.CreateMountpoint),
      ReadOnlyNonRecursive: omit(b.ReadOnlyNonRecursive), ReadOnlyForceRecursive: omit(b.ReadOnlyForceRecursive),
    } : undefined,
    VolumeOptions: v ? {
      NoCopy: omit(v.NoCopy), Labels: nonEmptyMap(v.Labels), Subpath: omit(v.Subpath),
      DriverConfig: v.DriverConfig ? { Name: omit(v.DriverConfig.Name), Options: nonEmptyMap(v.DriverConfig.Options) } : undefined,
    } : undefined,
    ImageOptions: m.ImageOptions ? { Subpath: omit(m.ImageOptions.Subpath) } : undefined,
    TmpfsOptions: t ? { SizeBytes: omit(t.SizeBytes), Mode: omit(t.Mode), Options: t.Options?.length ? t.Options : undefined } : undefined,
  };
}

/** A copy of `o` with its keys sorted, as Go marshals maps. */
export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

export interface VolumeSpec { type: 'bind' | 'volume'; source: string; target: string }

/** The compose loader's ParseVolume, for `-v`: "[source:]target[:options]". */
export function parseVolumeSpec(spec: string): VolumeSpec {
  if (spec.length === 0) throw new Error('invalid empty volume spec');
  if (spec.length <= 2) return { type: 'volume', source: '', target: spec };
  let source = '';
  let target = '';
  let buffer = '';
  const chars = [...spec, '\0'];
  for (const c of chars) {
    const isDrive = c === ':' && [...buffer].length === 1 && /\p{L}/u.test(buffer);
    if (isDrive) {
      buffer += c;
      continue;
    }
    if (c !== ':' && c !== '\0') {
      buffer += c;
      continue;
    }
    const fail = (why: string): never => {
      throw new Error(`invalid spec: ${spec}: ${why}`);
    };
    if (buffer.length === 0) fail('empty section between colons');
    else if (source === '' && c === '\0') target = buffer;
    else if (source === '') source = buffer;
    else if (target === '') target = buffer;
    else if (c === ':') fail('too many colons');
    buffer = '';
  }
  return { type: source !== '' && isFilePath(source) ? 'bind' : 'volume', source, target };
}

function isFilePath(source: string): boolean {
  if ('./~'.includes(source[0]!)) return true;
  const chars = [...source];
  if (chars.length === 1) return false;
  if (source.startsWith('\\\\')) return true;
  return chars[1] === ':' && /\p{L}/u.test(chars[0]!);
}
