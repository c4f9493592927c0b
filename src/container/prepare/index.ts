import type { CgroupLayout } from '../../runtime/cgroups/index.js';
import type { SnapshotStore } from '../../snapshot/index.js';
import type { ContainerStore } from '../store.js';
import type { IdRemap } from '../userns.js';
import type { ContainerVolumes } from '../volumes.js';
import { cgroupPreparer } from './cgroup.js';
import { namespacesPreparer } from './namespaces.js';
import { rootfsPreparer } from './rootfs.js';
import type { PreparerGroups } from './types.js';
import { volumesPreparer } from './volumes.js';
import { networkPreparer, type ContainerNetworks } from '../network.js';

export type { Preparer, PreparerGroups, StartContext } from './types.js';

/** berthd's start path: the cgroup guard, then the rootfs mount beside the namespaces, then volumes. */
export function defaultPreparers(d: { store: ContainerStore; snapshots: SnapshotStore; cgroups: CgroupLayout; volumes: ContainerVolumes; idRemap: IdRemap | undefined; networks?: ContainerNetworks }): PreparerGroups {
  return [
    [cgroupPreparer(d.cgroups)],
    [rootfsPreparer(d), namespacesPreparer(d)],
    // The network step needs the namespace made above; the rootfs is mounted by then too.
    [volumesPreparer(d.volumes), ...(d.networks ? [networkPreparer({ networks: d.networks, store: d.store })] : [])],
  ];
}
