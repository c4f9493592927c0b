/**
 * The part of the snapshotter the image service uses (a narrow interface, so its tests can
 * pass a fake). The real one is `snapshot/`'s SnapshotStore.
 */
import type { Readable } from 'node:stream';
export { chainIdOf } from '../snapshot/index.js';

export interface Snapshots {
  has(chainId: string): boolean | Promise<boolean>;
  applyLayer(parentChainId: string | undefined, tar: Readable, opts?: { expectedDiffId?: string; signal?: AbortSignal; commitAfter?: Promise<unknown> }): Promise<{ chainId: string; diffId: string; sizeBytes: number }>;
  stat(chainId: string): Promise<{ sizeBytes: number }>;
  lowerDirs(chainId: string): Promise<string[]>;
  remove(chainId: string): Promise<void>;
}
