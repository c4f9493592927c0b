/**
 * Image references as the daemon reads them: the grammar is shared with the CLI (util/), plus
 * the rules of the daemon's own routes.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { familiarName, parseNormalizedNamed, parseTag, withDefaultTag, type Reference } from '../util/index.js';

export {
  familiarName, familiarString, fullName, isDigest, parseDigest, parseNormalizedNamed, parseTag, toString, withDefaultTag,
  type Digest, type Reference,
} from '../util/index.js';

/**
 * The repo and tag query parameters of POST /images/{name}/tag, as moby's RepoTagReference
 * and postImagesTag read them: a tag in `tag` replaces one in `repo`, none means "latest".
 * An empty repo is refused here; moby answers 200 without tagging.
 */
export function parseRepositoryTag(repo: string, tag?: string): Reference {
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw new InvalidArgumentError('cannot import digest reference');
  const tagged = tag ? { domain: ref.domain, path: ref.path, tag: parseTag(tag) } : withDefaultTag(ref);
  // "sha256:abc" would read as an image ID rather than a tag.
  if (familiarName(tagged) === 'sha256') {
    throw new InvalidArgumentError('refusing to create an ambiguous tag using digest algorithm as name');
  }
  return tagged;
}

/**
 * True for "sha256:<hex>", "<64 hex>", or a shorter lowercase hex prefix, which docker
 * accepts as a short image ID. Names like "abc" are also valid references: callers try the
 * reference first and the ID prefix after, as moby's GetImage does.
 */
export function looksLikeIdPrefix(s: string): boolean {
  return /^(?:sha256:)?[a-f0-9]{1,64}$/.test(s);
}
