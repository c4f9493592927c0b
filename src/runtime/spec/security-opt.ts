import { InvalidArgumentError } from '../../errors/index.js';
import { parseGoBool } from '../../util/index.js';
import { goQuote } from './go-format.js';

export interface SecurityOptions {
  hasNoNewPrivileges: boolean;
  /** undefined: the daemon's default profile; 'unconfined'; 'builtin'; or a profile's JSON text. */
  seccompProfile: string | undefined;
  /** undefined: follow Privileged, as Docker does. */
  hasWritableCgroups: boolean | undefined;
  warnings: string[];
}

/**
 * `--security-opt` values (moby daemon/daemon_unix.go `parseSecurityOpt`). The docker CLI
 * sends a seccomp profile file's content, not its path. AppArmor and SELinux are not
 * available to berth on this host: their options are accepted with a warning, as dockerd
 * ignores them where the kernel lacks the LSM.
 */
export function parseSecurityOpts(opts: readonly string[], defaults: { hasNoNewPrivileges?: boolean } = {}): SecurityOptions {
  const out: SecurityOptions = {
    hasNoNewPrivileges: defaults.hasNoNewPrivileges ?? false,
    seccompProfile: undefined,
    hasWritableCgroups: undefined,
    warnings: [],
  };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') { out.hasNoNewPrivileges = true; continue; }
    if (opt === 'writable-cgroups') { out.hasWritableCgroups = true; continue; }
    if (opt === 'disable') { out.warnings.push(unsupported('label')); continue; }
    // Docker still accepts the ':' separator that it deprecated in 1.13.
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (sep === '') throw new InvalidArgumentError(`invalid --security-opt 1: ${goQuote(opt)}`);
    const at = opt.indexOf(sep);
    const key = opt.slice(0, at);
    const value = opt.slice(at + 1);
    switch (key) {
      case 'label':
      case 'apparmor':
        out.warnings.push(unsupported(key));
        break;
      case 'seccomp':
        out.seccompProfile = value;
        break;
      case 'no-new-privileges':
        out.hasNoNewPrivileges = boolValue(opt, value);
        break;
      case 'writable-cgroups':
        out.hasWritableCgroups = boolValue(opt, value);
        break;
      default:
        throw new InvalidArgumentError(`invalid --security-opt 2: ${goQuote(opt)}`);
    }
  }
  return out;
}

function boolValue(opt: string, value: string): boolean {
  const b = parseGoBool(value);
  if (b === undefined) throw new InvalidArgumentError(`invalid --security-opt 2: ${goQuote(opt)}`);
  return b;
}

function unsupported(kind: 'label' | 'apparmor'): string {
  const lsm = kind === 'label' ? 'SELinux' : 'AppArmor';
  return `${lsm} is not supported on this host: --security-opt ${kind} is ignored`;
}
