/**
 * Image references and digests, parsed as github.com/distribution/reference v0.6.0 and
 * github.com/opencontainers/go-digest v1.0.0 (the versions moby and the docker CLI vendor)
 * parse them. Error messages are theirs word for word: the docker CLI prints them and scripts
 * match them. It lives in util/, not image/, because the CLI parses references too and may
 * import only the lowest layer; image/reference.ts adds what only the daemon needs.
 */
import { InvalidArgumentError } from '../errors/index.js';

/** "<algorithm>:<lowercase hex>" for sha256, sha384 or sha512; only `parseDigest` makes one. */
export type Digest = string & { readonly __brand: 'Digest' };

export interface Reference {
  /** "docker.io", "localhost:5000", "[::1]:5000"; "" only for odd names distribution leaves bare. */
  domain: string;
  /** "library/busybox", "a/b/c" */
  path: string;
  tag?: string;
  digest?: Digest;
}

// distribution/reference's regexp.go, piece by piece. JavaScript's backtracking picks the
// same submatches as Go's leftmost-first RE2, so the captured domain and path agree.
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `[a-z0-9]+(?:${separator}[a-z0-9]+)*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[(?:[a-fA-F0-9:]+)\\])`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPattern = '[\\w][\\w.-]{0,127}';
const digestPattern = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';

const referenceRe = new RegExp(
  `^((?:${domainAndPort}/)?${remoteName})(?::(${tagPattern}))?(?:@(${digestPattern}))?$`);
const nameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const tagRe = new RegExp(`^${tagPattern}$`);
const identifierRe = /^[a-f0-9]{64}$/;

/** Docker Hub's domain, which a name without one is on. */
export const DEFAULT_DOMAIN = 'docker.io';
const defaultDomain = DEFAULT_DOMAIN;
const legacyDefaultDomain = 'index.docker.io';
const officialRepoPrefix = 'library/';
const defaultTag = 'latest';
const repositoryNameMaxLength = 255;

/** Hex length per algorithm go-digest knows; anything else is "unsupported". */
const digestHexLength = new Map([['sha256', 64], ['sha384', 96], ['sha512', 128]]);
/** go-digest's DigestRegexpAnchored: tells an unknown algorithm from garbage. */
const goDigestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** go-digest v1.0.0's Digest.Validate: the message for `s`, or undefined when valid. */
function digestProblem(s: string): string | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0 || colon + 1 === s.length) return 'invalid checksum digest format';
  const hexLength = digestHexLength.get(s.slice(0, colon));
  if (hexLength === undefined) {
    return goDigestRe.test(s) ? 'unsupported digest algorithm' : 'invalid checksum digest format';
  }
  const encoded = s.slice(colon + 1);
  if (encoded.length !== hexLength) return 'invalid checksum digest length';
  return /^[a-f0-9]+$/.test(encoded) ? undefined : 'invalid checksum digest format';
}

export function isDigest(s: string): s is Digest {
  return digestProblem(s) === undefined;
}

export function parseDigest(s: string): Digest {
  const problem = digestProblem(s);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
  return s as Digest;
}

/** A tag as `docker tag` and `?tag=` accept it. */
export function parseTag(s: string): string {
  if (!tagRe.test(s)) throw new InvalidArgumentError('invalid tag format');
  return s;
}

/** Builds a Reference without `tag`/`digest` keys when absent, so deepEqual sees one shape. */
function makeReference(domain: string, path: string, tag?: string, digest?: Digest): Reference {
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** distribution's Parse: the grammar as written, with no Docker Hub defaults. */
function parse(s: string): Reference {
  const match = referenceRe.exec(s);
  if (match === null) {
    // distribution retries lower-cased to tell an upper-case name from a malformed one.
    const lower = s.toLowerCase();
    const isUppercase = lower !== s && referenceRe.test(lower);
    throw new InvalidArgumentError(isUppercase ? 'repository name must be lowercase' : 'invalid reference format');
  }
  const [, name = '', tag, digest] = match;
  const [, domain = '', path = name] = nameRe.exec(name) ?? [];
  // v0.6.0 limits the path only; older releases counted the domain too.
  if (path.length > repositoryNameMaxLength) {
    throw new InvalidArgumentError(`repository name must not be more than ${repositoryNameMaxLength} characters`);
  }
  return makeReference(domain, path, tag, digest === undefined ? undefined : parseDigest(digest));
}

/**
 * distribution's splitDockerDomain: the first component is a registry only when it is
 * "localhost", holds "." or ":", or has upper case (Hub namespaces cannot); otherwise the
 * name is on Docker Hub, and a single-component Hub name is an official image.
 */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [defaultDomain, officialRepoPrefix + name];
  let domain = name.slice(0, slash);
  let remainder = name.slice(slash + 1);
  if (domain === legacyDefaultDomain) {
    domain = defaultDomain;
  } else if (domain !== 'localhost' && !/[.:]/.test(domain) && domain.toLowerCase() === domain) {
    domain = defaultDomain;
    remainder = name;
  }
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return [domain, remainder];
}

/** ParseNormalizedNamed: "busybox" -> docker.io/library/busybox; adds no default tag. */
export function parseNormalizedNamed(s: string): Reference {
  if (identifierRe.test(s)) {
    throw new InvalidArgumentError(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const colon = remainder.indexOf(':');
  const remote = colon < 0 ? remainder : remainder.slice(0, colon);
  if (remote.toLowerCase() !== remote) {
    throw new InvalidArgumentError(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

/** TagNameOnly: a bare name means its "latest" tag. */
export function withDefaultTag(r: Reference): Reference {
  if (r.tag !== undefined || r.digest !== undefined) return r;
  return makeReference(r.domain, r.path, defaultTag);
}

export function fullName(r: Reference): string {
  return r.domain === '' ? r.path : `${r.domain}/${r.path}`;
}

function withSuffixes(name: string, r: Reference): string {
  return name + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** "docker.io/library/busybox:latest", "name@sha256:...", "name:tag@sha256:..." */
export function toString(r: Reference): string {
  return withSuffixes(fullName(r), r);
}

/**
 * The name `docker images` shows: Docker Hub's domain dropped, and "library/" dropped when
 * one component remains ("library/foo/bar" keeps it, as distribution does).
 */
export function familiarName(r: Reference): string {
  if (r.domain !== defaultDomain) return fullName(r);
  const rest = r.path.startsWith(officialRepoPrefix) ? r.path.slice(officialRepoPrefix.length) : undefined;
  return rest !== undefined && !rest.includes('/') ? rest : r.path;
}

/** As RepoTags and RepoDigests show a reference: "busybox:latest", "user/app@sha256:...". */
export function familiarString(r: Reference): string {
  return withSuffixes(familiarName(r), r);
}
