/**
 * Registry credentials as the docker CLI keeps them in config.json: `auths[server].auth`
 * (base64 "user:password"), or a credential helper (`credsStore` for all, `credHelpers` per
 * registry) run as `docker-credential-<name> get|store|erase`. Read to build the
 * X-Registry-Auth header; written by `login`/`logout`, keeping every other key of the file.
 */
import { promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { exec } from '../util/index.js';
import { DEFAULT_DOMAIN } from './reference.js';

/** Docker Hub's key in config.json (registry.IndexServer). */
export const HUB_SERVER = 'https://index.docker.io/v1/';

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/** The config.json key of a registry: Hub's URL for docker.io, else the host[:port]. */
export function serverKey(domain: string): string {
  return domain === DEFAULT_DOMAIN || domain === 'index.docker.io' ? HUB_SERVER : domain;
}

/** credentials.ConvertToHostname: "https://host:5000/v2/" → "host:5000". */
export function hostnameOf(server: string): string {
  return server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
}

interface RawConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [k: string]: unknown;
}

function readRaw(dir: string): RawConfig {
  try { return JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')) as RawConfig; } catch { return {}; }
}

function helperFor(cfg: RawConfig, server: string): string | undefined {
  const h = cfg.credHelpers?.[hostnameOf(server)] ?? cfg.credHelpers?.[server];
  return h || cfg.credsStore || undefined;
}

async function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await exec(`docker-credential-${helper}`, [action], { input, env: { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: env.HOME ?? '' }, allowFailure: true, timeoutMs: 30_000 })
    .catch((err: unknown) => { throw new Error(`error getting credentials - err: exec: "docker-credential-${helper}": executable file not found in $PATH, out: \`\``, { cause: err }); });
  if (r.code !== 0) {
    const out = (r.stdout.toString() || r.stderr).trim();
    if (action === 'get' && /credentials not found/i.test(out)) return '';
    throw new Error(`error ${action === 'get' ? 'getting' : action === 'store' ? 'storing' : 'erasing'} credentials - err: exit status ${r.code}, out: \`${out}\``);
  }
  return r.stdout.toString();
}

/** The credentials config.json holds for `server` (a key as serverKey() makes it). */
export async function getCredentials(dir: string, server: string, env: NodeJS.ProcessEnv): Promise<AuthConfig> {
  const cfg = readRaw(dir);
  const helper = helperFor(cfg, server);
  if (helper) {
    const out = await runHelper(helper, 'get', server, env);
    if (!out.trim()) return { serveraddress: server };
    const j = JSON.parse(out) as { Username?: string; Secret?: string };
    if (j.Username === '<token>') return { serveraddress: server, identitytoken: j.Secret ?? '' };
    return { username: j.Username ?? '', password: j.Secret ?? '', serveraddress: server };
  }
  const entry = cfg.auths?.[server] ?? Object.entries(cfg.auths ?? {}).find(([k]) => hostnameOf(k) === hostnameOf(server))?.[1];
  if (!entry) return { serveraddress: server };
  const out: AuthConfig = { serveraddress: server };
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon >= 0) { out.username = plain.slice(0, colon); out.password = plain.slice(colon + 1); }
  }
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return out;
}

/** X-Registry-Auth: base64url of the JSON AuthConfig, as registry.EncodeAuthConfig. */
export function encodeAuthHeader(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
}

async function writeRaw(dir: string, cfg: RawConfig): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'config.json');
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, JSON.stringify(cfg, null, '\t') + '\n', { mode: 0o600 });
  await fsp.rename(tmp, file);
}

/** Stores credentials; returns where (a helper's name, or undefined for the plain file). */
export async function storeCredentials(dir: string, server: string, auth: AuthConfig, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const cfg = readRaw(dir);
  const helper = helperFor(cfg, server);
  if (helper) {
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: server, Username: auth.identitytoken ? '<token>' : auth.username, Secret: auth.identitytoken || auth.password }), env);
    cfg.auths = { ...cfg.auths, [server]: {} };
    await writeRaw(dir, cfg);
    return helper;
  }
  cfg.auths = { ...cfg.auths, [server]: { auth: Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64'), ...(auth.identitytoken ? { identitytoken: auth.identitytoken } : {}) } };
  await writeRaw(dir, cfg);
  return undefined;
}

/** Removes credentials; false when there were none for `server`. */
export async function eraseCredentials(dir: string, server: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const cfg = readRaw(dir);
  const keys = Object.keys(cfg.auths ?? {}).filter((k) => k === server || hostnameOf(k) === hostnameOf(server));
  const helper = helperFor(cfg, server);
  if (!keys.length && !helper) return false;
  if (helper) await runHelper(helper, 'erase', server, env).catch(() => undefined);
  for (const k of keys) delete cfg.auths![k];
  await writeRaw(dir, cfg);
  return keys.length > 0 || Boolean(helper);
}
