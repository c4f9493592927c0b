import type { ContainerVolumes } from '../volumes.js';
import type { Preparer } from './types.js';

/** Volumes, binds and tmpfs mounts: volumes are held (mounted when they have a filesystem) for the run. */
export function volumesPreparer(volumes: ContainerVolumes): Preparer {
  return {
    name: 'volumes',
    async prepare(ctx) {
      const held = await volumes.acquire(ctx.rec);
      ctx.mounts.push(...held.mounts);
      if (held.rootfsPropagation) ctx.rootfsPropagation = held.rootfsPropagation;
    },
    release: (rec) => volumes.release(rec),
    started: (rec) => volumes.announce(rec),
    adopted: (rec) => volumes.adopt(rec),
  };
}
