import { removeCgroup, type CgroupLayout } from '../../runtime/cgroups/index.js';
import { cgroupsPathFor } from '../../runtime/spec/generate.js';
import type { Preparer } from './types.js';

/**
 * The runtime makes the container's cgroup; a runtime that failed half-way, or a container whose
 * runtime state went with a crash, may leave it behind. Released last, as a leak guard.
 */
export function cgroupPreparer(cgroups: CgroupLayout): Preparer {
  return {
    name: 'cgroup',
    async prepare() { /* the runtime creates it */ },
    async release(rec) {
      await removeCgroup(cgroups, cgroupsPathFor(rec.id, rec.hostConfig.CgroupParent || undefined));
    },
  };
}
