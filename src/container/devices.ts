import { promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, isErrno } from '../errors/index.js';
import type { ResolvedDevice } from '../runtime/spec/devices.js';
import type { HostConfig } from '../types/container.js';

/** glibc's major()/minor() of a dev_t (Node gives st_rdev as a number). */
function majorMinor(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
  return { major, minor };
}

function deviceOf(st: Stats, inContainer: string, onHost: string, permissions: string): ResolvedDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return { path: inContainer, pathOnHost: onHost, type, ...majorMinor(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid, permissions };
}

/**
 * `--device host[:container[:perms]]` resolved with stat(2), as moby's
 * `DevicesFromPath`: a directory expands to every device node below it.
 */
export async function resolveDevices(hc: HostConfig): Promise<ResolvedDevice[]> {
  const out: ResolvedDevice[] = [];
  for (const d of hc.Devices ?? []) {
    const host = d.PathOnHost ?? '';
    const inContainer = d.PathInContainer || host;
    const perms = d.CgroupPermissions || 'rwm';
    let st: Stats;
    try { st = await fsp.stat(host); } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": no such file or directory`);
      throw err;
    }
    if (st.isDirectory()) {
      for (const { file, stat } of await walkDevices(host)) {
        const dev = deviceOf(stat, path.join(inContainer, path.relative(host, file)), file, perms);
        if (dev) out.push(dev);
      }
      continue;
    }
    const dev = deviceOf(st, inContainer, host, perms);
    if (!dev) throw new InvalidArgumentError(`error gathering device information while adding custom device "${host}": not a device node`);
    out.push(dev);
  }
  return out;
}

/** Every device node of the host's /dev, for `--privileged` (moby `HostDevices`). */
export async function hostDevices(): Promise<ResolvedDevice[]> {
  const out: ResolvedDevice[] = [];
  for (const { file, stat } of await walkDevices('/dev')) {
    const dev = deviceOf(stat, file, file, 'rwm');
    if (dev) out.push(dev);
  }
  return out;
}

/** Block device numbers of the paths named in blkio throttle options. */
export async function blkioDeviceNumbers(hc: HostConfig): Promise<Record<string, { major: number; minor: number }>> {
  const out: Record<string, { major: number; minor: number }> = {};
  const lists = [hc.BlkioWeightDevice, hc.BlkioDeviceReadBps, hc.BlkioDeviceWriteBps, hc.BlkioDeviceReadIOps, hc.BlkioDeviceWriteIOps];
  for (const list of lists) {
    for (const e of (list ?? []) as Array<{ Path?: string }>) {
      if (!e.Path || out[e.Path]) continue;
      let st: Stats;
      try { st = await fsp.stat(e.Path); } catch (err) {
        if (isErrno(err, 'ENOENT')) throw new InvalidArgumentError(`no such file or directory: ${e.Path}`);
        throw err;
      }
      if (!st.isBlockDevice()) throw new InvalidArgumentError(`${e.Path} is not a block device`);
      out[e.Path] = majorMinor(st.rdev);
    }
  }
  return out;
}

/** Device nodes below `dir`, skipping the pseudo-filesystems Docker skips (pts, shm, mqueue). */
async function walkDevices(dir: string): Promise<Array<{ file: string; stat: Stats }>> {
  const out: Array<{ file: string; stat: Stats }> = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await fsp.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (['/dev/pts', '/dev/shm', '/dev/mqueue', '/dev/.lxc', '/dev/.udev'].includes(p)) continue;
        await walk(p);
      } else if (e.isCharacterDevice() || e.isBlockDevice()) {
        const st = await fsp.lstat(p).catch(() => undefined);
        if (st) out.push({ file: p, stat: st });
      }
    }
  };
  await walk(dir);
  return out;
}
