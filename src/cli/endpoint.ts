/**
 * Which daemon the CLI talks to and how, as docker's CLI decides (cli/command/cli.go,
 * cli/flags/options.go): a named context from docker's own context store, or -H, BERTH_HOST,
 * DOCKER_HOST and the TLS flags. The store is docker's, under the config directory, so a
 * context made with `docker context create` serves both CLIs; berth only reads it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { selectHost, type ClientTls } from '../client/index.js';
import { defaultConfigDir, type ClientConfig } from './config-file.js';

export interface EndpointFlags {
  hosts: string[];
  /** --context/-c. */
  context?: string;
  /** --tls and --tlsverify as given, undefined when absent (their defaults come from the environment). */
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** TLS files by path, read when the client is made. */
export interface TlsFiles { caFile?: string; certFile?: string; keyFile?: string; verifyServer: boolean }

export interface Endpoint {
  host: string;
  /** The context in use: `default` is the flags and environment. */
  context: string;
  tls?: TlsFiles;
}

export class EndpointError extends Error {}

/** docker's resolveContextName: -H (or DOCKER_HOST) means the default context. */
export function contextName(f: EndpointFlags, env: NodeJS.ProcessEnv, config: ClientConfig): string {
  if (f.context && f.hosts.length > 0) throw new EndpointError('conflicting options: cannot specify both --host and --context');
  if (f.context) return f.context;
  if (f.hosts.length > 0) return 'default';
  if (env.BERTH_HOST || env.DOCKER_HOST) return 'default';
  if (env.DOCKER_CONTEXT) return env.DOCKER_CONTEXT;
  const current = config.file.currentContext;
  return typeof current === 'string' && current !== '' ? current : 'default';
}

export function resolveEndpoint(f: EndpointFlags, env: NodeJS.ProcessEnv, config: ClientConfig): Endpoint {
  const name = contextName(f, env, config);
  if (name !== 'default') return contextEndpoint(name, config.dir);
  return { host: selectHost(f.hosts, env), context: 'default', tls: flagTls(f, env) };
}

/**
 * docker's SetDefaultOptions: --tlsverify given at all, or DOCKER_TLS_VERIFY set, turns TLS
 * on; --tls (or DOCKER_TLS) alone is TLS without checking the daemon's certificate. Files
 * default to ca.pem, cert.pem, key.pem in DOCKER_CERT_PATH, else ~/.docker (DOCKER_CONFIG);
 * a default client certificate or key that does not exist is left out.
 */
export function flagTls(f: EndpointFlags, env: NodeJS.ProcessEnv): TlsFiles | undefined {
  const verify = f.tlsVerify ?? (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
  const isOn = f.tlsVerify !== undefined || verify || (f.tls ?? (env.DOCKER_TLS !== undefined && env.DOCKER_TLS !== ''));
  if (!isOn) return undefined;
  const dir = env.DOCKER_CERT_PATH || defaultConfigDir(env);
  const orDefault = (given: string | undefined, file: string): string | undefined => {
    if (given !== undefined) return given;
    const p = path.join(dir, file);
    return existsSync(p) ? p : undefined;
  };
  return { caFile: f.tlsCaCert ?? path.join(dir, 'ca.pem'), certFile: orDefault(f.tlsCert, 'cert.pem'), keyFile: orDefault(f.tlsKey, 'key.pem'), verifyServer: verify };
}

/** The context store's key for a name: its SHA-256, as docker's store names directories. */
export function contextId(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

interface ContextMeta { Name?: string; Endpoints?: { docker?: { Host?: string; SkipTLSVerify?: boolean } } }

/**
 * A named context: contexts/meta/<id>/meta.json holds the docker endpoint's Host and
 * SkipTLSVerify; contexts/tls/<id>/docker/ holds ca.pem, cert.pem and key.pem when the
 * context was created with them. TLS is on when either is there (docker's Endpoint.tlsConfig).
 */
function contextEndpoint(name: string, configDir: string): Endpoint {
  const id = contextId(name);
  const metaFile = path.join(configDir, 'contexts', 'meta', id, 'meta.json');
  let meta: ContextMeta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as ContextMeta;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new EndpointError(`context "${name}": context not found: open ${metaFile}: no such file or directory`);
    throw new EndpointError(`context "${name}": ${err.message}`);
  }
  const ep = meta.Endpoints?.docker;
  if (!ep?.Host) throw new EndpointError(`context "${name}": no docker endpoint`);
  const tlsDir = path.join(configDir, 'contexts', 'tls', id, 'docker');
  const file = (n: string): string | undefined => (existsSync(path.join(tlsDir, n)) ? path.join(tlsDir, n) : undefined);
  const files = { caFile: file('ca.pem'), certFile: file('cert.pem'), keyFile: file('key.pem') };
  const hasTlsData = Object.values(files).some((v) => v !== undefined);
  const skip = ep.SkipTLSVerify === true;
  return { host: ep.Host, context: name, tls: hasTlsData || skip ? { ...files, verifyServer: !skip } : undefined };
}

/** Reads the TLS files, failing as docker's Initialize does when one cannot be read. */
export function loadClientTls(t: TlsFiles): ClientTls {
  const read = (p: string | undefined): Buffer | undefined => {
    if (p === undefined) return undefined;
    try {
      return readFileSync(p);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new EndpointError(err.code === 'ENOENT' ? `open ${p}: no such file or directory` : `open ${p}: ${err.message}`);
    }
  };
  // The CA only matters when the daemon's certificate is checked (go-connections does the same).
  const ca = t.verifyServer ? read(t.caFile) : undefined;
  const cert = t.certFile !== undefined && t.keyFile !== undefined ? read(t.certFile) : undefined;
  const key = cert !== undefined ? read(t.keyFile) : undefined;
  return { ca, cert, key, verifyServer: t.verifyServer };
}
