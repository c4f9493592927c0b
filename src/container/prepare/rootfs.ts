import type { SnapshotStore } from '../../snapshot/index.js';
import { mountRootfs, unmountRootfs } from '../rootfs.js';
import type { ContainerRecord } from '../record.js';
import type { IdRemap } from '../userns.js';
import { idmapFor } from '../userns.js';
import type { Preparer, StartContext } from './types.js';

/** The container's root: overlayfs of its image's layers, its init layer and its upper dir. */
export function rootfsPreparer(d: { snapshots: SnapshotStore; idRemap: IdRemap | undefined }): Preparer {
  return {
    name: 'rootfs',
    async prepare(ctx: StartContext) {
      await mountRootfs(d.snapshots, ctx.rec.imageChainId, ctx.paths, idmapFor(ctx.rec, d.idRemap));
    },
    async release(_rec: ContainerRecord, paths) {
      unmountRootfs(paths.rootfs);
    },
  };
}
