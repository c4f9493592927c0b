/**
 * Opening a repository on the first endpoint that answers: mirrors, then the registry over
 * https, then (insecure registries only) plain http. A connection or TLS failure moves on to
 * the next endpoint, as moby's fallback does; every other answer is final.
 */
import { errnoOf, InternalError } from '../errors/index.js';
import { Authorizer, TokenCache, type AuthConfig } from './auth.js';
import { isNetworkError, isTlsError, RegistryResponseError } from './errors.js';
import type { Endpoint, RegistryHosts } from './hosts.js';
import { RepositoryClient } from './repository.js';

export interface SessionDeps { hosts: RegistryHosts; tokens: TokenCache }

/** Creates the client for one endpoint (no request yet). */
export function clientFor(deps: SessionDeps, endpoint: Endpoint, repoPath: string, creds: AuthConfig, scopes: string[], signal?: AbortSignal): RepositoryClient {
  const tlsOf = async (u: URL) => (u.protocol === 'https:' ? deps.hosts.tlsFor(u.host, await deps.hosts.isInsecure(u.host)) : {});
  return new RepositoryClient(endpoint, repoPath, new Authorizer(creds, scopes, deps.tokens, tlsOf, signal), signal);
}

/** Whether an error on `endpoint` lets the caller try the next endpoint. */
export function canFallBack(err: unknown, endpoint: Endpoint): boolean {
  if (isNetworkError(err) || isTlsError(err)) return true;
  // A mirror that lacks an image or refuses it sends the pull upstream.
  return endpoint.isMirror;
}

/**
 * Runs `fn` against each endpoint in turn until one succeeds or fails for a reason that
 * another endpoint would not change. `fn` is told whether it has committed to the endpoint
 * (started writing layers), after which no fallback happens.
 */
export async function withEndpoints<T>(
  deps: SessionDeps,
  domain: string,
  opts: { isPush?: boolean; isSearch?: boolean },
  fn: (endpoint: Endpoint) => Promise<T>,
): Promise<T> {
  const endpoints = opts.isSearch ? await deps.hosts.searchEndpoints(domain) : await deps.hosts.endpoints(domain, opts);
  let last: unknown;
  let tlsFailure: { err: unknown; ep: Endpoint } | undefined;
  for (const [i, ep] of endpoints.entries()) {
    try {
      return await fn(ep);
    } catch (err) {
      last = err;
      if (isTlsError(err)) tlsFailure ??= { err, ep };
      const isLast = i === endpoints.length - 1;
      if (isLast || !canFallBack(err, ep) || (err as { committed?: boolean }).committed) {
        // Plain http to a TLS port says only "400 Bad Request": the https failure explains more.
        if (tlsFailure && err instanceof RegistryResponseError && err.status === 400) throw unreachable(tlsFailure.err, tlsFailure.ep);
        throw unreachable(err, ep);
      }
    }
  }
  throw last;
}

/** A connection that never worked gets Docker's wording and a 503-ish class; others pass. */
function unreachable(err: unknown, ep: Endpoint): unknown {
  if (!(err instanceof Error) || !(isNetworkError(err) || isTlsError(err))) return err;
  const url = `${ep.url.href.replace(/\/+$/, '')}/v2/`;
  const port = ep.url.port || (ep.url.protocol === 'https:' ? '443' : '80');
  const addr = `${ep.url.hostname}:${port}`;
  const code = errnoOf(err);
  const why = code === 'ECONNREFUSED' ? `dial tcp ${addr}: connect: connection refused`
    : code === 'ETIMEDOUT' ? `dial tcp ${addr}: i/o timeout`
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `dial tcp: lookup ${ep.url.hostname}: no such host`
        : err.message;
  return new InternalError(`Get "${url}": ${why}`, { cause: err });
}
