/**
 * docker's list-flag validators (docker/cli opts/opts.go, opts/hosts.go, container/opts.go):
 * each returns the value to keep or throws docker's reason, which the flag parser shows as
 * `invalid argument "x" for "--dns" flag: IP address is not correctly formatted: x`.
 */
import net from 'node:net';

/** opts.ValidateEnv, minus the environment lookup (done when the config is built). */
export function validateEnv(val: string): string {
  const eq = val.indexOf('=');
  const key = eq >= 0 ? val.slice(0, eq) : val;
  if (key === '') throw new Error(`invalid environment variable: ${val}`);
  return val;
}

/** opts.ValidateLabel. */
export function validateLabel(val: string): string {
  const eq = val.indexOf('=');
  const key = (eq >= 0 ? val.slice(0, eq) : val).replace(/^[ \t]+/, '');
  if (key === '') throw new Error(`invalid label '${val}': empty name`);
  if (/[ \t]/.test(key)) throw new Error(`label '${key}' contains whitespaces`);
  return val;
}

const NAMESPACED_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

/** opts.ValidateSysctl: only namespaced sysctls. */
export function validateSysctl(val: string): string {
  const eq = val.indexOf('=');
  const key = eq >= 0 ? val.slice(0, eq) : '';
  if (eq < 0 || key === '') throw new Error(`sysctl '${val}' is not allowed`);
  if (NAMESPACED_SYSCTLS.has(key) || key.startsWith('net.') || key.startsWith('fs.mqueue.')) return val;
  throw new Error(`sysctl '${val}' is not allowed`);
}

/** net.ParseIP(s).String(): the canonical text of an address, or undefined. */
export function canonicalIp(s: string): string | undefined {
  const kind = net.isIP(s);
  if (kind === 4) return /(^|\.)0\d/.test(s) ? undefined : s;
  if (kind !== 6) return undefined;
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return host;
}

/** opts.ValidateIPAddress. */
export function validateIpAddress(val: string): string {
  const ip = canonicalIp(val.trim());
  if (ip === undefined) throw new Error(`IP address is not correctly formatted: ${val}`);
  return ip;
}

const DOMAIN = /^(:?(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))(:?\.(:?[a-zA-Z0-9]|(:?[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])))*)\.?\s*$/;

/** opts.ValidateDNSSearch. */
export function validateDnsSearch(val: string): string {
  const v = val.replace(/^ +| +$/g, '');
  if (v === '.') return v;
  if (!/[a-zA-Z]/.test(v)) throw new Error(`${v} is not a valid domain`);
  const m = DOMAIN.exec(v);
  if (m && m[1]!.length < 255) return m[1]!;
  throw new Error(`${v} is not a valid domain`);
}

/** opts.ValidateExtraHost: "host:ip" or "host=ip" (brackets allowed), sent as "host:ip". */
export function validateExtraHost(val: string): string {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const key = sep >= 0 ? val.slice(0, sep) : val;
  let ip = sep >= 0 ? val.slice(sep + 1) : '';
  if (sep < 0 || key === '' || key.includes(':')) throw new Error(`bad format for add-host: ${JSON.stringify(val)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (canonicalIp(ip.trim()) === undefined) throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${key}:${ip}`;
}

/** validateAttach: stdin, stdout or stderr, any case. */
export function validateAttach(val: string): string {
  const s = val.toLowerCase();
  if (s === 'stdin' || s === 'stdout' || s === 'stderr') return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

/** opts.ValidateLink: "name[:alias]". */
export function validateLink(val: string): string {
  if (val === '') throw new Error('empty string specified for links');
  if (val.split(':').length > 2) throw new Error(`bad format for links: ${val}`);
  return val;
}

/** validateDeviceCgroupRule: "type major:minor mode". */
export function validateDeviceCgroupRule(val: string): string {
  if (/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(val)) return val;
  throw new Error(`invalid device cgroup format '${val}'`);
}

/** net.ParseMAC: EUI-48, EUI-64 or 20-octet addresses, colon, hyphen or dot separated. */
export function isValidMac(s: string): boolean {
  const v = s.trim();
  for (const n of [6, 8, 20]) {
    if (new RegExp(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){${n - 1}}$`).test(v)) return true;
    if (new RegExp(`^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2}){${n - 1}}$`).test(v)) return true;
    if (new RegExp(`^[0-9a-fA-F]{4}(\\.[0-9a-fA-F]{4}){${n / 2 - 1}}$`).test(v)) return true;
  }
  return false;
}
