/**
 * The part of the snapshotter the image service uses (a narrow interface, so its tests can
 * pass a fake). The real one is `snapshot/`'s SnapshotStore.
 */
import type { Readable } from 'node:stream';
export { chainIdOf } from '../snapshot/index.js';

export interface Snapshots {
  has(chainId: string): boolean | Promise<boolean>;
  applyLayer(parentChainId: string | undefined, tar: Readable, opts?: { expectedDiffId?: string; signal?: AbortSignal; commitAfter?: Promise<unknown> }): Promise<{ chainId: string; diffId: string; sizeBytes: number; tarBytes?: number }>;
  /** `sizeBytes`: the files' bytes (Docker's layer size); `usageBytes`: what the snapshot occupies, as `du -sb` counts. */
  stat(chainId: string): Promise<{ sizeBytes: number; usageBytes?: number; tarBytes?: number }>;
  lowerDirs(chainId: string): Promise<string[]>;
  remove(chainId: string): Promise<void>;
}
