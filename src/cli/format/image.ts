/**
 * `images` rows, as docker's formatter/image.go builds them: one row per repository and
 * tag (and per digest with --digests), `<none>` for dangling images, IDs cut to 12
 * characters unless --no-trunc, sizes with 3 significant digits.
 */
import type { ImageSummary } from '../../client/index.js';
import { familiarName, tryParseNormalizedNamed } from '../reference.js';
import { makeRow, TABLE } from './formatter.js';
import { goTimeString } from './time.js';
import { humanSize, humanSizeWithPrecision, humanSince, truncateId } from './units.js';

const DEFAULT_TABLE = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
const DEFAULT_TABLE_DIGEST = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{if .CreatedSince }}{{.CreatedSince}}{{else}}N/A{{end}}\t{{.Size}}';
export const QUIET_FORMAT = '{{.ID}}';
const GO_ZERO_TIME = -62135596800;

export const IMAGE_HEADER: Record<string, string> = {
  ID: 'IMAGE ID',
  Repository: 'REPOSITORY',
  Tag: 'TAG',
  Digest: 'DIGEST',
  CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT',
  Size: 'SIZE',
  Containers: 'CONTAINERS',
  VirtualSize: 'SIZE',
  SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE',
};

/** formatter.NewImageFormat. */
export function imageFormat(source: string, quiet: boolean, digest: boolean): string {
  if (source === TABLE) return quiet ? QUIET_FORMAT : digest ? DEFAULT_TABLE_DIGEST : DEFAULT_TABLE;
  if (source === 'raw') {
    if (quiet) return 'image_id: {{.ID}}';
    return digest
      ? 'repository: {{ .Repository }}\ntag: {{.Tag}}\ndigest: {{.Digest}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n'
      : 'repository: {{ .Repository }}\ntag: {{.Tag}}\nimage_id: {{.ID}}\ncreated_at: {{.CreatedAt}}\nvirtual_size: {{.Size}}\n';
  }
  if (source.startsWith(TABLE) && digest && !source.includes('{{.Digest}}')) return `${source}\t{{.Digest}}`;
  return source;
}

export function isDangling(img: ImageSummary): boolean {
  const tags = img.RepoTags ?? [];
  const digests = img.RepoDigests ?? [];
  if (tags.length === 0 && digests.length === 0) return true;
  return tags.length === 1 && tags[0] === '<none>:<none>' && digests.length === 1 && digests[0] === '<none>@<none>';
}

export interface ImageRowOptions {
  trunc: boolean;
  nowMs?: number;
}

export function imageRow(img: ImageSummary, repo: string, tag: string, digest: string, opts: ImageRowOptions) {
  const size = img.Size ?? 0;
  const shared = img.SharedSize ?? 0;
  const containers = img.Containers ?? 0;
  return makeRow('*formatter.imageContext', {
    ID: opts.trunc ? truncateId(img.Id) : img.Id,
    Repository: repo,
    Tag: tag,
    Digest: digest,
    // Go's zero time (year 1) has no age: docker prints N/A for it.
    CreatedSince: img.Created === GO_ZERO_TIME ? '' : humanSince(img.Created, opts.nowMs),
    CreatedAt: goTimeString(img.Created * 1000),
    Size: humanSizeWithPrecision(size, 3),
    Containers: containers === -1 ? 'N/A' : String(containers),
    VirtualSize: humanSize(size),
    SharedSize: shared === -1 ? 'N/A' : humanSize(shared),
    UniqueSize: size === -1 || shared === -1 ? 'N/A' : humanSize(size - shared),
  });
}

/** The rows of one image: imageFormat's loop over tags and digests. */
export function imageRows(img: ImageSummary, opts: ImageRowOptions & { showDigests: boolean; needDigest: boolean }) {
  if (isDangling(img)) return [imageRow(img, '<none>', '<none>', '<none>', opts)];
  const repoTags = new Map<string, string[]>();
  const repoDigests = new Map<string, string[]>();
  for (const s of img.RepoTags ?? []) {
    const ref = tryParseNormalizedNamed(s);
    if (ref?.tag !== undefined) push(repoTags, familiarName(ref), ref.tag);
  }
  for (const s of img.RepoDigests ?? []) {
    const ref = tryParseNormalizedNamed(s);
    if (ref?.digest !== undefined) push(repoDigests, familiarName(ref), ref.digest);
  }
  const rows = [];
  for (const [repo, tags] of repoTags) {
    const digests = opts.needDigest ? (repoDigests.get(repo) ?? []) : [];
    repoDigests.delete(repo);
    for (const tag of tags) {
      if (digests.length === 0) rows.push(imageRow(img, repo, tag, '<none>', opts));
      for (const d of digests) rows.push(imageRow(img, repo, tag, d, opts));
    }
  }
  for (const [repo, digests] of repoDigests) {
    if (opts.showDigests) for (const d of digests) rows.push(imageRow(img, repo, '<none>', d, opts));
    else rows.push(imageRow(img, repo, '<none>', '', opts));
  }
  return rows;
}

function push(m: Map<string, string[]>, k: string, v: string): void {
  const list = m.get(k) ?? [];
  list.push(v);
  m.set(k, list);
}
