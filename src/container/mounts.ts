import path from 'node:path';
import { InvalidArgumentError } from '../errors/index.js';
import type { Mount } from '../types/container.js';

/**
 * Where a volume, bind or tmpfs meets a container (moby volume/mounts `MountPoint`), as recorded
 * in the container's record at create and turned into OCI mounts at every start.
 */
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs';
  /** The volume's name (volumes only). */
  Name?: string;
  /** A bind's host path or a volume's `_data` directory; '' for tmpfs. */
  Source: string;
  Destination: string;
  Driver?: string;
  /** The mode string as given (`ro`, `z`, …), as inspect shows it. */
  Mode: string;
  RW: boolean;
  /** '' for volumes and tmpfs, the bind propagation (default rprivate) for binds. */
  Propagation: string;
  /** Fill a new, empty volume with the image's content at the destination. */
  CopyData?: boolean;
  /** A volume made for this container without a name: `rm -v` and `--rm` remove it. */
  isAnonymous?: boolean;
  /** `-v /host:/ctr` creates a missing host directory; `--mount type=bind` requires it. */
  createSource?: boolean;
  /** `bind-recursive=disabled`. */
  nonRecursive?: boolean;
  /** Options for a tmpfs (`size=…`, `mode=…`, `ro`, `exec`). */
  tmpfsData?: string;
  /** An anonymous volume made for a path in the image's (or the request's) Config.Volumes. */
  fromConfig?: boolean;
  /** `volume-subpath`: a directory inside the volume is what gets mounted. */
  subpath?: string;
}

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']);
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);
const COPY_MODES = new Set(['nocopy']);

/** moby linuxValidMountMode: each kind of option at most once. */
export function isValidMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    if (RW_MODES.has(o)) counts[0]!++;
    else if (LABEL_MODES.has(o)) counts[1]!++;
    else if (PROPAGATION_MODES.has(o)) counts[2]!++;
    else if (COPY_MODES.has(o)) counts[3]!++;
    else if (CONSISTENCY_MODES.has(o)) counts[4]!++;
    else return false;
  }
  return counts.every((n) => n <= 1);
}

