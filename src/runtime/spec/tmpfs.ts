import { InvalidArgumentError } from '../../errors/index.js';
import type { OciMount } from '../../types/container.js';
import { goQuoteList } from './go-format.js';

/**
 * Mount flags by the kernel flag they set or clear: two options with one key collide, and the
 * later wins (moby/sys/mount `flags`). All propagation and bind flags share one key.
 */
const FLAG_KEYS: Record<string, string> = {
  ro: 'rdonly', rw: 'rdonly', suid: 'nosuid', nosuid: 'nosuid', dev: 'nodev', nodev: 'nodev',
  exec: 'noexec', noexec: 'noexec', sync: 'sync', async: 'sync', dirsync: 'dirsync',
  remount: 'remount', mand: 'mand', nomand: 'mand', atime: 'noatime', noatime: 'noatime',
  diratime: 'nodiratime', nodiratime: 'nodiratime', relatime: 'relatime', norelatime: 'relatime',
  strictatime: 'strictatime', nostrictatime: 'strictatime',
  bind: 'propagation', rbind: 'propagation', unbindable: 'propagation', runbindable: 'propagation',
  private: 'propagation', rprivate: 'propagation', shared: 'propagation', rshared: 'propagation',
  slave: 'propagation', rslave: 'propagation',
};

/** Data options tmpfs accepts; "" keeps an empty option ("a,,b") from failing, as in Go. */
const DATA_KEYS = new Set(['', 'size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol']);

/**
 * Removes duplicate tmpfs options, the last one winning, keeping the survivors' order (moby/sys
 * mount `MergeTmpfsOptions`).
 */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let i = options.length - 1; i >= 0; i--) {
    const option = options[i]!;
    if (option === 'defaults') continue;
    let key = FLAG_KEYS[option];
    if (key === undefined) {
      const eq = option.indexOf('=');
      const parts = eq < 0 ? [option] : [option.slice(0, eq), option.slice(eq + 1)];
      if (parts.length !== 2 || !DATA_KEYS.has(parts[0]!)) {
        throw new InvalidArgumentError(`invalid tmpfs option ${goQuoteList(parts)}`);
      }
      key = `data:${parts[0]}`;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.unshift(option);
  }
  return out;
}

/**
 * `--tmpfs /dst:opts` (HostConfig.Tmpfs) as an OCI mount: Docker's defaults noexec, nosuid,
 * nodev and rprivate, overridden by the options given (moby daemon/oci_linux.go `withMounts`).
 */
export function tmpfsMount(destination: string, data: string): OciMount {
  const options = ['noexec', 'nosuid', 'nodev', 'rprivate'];
  if (data !== '') options.push(...data.split(','));
  return { destination, type: 'tmpfs', source: 'tmpfs', options: mergeTmpfsOptions(options) };
}
