import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors/index.js';

/**
 * The chain id of a layer on top of `parentChainId` (OCI image-spec config.md, "ChainID"):
 * the diffId itself for the bottom layer, else sha256 of `<parent chainId> <diffId>`.
 */
export function chainIdOf(parentChainId: string | undefined, diffId: string): string {
  if (parentChainId === undefined) return diffId;
  return `sha256:${createHash('sha256').update(`${parentChainId} ${diffId}`).digest('hex')}`;
}

const SHA256 = /^sha256:([0-9a-f]{64})$/;

/** The hex of a `sha256:<hex>` id; it names a directory, so nothing else passes. */
export function hexOf(id: string, what = 'chain id'): string {
  const m = SHA256.exec(id);
  if (!m) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(id)}: want sha256:<64 hex digits>`);
  return m[1]!;
}
