import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../errors/index.js';

/** The characters a local volume's name may use (moby daemon/names `RestrictedNameChars`). */
export const RESTRICTED_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** The label Docker (23.0+) puts on anonymous volumes; `volume prune` removes only those by default. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/**
 * A local volume's name becomes a directory under the volumes root, so it can never hold a
 * path separator or start with a dot: `..` and `a/b` are refused (moby volume/local `validateName`).
 */
export function validateVolumeName(name: string): void {
  if (name.length === 1) throw new InvalidArgumentError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(`create ${name}: ${JSON.stringify(name)} includes invalid characters for a local volume name, only ${JSON.stringify(RESTRICTED_NAME_CHARS)} are allowed. If you intended to pass a host directory, use absolute path`);
  }
}

/** A generated name: 64 hex characters, as Docker gives anonymous volumes. */
export function generateVolumeName(): string {
  return randomBytes(32).toString('hex');
}
