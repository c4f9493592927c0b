import { InvalidArgumentError } from '../../errors/index.js';
import type { DeviceRequest, OciDeviceCgroup, OciLinuxDevice } from '../../types/container.js';
import { defaultDeviceCgroupRules } from './defaults.js';
import { goList, goQuote } from './go-format.js';

/**
 * A device node to create in the container, as the caller found it with stat(2): one entry per
 * node of a `--device` (a directory given there expands to the nodes inside it), or one host
 * device of a privileged container.
 */
export interface ResolvedDevice {
  /** Path inside the container. */
  path: string;
  /** Host path it came from; a privileged container skips a device mapped to its own path. */
  pathOnHost?: string;
  type: 'c' | 'b' | 'u' | 'p';
  major: number;
  minor: number;
  /** Permission bits (st_mode without the file type). */
  fileMode: number;
  uid: number;
  gid: number;
  /** Cgroup access, `rwm` or a subset (`--device /dev/x:/dev/y:r`). */
  permissions: string;
}

export interface DevicePlan {
  devices: readonly ResolvedDevice[];
  /** Every device under the host's /dev, for privileged containers. */
  hostDevices: readonly ResolvedDevice[];
  cgroupRules: readonly string[];
  requests: readonly DeviceRequest[];
  isPrivileged: boolean;
}

export interface DeviceResult {
  devices: OciLinuxDevice[];
  cgroup: OciDeviceCgroup[];
  warnings: string[];
}

function toLinuxDevice(d: ResolvedDevice): OciLinuxDevice {
  return { path: d.path, type: d.type, major: d.major, minor: d.minor, fileMode: d.fileMode, uid: d.uid, gid: d.gid };
}

const RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `--device-cgroup-rule 'c 42:* rmw'` (moby oci `AppendDevicePermissionsFromCgroupRules`). */
export function parseDeviceCgroupRule(rule: string): OciDeviceCgroup {
  const m = RULE.exec(rule);
  if (!m) throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  const num = (s: string) => (s === '*' ? -1 : Number(s));
  return { allow: true, type: m[1]!, major: num(m[2]!), minor: num(m[3]!), access: m[4]! };
}

function privilegedDevices(plan: DevicePlan, warnings: string[]): OciLinuxDevice[] {
  const devices = plan.hostDevices.map(toLinuxDevice);
  for (const d of plan.devices) {
    if (d.permissions !== 'rwm') warnings.push(`custom ${d.permissions} permissions for device ${d.pathOnHost ?? d.path} are ignored in privileged mode`);
    if (d.pathOnHost === d.path) {
      warnings.push(`path in container ${d.path} already exists in privileged mode`);
      continue;
    }
    devices.push(toLinuxDevice(d));
  }
  return devices;
}

/**
 * Device nodes and the device cgroup (moby daemon/oci_linux.go `WithDevices`). Privileged: all
 * host devices, and one rule allowing everything after Docker's defaults. Otherwise: Docker's
 * default rules, one allow rule per `--device`, then `--device-cgroup-rule`s. (moby appends
 * its list onto the defaults it started from, so its config.json holds the defaults twice;
 * the effective rules are the same.) Device requests (`--gpus`) need a driver berth lacks.
 */
export function buildDevices(plan: DevicePlan): DeviceResult {
  const req = plan.requests[0];
  if (req) {
    throw new InvalidArgumentError(`could not select device driver ${goQuote(req.Driver ?? '')} with capabilities: ${goList(req.Capabilities ?? [])}`);
  }
  const warnings: string[] = [];
  if (plan.isPrivileged) {
    return { devices: privilegedDevices(plan, warnings), cgroup: [...defaultDeviceCgroupRules(), { allow: true, access: 'rwm' }], warnings };
  }
  const cgroup = defaultDeviceCgroupRules();
  for (const d of plan.devices) cgroup.push({ allow: true, type: d.type, major: d.major, minor: d.minor, access: d.permissions });
  cgroup.push(...plan.cgroupRules.map(parseDeviceCgroupRule));
  return { devices: plan.devices.map(toLinuxDevice), cgroup, warnings };
}
