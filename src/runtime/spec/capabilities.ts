import { InvalidArgumentError } from '../../errors/index.js';
import { knownCapabilities } from './defaults.js';
import { goQuote } from './go-format.js';

const ALL = 'ALL';

/**
 * Upper-cases names and adds the `CAP_` prefix, keeping the magic `ALL` (moby
 * `caps.NormalizeLegacyCapabilities`). A name the kernel does not know is refused; a known one
 * that the daemon does not hold itself (`available`) cannot be granted either.
 */
export function normalizeCapabilities(names: readonly string[], available: readonly string[] = knownCapabilities()): string[] {
  const known = new Set(knownCapabilities());
  const held = new Set(available);
  return names.map((raw) => {
    let name = raw.toUpperCase();
    if (name === ALL) return name;
    if (!name.startsWith('CAP_')) name = `CAP_${name}`;
    if (!known.has(name)) throw new InvalidArgumentError(`unknown capability: ${goQuote(name)}`);
    if (!held.has(name)) {
      throw new InvalidArgumentError(`capability not supported by your kernel or not available in the current environment: ${goQuote(name)}`);
    }
    return name;
  });
}

export interface CapabilityOptions {
  add?: readonly string[] | null;
  drop?: readonly string[] | null;
  isPrivileged?: boolean;
  /** What "all capabilities" means on this host; default: every known capability. */
  available?: readonly string[];
}

/**
 * The container's capability list from the defaults and --cap-add/--cap-drop, exactly as moby
 * `caps.TweakCapabilities`: privileged gets all; `--cap-add ALL` is all minus the drops;
 * `--cap-drop ALL` is just the adds; otherwise drops first, then adds appended (a name already
 * present is appended again, as Docker does; runc does not mind).
 */
export function tweakCapabilities(basics: readonly string[], opts: CapabilityOptions): string[] {
  const available = opts.available ?? knownCapabilities();
  const adds = opts.add ?? [];
  const drops = opts.drop ?? [];
  if (opts.isPrivileged) return [...available];
  if (adds.length === 0 && drops.length === 0) return [...basics];
  const capDrop = normalizeCapabilities(drops, available);
  const capAdd = normalizeCapabilities(adds, available);
  if (capAdd.includes(ALL)) return available.filter((c) => !capDrop.includes(c));
  if (capDrop.includes(ALL)) return capAdd;
  return [...basics.filter((c) => !capDrop.includes(c)), ...capAdd];
}
