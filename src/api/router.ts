import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError, NotFoundError } from '../errors/index.js';
import { MAX_API_VERSION, MIN_API_VERSION, compareVersions } from './version.js';

/** What a handler gets: the request, its path parameters, query, API version and abort signal. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version the client asked for (MAX when unversioned). */
  version: string;
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal;
  requestId: string;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

/** A handler of an upgraded connection (attach, exec start): it owns the raw socket. */
export type UpgradeHandler = (ctx: Omit<Ctx, 'res'>, socket: import('node:stream').Duplex, head: Buffer) => Promise<void>;

interface Route { method: string; re: RegExp; names: string[]; handler: Handler }

/**
 * Routes by method and path pattern. `{name}` matches one segment; `{name:.*}` matches the
 * rest, slashes included (image names such as `localhost:5000/a/b:tag`), as moby's mux does.
 */
export class Router {
  private readonly routes: Route[] = [];
  private readonly upgrades: Array<Omit<Route, 'handler'> & { handler: UpgradeHandler }> = [];

  /** Registers the handler an `Upgrade:` request to this route gets. */
  addUpgrade(method: string, pattern: string, handler: UpgradeHandler): this {
    const probe = new Router().add(method, pattern, () => undefined);
    const r = probe.routes[0]!;
    this.upgrades.push({ method, re: r.re, names: r.names, handler });
    return this;
  }

  matchUpgrade(method: string, path: string): { handler: UpgradeHandler; params: Record<string, string> } | undefined {
    for (const r of this.upgrades) {
      const m = r.re.exec(path);
      if (!m || r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]!); });
      return { handler: r.handler, params };
    }
    return undefined;
  }

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const src = pattern.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)(:\\\.\*)?\}/g, (_m, name: string, greedy?: string) => {
      names.push(name);
      return greedy ? '(.+)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}/?$`), names, handler });
    return this;
  }

  /** Finds the handler for a request path without its version prefix. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]!); });
      return { handler: r.handler, params };
    }
    throw new NotFoundError('page not found');
  }
}

/** Splits `/v1.41/images/json` into version and path; checks the version is one berth serves. */
export function splitVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v(\d+\.\d+)(\/.*)$/.exec(pathname);
  if (!m) return { version: MAX_API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, MAX_API_VERSION) > 0) {
    throw new InvalidArgumentError(`client version ${version} is too new. Maximum supported API version is ${MAX_API_VERSION}`);
  }
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new InvalidArgumentError(`client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: m[2]! };
}
