/**
 * snapshot/: overlay layers. Applies layer tars (whiteouts converted, never writing outside
 * the layer), stacks them as overlay mounts, and writes an upper directory back as a tar.
 * The contract is written once, at `Snapshotter`.
 */
export { SnapshotStore } from './store.js';
export { chainIdOf } from './chain-id.js';
export type { Snapshotter, SnapshotInfo, LayerApplied, ApplyOptions } from './snapshotter.js';
export { mountLayers, unmountLayers, type WritableLayer } from './mount.js';
export { detectCompression, type Compression } from './layer-stream.js';
export { readTar, type TarEntry } from './tar-reader.js';
export { encodeHeader, padding, END_OF_ARCHIVE } from './tar-writer.js';
export type { TarHeader, EntryType } from './tar-header.js';
export { cleanEntryName } from './entry-path.js';
export { diskUsage } from './usage.js';
