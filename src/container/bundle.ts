import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { cgroupsPathFor, generateSpec } from '../runtime/spec/generate.js';
import { specToJson } from '../runtime/spec/serialize.js';
import { resolveUser } from '../runtime/spec/user.js';
import type { Logger } from '../util/index.js';
import { blkioDeviceNumbers, hostDevices, resolveDevices } from './devices.js';
import { heldCapabilities } from './held-caps.js';
import type { StartContext } from './prepare/index.js';
import type { ContainerRecord } from './record.js';
import { readInRoot } from './rootfs.js';
import { applyUserns } from './userns.js';

export interface BundleDeps {
  initPath: string;
  kernelRelease: string;
  isCgroup2: boolean;
  logger: Logger;
}

/**
 * Writes the run's OCI bundle (`config.json` in exec-root; rewritten at every start, so no
 * fsync) from the record and what the preparers found. The user is resolved in the mounted rootfs.
 */
export async function writeBundle(ctx: StartContext, d: BundleDeps): Promise<void> {
  const { rec, paths } = ctx;
  const user = resolveUser(rec.config.User ?? '', readInRoot(paths.rootfs, 'etc/passwd'), readInRoot(paths.rootfs, 'etc/group'), rec.hostConfig.GroupAdd ?? []);
  const { spec, warnings } = generateSpec({
    id: rec.id,
    config: rec.config,
    ...(ctx.linkedEnv ? { linkedEnv: ctx.linkedEnv } : {}),
    hostConfig: rec.hostConfig,
    rootfsPath: paths.rootfs,
    args: [rec.path, ...rec.args],
    user,
    hostsPath: paths.hosts,
    hostnamePath: paths.hostname,
    resolvConfPath: paths.resolvConf,
    networkMode: ctx.networkMode,
    netnsPath: ctx.netnsPath,
    peerNamespacePaths: ctx.peer,
    ...(ctx.shmPath ? { shmPath: ctx.shmPath } : {}),
    initPath: d.initPath,
    cgroupsPath: cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined),
    isCgroup2: d.isCgroup2,
    kernelRelease: d.kernelRelease,
    allCapabilities: heldCapabilities(),
    devices: await resolveDevices(rec.hostConfig),
    hostDevices: rec.hostConfig.Privileged ? await hostDevices() : [],
    blkioDeviceNumbers: await blkioDeviceNumbers(rec.hostConfig),
    mounts: ctx.mounts,
  });
  if (ctx.rootfsPropagation && spec.linux) spec.linux.rootfsPropagation = ctx.rootfsPropagation;
  if (rec.idMappings) applyUserns(spec, rec.idMappings);
  for (const w of warnings) d.logger.warn({ component: 'container', containerId: rec.id }, w);
  await fsp.writeFile(path.join(paths.run, 'config.json'), specToJson(spec));
}

/** The OCI linux.resources of a container's HostConfig, for `runtime update`. */
export function resourcesFor(rec: ContainerRecord, d: Pick<BundleDeps, 'isCgroup2' | 'kernelRelease'>): object {
  const { spec } = generateSpec({
    id: rec.id, config: rec.config, hostConfig: rec.hostConfig, rootfsPath: '/', args: [rec.path, ...rec.args],
    user: { uid: 0, gid: 0, additionalGids: [], home: '/' }, networkMode: 'none', isCgroup2: d.isCgroup2, kernelRelease: d.kernelRelease,
  });
  return spec.linux?.resources ?? {};
}