function mountConfigError(type: string | undefined, msg: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type ${JSON.stringify(type ?? '')}: ${msg}`);
}

/** NAME_MAX (255 bytes a component) and PATH_MAX (4096 with its NUL): beyond them lies ENAMETOOLONG. */
export function isTooLongForLinux(p: string): boolean {
  return Buffer.byteLength(p) >= 4096 || p.split('/').some((c) => Buffer.byteLength(c) > 255);
}

function isAbs(p: string): boolean {
  return p.replaceAll('\\', '/').startsWith('/');
}

/** moby validateMountConfigImpl (Linux): the checks on a mount.Mount before anything is made. */
export function validateMountSpec(m: Mount, opts: { bindSourceMustExist: boolean; exists: (p: string) => boolean }): void {
  const target = m.Target ?? '';
  if (target === '') throw mountConfigError(m.Type, 'field Target must not be empty');
  if (path.posix.normalize(target.replaceAll('\\', '/')).replace(/(.)\/$/, '$1') === '/') throw mountConfigError(m.Type, "invalid specification: destination can't be '/'");
  if (!isAbs(target)) throw mountConfigError(m.Type, `invalid mount path: '${target}' mount path must be absolute`);
  switch (m.Type) {
    case 'bind': {
      const source = m.Source ?? '';
      if (source === '') throw mountConfigError(m.Type, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATION_MODES.has(prop)) throw mountConfigError(m.Type, `invalid propagation mode: ${prop}`);
      if (m.VolumeOptions) throw mountConfigError(m.Type, 'field VolumeOptions must not be specified');
      if (!isAbs(source)) throw mountConfigError(m.Type, `invalid mount path: '${source}' mount path must be absolute`);
      // A path Linux cannot hold is the client's error (moby: the stat's error in errMountConfig),
      // found here rather than by a mkdir at start.
      if (isTooLongForLinux(source)) throw mountConfigError(m.Type, `stat ${source}: file name too long`);
      if (opts.bindSourceMustExist && !opts.exists(source) && !m.BindOptions?.CreateMountpoint) {
        throw mountConfigError(m.Type, `bind source path does not exist: ${source}`);
      }
      return;
    }
    case 'volume': {
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      const isAnon = !m.Source;
      if (m.VolumeOptions?.Subpath) {
        if (isAnon) throw mountConfigError(m.Type, 'must not set Subpath when using anonymous volumes');
        const sp = m.VolumeOptions.Subpath;
        if (path.isAbsolute(sp) || path.posix.normalize(sp).split('/')[0] === '..') throw mountConfigError(m.Type, 'subpath must be a relative path within the volume');
      }
      if (m.ReadOnly && isAnon) throw mountConfigError(m.Type, 'must not set ReadOnly mode when using anonymous volumes');
      return;
    }
    case 'tmpfs': {
      if (m.BindOptions) throw mountConfigError(m.Type, 'field BindOptions must not be specified');
      if (m.Source) throw mountConfigError(m.Type, 'field Source must not be specified');
      tmpfsData(m);
      return;
    }
    default:
      throw mountConfigError(m.Type, 'mount type unknown');
  }
}

/** moby ConvertTmpfsOptions: `ro`, `mode=`, `size=` (with the largest exact suffix), `exec|noexec`. */
export function tmpfsData(m: Mount): string {
  const raw: string[] = [];
  if (m.ReadOnly) raw.push('ro');
  const o = m.TmpfsOptions;
  if (o?.Mode) raw.push(`mode=${o.Mode.toString(8)}`);
  if (o?.SizeBytes) {
    let size = o.SizeBytes;
    let suffix = '';
    for (const [s, div] of [['g', 1 << 30], ['m', 1 << 20], ['k', 1 << 10]] as const) {
      if (size % div === 0) { size /= div; suffix = s; break; }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const opt of o?.Options ?? []) {
    if (opt.length < 1 || opt.length > 2) throw mountConfigError('tmpfs', 'invalid option array length');
    if (opt[0] !== 'exec' && opt[0] !== 'noexec') throw mountConfigError('tmpfs', `invalid option: ${opt[0]}`);
    raw.push(opt.length === 1 ? opt[0] : `${opt[0]}=${opt[1]}`);
  }
  return raw.join(',');
}

/** A mount.Mount (from `--mount` or a parsed bind) as a MountPoint, before any volume exists. */
export function mountPointOf(m: Mount): MountPoint {
  const destination = path.posix.normalize(m.Target!.replaceAll('\\', '/')).replace(/(.)\/$/, '$1');
  const mp: MountPoint = { Type: m.Type as MountPoint['Type'], Source: '', Destination: destination, Mode: '', RW: !m.ReadOnly, Propagation: '' };
  if (m.Type === 'volume') {
    if (m.Source) mp.Name = m.Source;
    else mp.isAnonymous = true;
    mp.CopyData = !m.VolumeOptions?.NoCopy;
    mp.Driver = m.VolumeOptions?.DriverConfig?.Name || undefined;
    if (m.VolumeOptions?.Subpath) mp.subpath = m.VolumeOptions.Subpath;
  } else if (m.Type === 'bind') {
    mp.Source = path.posix.normalize(m.Source!.replaceAll('\\', '/')).replace(/(.)\/$/, '$1');
    mp.Propagation = m.BindOptions?.Propagation || 'rprivate';
    if (m.BindOptions?.NonRecursive) mp.nonRecursive = true;
    if (m.BindOptions?.CreateMountpoint) mp.createSource = true;
  } else if (m.Type === 'tmpfs') {
    mp.tmpfsData = tmpfsData(m);
  }
  return mp;
}

/**
 * One `-v`/Binds entry (moby linuxParser.ParseMountRaw): `dst`, `src:dst` or `src:dst:mode`; an
 * absolute `src` is a bind (its host directory made if missing), anything else a volume's name.
 */
export function parseBind(raw: string, volumeDriver = ''): MountPoint {
  const invalid = () => new InvalidArgumentError(`invalid volume specification: '${raw}'`);
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalid();
  const spec: Mount = {};
  let mode = '';
  switch (arr.length) {
    case 1: spec.Target = arr[0]; break;
    case 2:
      if (isValidMountMode(arr[1]!)) throw invalid();
      spec.Source = arr[0]; spec.Target = arr[1]; break;
    case 3: spec.Source = arr[0]; spec.Target = arr[1]; mode = arr[2]!; break;
    default: throw invalid();
  }
  if (!isValidMountMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  spec.Type = spec.Source && isAbs(spec.Source) ? 'bind' : 'volume';
  const opts = mode.split(',');
  spec.ReadOnly = opts.includes('ro');
  if (volumeDriver && spec.Type === 'volume') spec.VolumeOptions = { DriverConfig: { Name: volumeDriver } };
  if (opts.includes('nocopy')) spec.VolumeOptions = { ...(spec.VolumeOptions ?? {}), NoCopy: true };
  const prop = opts.find((o) => PROPAGATION_MODES.has(o));
  if (prop) spec.BindOptions = { Propagation: prop as NonNullable<Mount['BindOptions']>['Propagation'] };
  try {
    validateMountSpec(spec, { bindSourceMustExist: false, exists: () => true });
  } catch (err) {
    throw new InvalidArgumentError(`invalid volume specification: '${raw}': ${(err as Error).message}`);
  }
  const mp = mountPointOf(spec);
  mp.Mode = mode;
  if (mp.Type === 'bind') mp.createSource = true;
  return mp;
}

/** moby ParseVolumesFrom: `container[:mode]` where mode is rw or ro (no propagation, no copy mode). */
export function parseVolumesFrom(spec: string): { container: string; mode: string } {
  if (spec === '') throw new InvalidArgumentError('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const container = colon < 0 ? spec : spec.slice(0, colon);
  const mode = colon < 0 ? '' : spec.slice(colon + 1);
  if (mode === '') return { container, mode: 'rw' };
  const opts = mode.split(',');
  if (!isValidMountMode(mode) || opts.some((o) => PROPAGATION_MODES.has(o) || COPY_MODES.has(o))) {
    throw new InvalidArgumentError(`invalid mode: ${mode}`);
  }
  return { container, mode };
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** Container inspect's and `ps`'s `Mounts` entry (Docker's types.MountPoint, its key order). */
export function mountPointJson(mp: MountPoint): Record<string, unknown> {
  return {
    Type: mp.Type,
    ...(mp.Name !== undefined ? { Name: mp.Name } : {}),
    Source: mp.Source,
    Destination: mp.Destination,
    ...(mp.Driver ? { Driver: mp.Driver } : {}),
    Mode: mp.Mode,
    RW: mp.RW,
    Propagation: mp.Propagation,
  };
}
