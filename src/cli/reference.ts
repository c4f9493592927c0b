/**
 * Image references as the docker CLI parses them client-side (distribution/reference):
 * `busybox` is docker.io/library/busybox, `busybox:1` is tagged, `x@sha256:…` canonical.
 * The CLI needs this to print familiar names in `images` and to check `tag`/`import`
 * arguments before calling the daemon; the daemon keeps its own copy in image/ (the layer
 * rule keeps clients from importing it).
 */

const ALNUM = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6})(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const ANCHORED_ID = /^[a-f0-9]{64}$/;

const NAME_TOTAL_MAX = 255;
export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const OFFICIAL_PREFIX = 'library/';

export interface Reference {
  /** Fully qualified name: docker.io/library/busybox. */
  name: string;
  domain: string;
  /** Path after the domain: library/busybox. */
  path: string;
  tag?: string;
  digest?: string;
}

export class ReferenceError extends Error {}

function splitDomain(name: string): [string, string] {
  const i = name.indexOf('/');
  let domain: string;
  let rest: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    rest = name;
  } else {
    domain = name.slice(0, i);
    rest = name.slice(i + 1);
  }
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !rest.includes('/')) rest = OFFICIAL_PREFIX + rest;
  return [domain, rest];
}

/** reference.ParseNormalizedNamed: `busybox` → docker.io/library/busybox. */
export function parseNormalizedNamed(s: string): Reference {
  if (ANCHORED_ID.test(s)) throw new ReferenceError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  const [domain, remainder] = splitDomain(s);
  const cut = remainder.indexOf(':');
  const remoteName = cut >= 0 ? remainder.slice(0, cut) : remainder;
  if (remoteName.toLowerCase() !== remoteName) throw new ReferenceError(`invalid reference format: repository name (${remoteName}) must be lowercase`);
  return parse(`${domain}/${remainder}`);
}

/** reference.Parse of a full reference string. */
function parse(s: string): Reference {
  const m = REFERENCE.exec(s);
  if (!m) {
    if (s === '') throw new ReferenceError('repository name must have at least one component');
    if (REFERENCE.test(s.toLowerCase())) throw new ReferenceError('repository name must be lowercase');
    throw new ReferenceError('invalid reference format');
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_MAX) throw new ReferenceError(`repository name must not be more than ${NAME_TOTAL_MAX} characters`);
  const slash = name.indexOf('/');
  const ref: Reference = { name, domain: name.slice(0, slash), path: name.slice(slash + 1) };
  if (m[2]) ref.tag = m[2];
  if (m[3]) ref.digest = m[3];
  return ref;
}

/** reference.ParseAnyReference: a bare 64-hex ID is a digest reference. */
export function parseAnyReference(s: string): Reference | { digest: string } {
  if (ANCHORED_ID.test(s)) return { digest: `sha256:${s}` };
  if (/^sha256:[a-f0-9]{64}$/.test(s)) return { digest: s };
  return parseNormalizedNamed(s);
}

/** reference.FamiliarName: docker.io/library/busybox → busybox. */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return ref.name;
  return ref.path.startsWith(OFFICIAL_PREFIX) && !ref.path.slice(OFFICIAL_PREFIX.length).includes('/') ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
}

/** reference.FamiliarString: familiar name plus :tag and @digest. */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
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
