export { ContentStore, HashingStream, type BlobInfo } from './content.js';
export { ImageStore } from './store.js';
export { ImageService, chainIds, parseUntil, type ImageUsers, type DeleteResponseItem } from './service.js';
export { ImageArchive, type ProgressMessage } from './archive.js';
export { applyChanges } from './changes.js';
export { decompressed, detectCompression } from './decompress.js';
export type { Snapshots } from './snapshots.js';
export * from './reference.js';
export * from './types.js';
