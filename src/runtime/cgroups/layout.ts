import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { InternalError } from '../../errors/index.js';

/**
 * Which cgroup hierarchy the host runs. Version 1 covers hybrid hosts too (v1 controllers
 * under root/<controller>/, plus a mostly empty v2 tree at root/unified): runc's cgroupfs
 * driver then uses the v1 controllers, so that is where a container's numbers live.
 */
export type CgroupLayout = { version: 1; root: string } | { version: 2; root: string };

/** v2-only hosts have cgroup.controllers at the mount root; v1 and hybrid hosts do not. */
export function detectCgroupLayout(root = '/sys/fs/cgroup'): CgroupLayout {
  return existsSync(posix.join(root, 'cgroup.controllers')) ? { version: 2, root } : { version: 1, root };
}

/**
 * The cgroupsPath given to runc, made safe to join: a user's CgroupParent may hold "..", which
 * must not climb out of the hierarchy (resolved as if the hierarchy root were "/").
 */
function relativeCgroup(cgroupsPath: string): string {
  const rel = posix.normalize(`/${cgroupsPath}`);
  if (rel === '/') throw new InternalError(`cgroupsPath ${JSON.stringify(cgroupsPath)} names the root cgroup`);
  return rel;
}

/** The container's directory in one v1 controller's hierarchy. */
export function v1Dir(layout: CgroupLayout, controller: string, cgroupsPath: string): string {
  return posix.join(layout.root, controller, relativeCgroup(cgroupsPath));
}

/** The container's directory in the v2 hierarchy. */
export function v2Dir(layout: CgroupLayout, cgroupsPath: string): string {
  return posix.join(layout.root, relativeCgroup(cgroupsPath));
}
