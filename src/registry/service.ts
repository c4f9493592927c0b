import path from 'node:path';
/**
 * The registry side of the engine, as the API calls it: pull, push, login check and search.
 * Built once by the daemon over the image store; holds the token cache, the layer-origin
 * metadata and the pull/push bookkeeping shared by concurrent requests.
 */
import { InvalidArgumentError, UnauthorizedError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { parseNormalizedNamed, type ContentStore, type ImageStore, type Reference, type Snapshots } from '../image/index.js';
import type { Filters, Logger } from '../util/index.js';
import { TokenCache, type AuthConfig } from './auth.js';
import type { RetryPolicy } from './download.js';
import { RegistryAuthError, RegistryResponseError } from './errors.js';
import { HUB_DOMAIN, RegistryHosts, type HostsConfig } from './hosts.js';
import { inspectDistribution, type DistributionInspect } from './inspect.js';
import { parsePlatform } from './manifest.js';
import { PartialDownloads } from './partial.js';
import { DistributionMetadata } from './metadata.js';
import type { Emit } from './progress.js';
import { Puller } from './pull.js';
import { Pusher } from './push.js';
import { searchImages, type SearchResult } from './search.js';
import { clientFor, withEndpoints } from './session.js';

export interface RegistryServiceDeps {
  content: ContentStore;
  snapshots: Snapshots;
  store: ImageStore;
  events: EventBus;
  logger: Logger;
  hosts: HostsConfig;
  /** `<data-root>/distribution`: layer origins. */
  metadataDir: string;
  tmpDir: string;
  maxConcurrentDownloads: number;
  maxConcurrentUploads: number;
  retry?: RetryPolicy;
  chunkBytes?: number;
}

/** How long the bytes of an interrupted pull are kept for the next one once a prune runs. */
const PARTIAL_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export class RegistryService {
  private readonly hosts: RegistryHosts;
  private readonly tokens = new TokenCache();
  private readonly metadata: DistributionMetadata;
  private readonly puller: Puller;
  private readonly pusher: Pusher;
  private readonly partials: PartialDownloads;

  constructor(d: RegistryServiceDeps) {
    this.hosts = new RegistryHosts(d.hosts);
    this.metadata = new DistributionMetadata(d.metadataDir);
    this.partials = new PartialDownloads(path.join(d.metadataDir, 'partial'));
    const shared = { ...d, hosts: this.hosts, tokens: this.tokens, metadata: this.metadata, partials: this.partials };
    this.puller = new Puller(shared);
    this.pusher = new Pusher(shared);
  }

  async init(): Promise<void> { await this.metadata.init(); }

  /** Drops kept bytes of interrupted pulls untouched for a day (`docker image prune`, `system prune`); returns the bytes freed. */
  prunePartials(): Promise<number> {
    return this.partials.prune(PARTIAL_MAX_AGE_MS);
  }

  /** `fromImage` + `tag` as POST /images/create reads them: a tag may also be a digest. */
  static pullReference(fromImage: string, tag: string | undefined): Reference {
    const ref = parseNormalizedNamed(fromImage);
    if (tag) {
      if (tag.includes(':')) return { domain: ref.domain, path: ref.path, digest: parseNormalizedNamed(`${ref.domain}/${ref.path}@${tag}`).digest! };
      return parseNormalizedNamed(`${ref.domain}/${ref.path}:${tag}`);
    }
    return ref;
  }

  async pull(opts: { fromImage: string; tag?: string; platform?: string; auth: AuthConfig; emit: Emit; signal?: AbortSignal }): Promise<void> {
    const ref = RegistryService.pullReference(opts.fromImage, opts.tag);
    const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
    // moby: a name without tag or digest pulls every tag of the repository (`docker pull -a`).
    const allTags = ref.tag === undefined && ref.digest === undefined;
    await this.puller.pull({ ref, auth: opts.auth, platform, allTags, emit: opts.emit, signal: opts.signal });
  }

  async push(opts: { name: string; tag?: string; platform?: string; auth: AuthConfig; emit: Emit; signal?: AbortSignal }): Promise<void> {
    const named = parseNormalizedNamed(opts.name);
    if (named.digest) throw new InvalidArgumentError('cannot push a digest reference');
    const tag = opts.tag || named.tag;
    const ref: Reference = tag ? parseNormalizedNamed(`${named.domain}/${named.path}:${tag}`) : { domain: named.domain, path: named.path };
    const platform = opts.platform ? parsePlatform(opts.platform) : undefined;
    await this.pusher.push({ ref, auth: opts.auth, platform, emit: opts.emit, signal: opts.signal });
  }

  /** POST /auth: checks the credentials against the registry's /v2/. */
  async login(auth: AuthConfig, signal?: AbortSignal): Promise<{ Status: string; IdentityToken: string }> {
    const domain = registryDomain(auth.serveraddress);
    await withEndpoints({ hosts: this.hosts, tokens: this.tokens }, domain, { isPush: true }, async (ep) => {
      const repo = clientFor({ hosts: this.hosts, tokens: new TokenCache() }, ep, '', auth, [], signal);
      const url = `${ep.url.href.replace(/\/+$/, '')}/v2/`;
      try {
        await repo.ping();
        const res = await repo.request('GET', '/v2/');
        res.body.resume();
      } catch (err) {
        if (err instanceof RegistryResponseError || err instanceof RegistryAuthError) {
          const status = err instanceof RegistryResponseError ? err.status : 401;
          throw new UnauthorizedError(status === 401 ? `login attempt to ${url} failed with status: 401 Unauthorized` : `login attempt to ${url} failed with status: ${err.message}`, { cause: err });
        }
        throw err;
      }
    });
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }

  /** `GET /distribution/{name}/json`: the remote manifest's descriptor and platforms. */
  inspectDistribution(name: string, auth: AuthConfig, signal?: AbortSignal): Promise<DistributionInspect> {
    return inspectDistribution({ hosts: this.hosts, tokens: this.tokens }, name, auth, signal);
  }

  search(term: string, opts: { limit?: number; filters: Filters; auth: AuthConfig; signal?: AbortSignal }): Promise<SearchResult[]> {
    return searchImages({ hosts: this.hosts, tokens: this.tokens }, term, opts);
  }
}

/** The registry a login names: "" and Hub's addresses mean docker.io; a URL's host otherwise. */
export function registryDomain(serverAddress: string | undefined): string {
  const s = (serverAddress ?? '').trim();
  if (!s) return HUB_DOMAIN;
  const host = s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (host === 'index.docker.io' || host === 'registry-1.docker.io' || host === HUB_DOMAIN) return HUB_DOMAIN;
  return host;
}
