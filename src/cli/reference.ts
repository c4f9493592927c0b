/**
 * Image references as the docker CLI parses them client-side (distribution/reference):
 * `busybox` is docker.io/library/busybox, `busybox:1` is tagged, `x@sha256:…` canonical.
 * The CLI needs this to print familiar names in `images` and to check `tag`/`import`
 * arguments before calling the daemon. The grammar is the daemon's too (util/reference.ts);
 * here a reference also carries its full `name`, and a bad one is a ReferenceError.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { fullName, parseNormalizedNamed as parseNamed, type Reference as NamedReference } from '../util/index.js';

export { DEFAULT_DOMAIN, familiarName, familiarString } from '../util/index.js';

export interface Reference extends NamedReference {
  /** Fully qualified name: docker.io/library/busybox. */
  name: string;
}

export class ReferenceError extends Error {}

/** reference.ParseNormalizedNamed: `busybox` → docker.io/library/busybox. */
export function parseNormalizedNamed(s: string): Reference {
  let r: NamedReference;
  try {
    r = parseNamed(s);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ReferenceError(e.message, { cause: e });
    throw e;
  }
  return { name: fullName(r), ...r };
}

const ANCHORED_ID = /^[a-f0-9]{64}$/;

/** reference.ParseAnyReference: a bare 64-hex ID is a digest reference. */
export function parseAnyReference(s: string): Reference | { digest: string } {
  if (ANCHORED_ID.test(s)) return { digest: `sha256:${s}` };
  if (/^sha256:[a-f0-9]{64}$/.test(s)) return { digest: s };
  return parseNormalizedNamed(s);
}

/** Parses without throwing, for display code that skips what it cannot read. */
export function tryParseNormalizedNamed(s: string): Reference | undefined {
  try {
    return parseNormalizedNamed(s);
  } catch (e) {
    if (e instanceof ReferenceError) return undefined;
    throw e;
  }
}
