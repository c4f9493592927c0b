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
    decodeComponent(path);
    for (const r of this.upgrades) {
      const m = r.re.exec(path);
      if (!m || r.method !== method) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeComponent(m[i + 1]!); });
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
    // Checked before routing, as Go's net/url parses the whole request URI before dockerd's mux.
    decodeComponent(path);
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) continue;
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeComponent(m[i + 1]!); });
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

/**
 * decodeURIComponent, with a malformed escape as the client's error (400) rather than the
 * URIError that would be a 500. The message is Go's (net/url), which dockerd answers with: a
 * `%` without two hex digits is `invalid URL escape "%A/"`; escapes that are not UTF-8 (Go
 * would pass the bytes on, a JS string cannot hold them) are named the same way.
 */
export function decodeComponent(s: string): string {
  const bad = /%(?![0-9A-Fa-f]{2})/.exec(s);
  if (bad) throw new InvalidArgumentError(`invalid URL escape ${JSON.stringify(s.slice(bad.index, bad.index + 3))}`);
  try {
    return decodeURIComponent(s);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    const run = [...s.matchAll(/(?:%[0-9A-Fa-f]{2})+/g)].find((m) => !isUtf8Escapes(m[0]));
    throw new InvalidArgumentError(`invalid URL escape ${JSON.stringify(run?.[0] ?? s)}`, { cause: err });
  }
}

function isUtf8Escapes(run: string): boolean {
  try {
    decodeURIComponent(run);
    return true;
  } catch {
    return false;
  }
}

/**
 * A request's query (`?a=b&c=%20`), checked for malformed escapes first: URLSearchParams
 * would silently turn them into U+FFFD, where dockerd (Go's ParseQuery) answers 400.
 */
export function parseQuery(search: string): URLSearchParams {
  decodeComponent(search.replace(/^\?/, ''));
  return new URLSearchParams(search);
}
