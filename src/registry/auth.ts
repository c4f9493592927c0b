/**
 * Registry authentication as the docker daemon does it: a request answered 401 carries a
 * `WWW-Authenticate` challenge; Basic sends the credentials, Bearer trades them (or nothing,
 * for anonymous pulls) at the challenge's realm for a token scoped to the repository. Tokens
 * are cached per realm, service, scope and user until shortly before they expire, and fetched
 * again when a registry rejects one.
 */
import { InvalidArgumentError } from '../errors/index.js';
import { RegistryAuthError, responseError } from './errors.js';
import { readBody, send, type TlsSettings } from './transport.js';

/** types.AuthConfig: what X-Registry-Auth and POST /auth carry. */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** Decodes X-Registry-Auth (base64url JSON; docker also accepts std base64). Empty → anonymous. */
export function decodeAuthHeader(header: string | undefined): AuthConfig {
  if (!header) return {};
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
  } catch {
    // moby ignores a header it cannot decode and pulls anonymously (registry.DecodeAuthConfig
    // errors are logged, not returned, for the image routes).
    return {};
  }
  if (typeof json !== 'object' || json === null) return {};
  const a = json as Record<string, unknown>;
  const pick = (k: string) => (typeof a[k] === 'string' && a[k] !== '' ? a[k] as string : undefined);
  const out: AuthConfig = {};
  for (const k of ['username', 'password', 'auth', 'email', 'serveraddress', 'identitytoken', 'registrytoken'] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  if (!out.username && out.auth) {
    const plain = Buffer.from(out.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) { out.username = plain.slice(0, colon); out.password = plain.slice(colon + 1); }
  }
  return out;
}

export interface Challenge { scheme: string; params: Record<string, string> }

/** Parses WWW-Authenticate values: `Bearer realm="…",service="…",scope="…"`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const v of values) {
    const m = /^\s*([A-Za-z][\w-]*)\s*(.*)$/.exec(v);
    if (!m) continue;
    const params: Record<string, string> = {};
    const re = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?/g;
    for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
    out.push({ scheme: m[1]!.toLowerCase(), params });
  }
  return out;
}

interface CachedToken { token: string; expiresAtMs: number }

/** Tokens shared by every pull and push of the daemon. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  get(key: string, nowMs = Date.now()): string | undefined {
    const t = this.tokens.get(key);
    if (!t) return undefined;
    if (t.expiresAtMs <= nowMs) { this.tokens.delete(key); return undefined; }
    return t.token;
  }
  set(key: string, token: string, expiresAtMs: number): void { this.tokens.set(key, { token, expiresAtMs }); }
  delete(key: string): void { this.tokens.delete(key); }
}

/** Docker asks for at least 60 s, and refreshes a little early. */
const MIN_TOKEN_TTL_S = 60;
const EARLY_REFRESH_MS = 5_000;

/**
 * The credentials of one session against one registry host: answers the challenge of the
 * host's /v2/ and hands out the Authorization header for each request.
 */
export class Authorizer {
  private challenge: Challenge | undefined;

  constructor(
    private readonly creds: AuthConfig,
    private readonly scopes: string[],
    private readonly cache: TokenCache,
    private readonly tls: (url: URL) => Promise<TlsSettings>,
    private readonly signal?: AbortSignal,
  ) {}

  get hasCredentials(): boolean { return Boolean(this.creds.username || this.creds.identitytoken || this.creds.registrytoken); }

  /** Remembers the challenge of a 401 answer; false when there is none berth can answer. */
  setChallenge(header: string | string[] | undefined): boolean {
    const all = parseChallenges(header);
    const chosen = all.find((c) => c.scheme === 'bearer' && c.params.realm) ?? all.find((c) => c.scheme === 'basic');
    if (!chosen) return false;
    this.challenge = chosen;
    return true;
  }

  get isKnown(): boolean { return this.challenge !== undefined; }

  /** A Basic challenge and no username to answer it with. */
  get needsBasicCredentials(): boolean { return this.challenge?.scheme === 'basic' && !this.creds.username && !this.creds.registrytoken; }

  /** The Authorization header for the next request, fetching a token if needed. */
  async header(): Promise<string | undefined> {
    if (this.creds.registrytoken) return `Bearer ${this.creds.registrytoken}`;
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === 'basic') {
      if (!this.creds.username) return undefined;
      return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
    }
    const key = this.tokenKey();
    const cached = this.cache.get(key);
    if (cached) return `Bearer ${cached}`;
    const token = await this.fetchToken(c);
    return `Bearer ${token}`;
  }

  /** A registry refused the token: forget it so the next header() fetches a fresh one. */
  invalidate(): void { if (this.challenge?.scheme === 'bearer') this.cache.delete(this.tokenKey()); }

  private tokenKey(): string {
    const c = this.challenge!;
    return [this.creds.username ?? '', c.params.realm, c.params.service ?? '', ...this.scopes].join('|');
  }

  private async fetchToken(c: Challenge): Promise<string> {
    let realm: URL;
    try { realm = new URL(c.params.realm!); } catch { throw new InvalidArgumentError(`invalid token realm ${JSON.stringify(c.params.realm)}`); }
    if (c.params.service) realm.searchParams.set('service', c.params.service);
    for (const s of this.scopes) realm.searchParams.append('scope', s);
    const headers: Record<string, string> = {};
    if (this.creds.username) {
      realm.searchParams.set('account', this.creds.username);
      headers.Authorization = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
    }
    const res = await send({ method: 'GET', url: realm, headers, tls: await this.tls(realm), signal: this.signal });
    const body = await readBody(res, 1024 * 1024);
    if (res.status === 401 || res.status === 403) {
      const err = responseError(res.status, body);
      throw new RegistryAuthError(err.errors.length ? err.message : 'unauthorized: incorrect username or password');
    }
    if (res.status !== 200) throw new RegistryAuthError(`token server ${realm.host}: ${responseError(res.status, body).message}`);
    let json: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try { json = JSON.parse(body.toString('utf8')) as typeof json; } catch { throw new RegistryAuthError(`token server ${realm.host} answered no JSON`); }
    const token = json.access_token || json.token;
    if (!token) throw new RegistryAuthError('authorization server did not include a token in the response');
    const ttlS = Math.max(json.expires_in ?? MIN_TOKEN_TTL_S, MIN_TOKEN_TTL_S);
    const issued = json.issued_at ? Date.parse(json.issued_at) : NaN;
    const start = Number.isFinite(issued) ? issued : Date.now();
    this.cache.set(this.tokenKey(), token, start + ttlS * 1000 - EARLY_REFRESH_MS);
    return token;
  }
}
