/**
 * `GET /images/search`: the registry search API (`/v1/search?q=&n=`) of the index a term
 * names ("127.0.0.1:5000/app" searches 127.0.0.1:5000 for "app"; a bare term searches Docker
 * Hub), filtered by is-official and stars as moby's searchImages does.
 */
import { InvalidArgumentError } from '../errors/index.js';
import type { Filters } from '../util/index.js';
import { checkFilterNames } from '../util/index.js';
import type { AuthConfig } from './auth.js';
import { responseError } from './errors.js';
import { HUB_DOMAIN, type RegistryHosts } from './hosts.js';
import { readBody, send } from './transport.js';
import { withEndpoints } from './session.js';
import type { TokenCache } from './auth.js';

export interface SearchResult {
  star_count: number;
  is_official: boolean;
  name: string;
  is_automated: boolean;
  description: string;
}

export const DEFAULT_SEARCH_LIMIT = 25;

/** registry.ParseSearchIndexInfo: the index a term names, and what to ask it for. */
export function splitSearchTerm(term: string): { index: string; remote: string } {
  const slash = term.indexOf('/');
  if (slash > 0) {
    const first = term.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      return { index: first === 'index.docker.io' ? HUB_DOMAIN : first, remote: term.slice(slash + 1) };
    }
  }
  return { index: HUB_DOMAIN, remote: term };
}

function boolOf(filters: Filters, key: string): boolean | undefined {
  const vals = filters.get(key);
  if (!vals?.length) return undefined;
  const v = vals[vals.length - 1]!.toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`invalid filter '${key}=${vals[vals.length - 1]}'`);
}

export async function searchImages(
  deps: { hosts: RegistryHosts; tokens: TokenCache },
  term: string,
  opts: { limit?: number; filters: Filters; auth: AuthConfig; signal?: AbortSignal },
): Promise<SearchResult[]> {
  checkFilterNames(opts.filters, ['is-automated', 'is-official', 'stars']);
  const isOfficial = boolOf(opts.filters, 'is-official');
  const isAutomated = boolOf(opts.filters, 'is-automated');
  let minStars = 0;
  for (const s of opts.filters.get('stars') ?? []) {
    const n = Number(s);
    if (!/^-?\d+$/.test(s)) throw new InvalidArgumentError(`invalid filter 'stars=${s}'`);
    minStars = Math.max(minStars, n);
  }
  const limit = opts.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidArgumentError(`limit ${limit} is outside the range of [1, 100]`);
  const { index, remote } = splitSearchTerm(term);
  const results = await withEndpoints(deps, index, { isSearch: true }, async (ep) => {
    const url = new URL(`${ep.url.href.replace(/\/+$/, '')}/v1/search`);
    url.searchParams.set('q', remote);
    url.searchParams.set('n', String(limit));
    const headers: Record<string, string> = {};
    if (opts.auth.username) headers.Authorization = `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password ?? ''}`).toString('base64')}`;
    const res = await send({ method: 'GET', url, headers, tls: ep.tls, signal: opts.signal });
    const body = await readBody(res, 16 * 1024 * 1024);
    if (res.status !== 200) throw responseError(res.status, body);
    let json: { results?: Array<Partial<SearchResult>> };
    try { json = JSON.parse(body.toString('utf8')) as typeof json; } catch (err) {
      throw new InvalidArgumentError(`invalid search response from ${url.host}: ${(err as Error).message}`);
    }
    return (json.results ?? []).map((r) => ({
      star_count: Number(r.star_count ?? 0),
      is_official: Boolean(r.is_official),
      name: String(r.name ?? ''),
      is_automated: Boolean(r.is_automated),
      description: String(r.description ?? ''),
    }));
  });
  return results
    .filter((r) => (isOfficial === undefined || r.is_official === isOfficial)
      && (isAutomated === undefined || r.is_automated === isAutomated)
      && r.star_count >= minStars)
    .slice(0, limit);
}
