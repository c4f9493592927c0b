import { readFileSync } from 'node:fs';
import { knownCapabilities } from '../runtime/spec/defaults.js';

let cached: string[] | undefined;

/**
 * The capabilities berthd itself may grant: its bounding set, as moby's
 * `caps.GetAllCapabilities`. `--privileged` and `--cap-add ALL` mean these, not every name
 * the kernel knows: in a sandbox without CAP_SYS_RESOURCE, asking runc for it fails with
 * "unable to apply caps: operation not permitted".
 */
export function heldCapabilities(): string[] {
  if (cached) return cached;
  const line = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const mask = BigInt(`0x${line?.[1] ?? 'ffffffffff'}`);
  cached = knownCapabilities().filter((_, bit) => (mask >> BigInt(bit)) & 1n);
  return cached;
}
