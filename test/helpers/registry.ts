/**
 * Registries for tests: Debian's real `docker-registry` (distribution 2.8) on 127.0.0.1 at a
 * free port, optionally behind TLS made here with openssl, htpasswd Basic auth or token auth
 * served by a small JWT-signing token server; a fault proxy that corrupts, cuts or redirects
 * blob downloads; and a stub of the v1 search API (the registry has none). Everything a
 * helper starts is stopped by the `stop()` it returns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import koffi from 'koffi';
import { exec, waitFor } from '../../src/util/index.js';
import { scratchDir } from './daemon.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Certs {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Token signing pair (self-signed; the registry's rootcertbundle). */
  tokenCert: string;
  tokenKey: string;
}

/** A CA, a server certificate for 127.0.0.1, a client certificate, and a token-signing pair. */
export async function makeCerts(dir: string): Promise<Certs> {
  await fsp.mkdir(dir, { recursive: true });
  const p = (n: string) => path.join(dir, n);
  const ossl = (args: string[]) => exec('openssl', args, { timeoutMs: 30_000 });
  await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=berth-test-ca']);
  await fsp.writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=127.0.0.1']);
  await ossl(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('server.ext')]);
  await fsp.writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  await ossl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=berth-test-client']);
  await ossl(['x509', '-req', '-in', p('client.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('client.crt'), '-days', '2', '-extfile', p('client.ext')]);
  await ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('token.key'), '-out', p('token.crt'), '-days', '2', '-subj', '/CN=berth-test-token']);
  return { dir, caCert: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key'), tokenCert: p('token.crt'), tokenKey: p('token.key') };
}

let cryptFn: ((phrase: string, setting: string) => string) | undefined;
let gensaltFn: ((prefix: string, count: number, rbytes: Buffer | null, n: number) => string) | undefined;

/** One htpasswd line with a bcrypt hash (libcrypt's, which the registry's Go bcrypt reads). */
export function htpasswdLine(user: string, password: string): string {
  if (!cryptFn || !gensaltFn) {
    const lib = koffi.load('libcrypt.so.1');
    cryptFn = lib.func('const char *crypt(const char *phrase, const char *setting)') as typeof cryptFn;
    gensaltFn = lib.func('const char *crypt_gensalt(const char *prefix, unsigned long count, const void *rbytes, int nrbytes)') as typeof gensaltFn;
  }
  const salt = gensaltFn!('$2b$', 5, null, 0);
  return `${user}:${cryptFn!(password, salt)}`;
}

export interface RegistryOptions {
  tls?: { cert: string; key: string; clientCa?: string };
  htpasswd?: Record<string, string>;
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Write the access log (one line per request, Apache combined format) into `log()`. */
  accessLog?: boolean;
}

export interface TestRegistry {
  /** "127.0.0.1:PORT" */
  host: string;
  url: string;
  dir: string;
  log: () => string;
  stop(): Promise<void>;
}

/** Starts `docker-registry serve` with a config written to a temp dir; waits until /v2/ answers. */
export async function startRegistry(name: string, opts: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await scratchDir(`registry-${name}`);
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:', '  level: warn', '  accesslog:', `    disabled: ${opts.accessLog ? 'false' : 'true'}`,
    'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`, `  secret: ${randomBytes(8).toString('hex')}`,
  ];
  if (opts.tls) {
    lines.push('  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`);
    if (opts.tls.clientCa) lines.push('    clientcas:', `      - ${opts.tls.clientCa}`);
  }
  if (opts.htpasswd) {
    const file = path.join(dir, 'htpasswd');
    await fsp.writeFile(file, Object.entries(opts.htpasswd).map(([u, p]) => htpasswdLine(u, p)).join('\n') + '\n');
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${file}`);
  } else if (opts.token) {
    const t = opts.token;
    lines.push('auth:', '  token:', `    realm: ${t.realm}`, `    service: ${t.service}`, `    issuer: ${t.issuer}`, `    rootcertbundle: ${t.rootCertBundle}`);
  }
  const configFile = path.join(dir, 'config.yml');
  await fsp.writeFile(configFile, lines.join('\n') + '\n');
  const logFile = path.join(dir, 'registry.log');
  const fh = await fsp.open(logFile, 'a');
  const proc: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', configFile], { stdio: ['ignore', fh.fd, fh.fd] });
  await fh.close();
  const scheme = opts.tls ? 'https' : 'http';
  const reg: TestRegistry = {
    host: `127.0.0.1:${port}`,
    url: `${scheme}://127.0.0.1:${port}`,
    dir,
    log: () => { try { return readFileSync(logFile, 'utf8'); } catch { return ''; } },
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()));
        proc.kill('SIGTERM');
        await exited;
      }
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(`docker-registry ${name} to answer on ${reg.url}/v2/`, async () => {
      if (proc.exitCode !== null) throw new Error(`docker-registry exited with ${proc.exitCode}: ${reg.log()}`);
      return (await probe(`${reg.url}/v2/`, opts.tls)) ? true : undefined;
    }, { timeoutMs: 20_000 });
  } catch (err) {
    await reg.stop();
    throw err;
  }
  return reg;
}

function probe(url: string, tls: RegistryOptions['tls']): Promise<boolean> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https') ? https : http;
    const req = mod.get(url, { rejectUnauthorized: false }, (res) => { res.resume(); resolve(true); });
    // A registry that wants a client certificate answers the handshake with an alert: it is up.
    req.on('error', (err: NodeJS.ErrnoException) => resolve(Boolean(tls?.clientCa) && (err.code ?? '').startsWith('ERR_SSL')));
    req.setTimeout(2000, () => { req.destroy(); resolve(false); });
  });
}

/** Copies the umoci fixture (or any `oci:` layout) into a registry with skopeo. */
export async function seedImage(layoutRef: string, dest: string, opts: { creds?: string; certDir?: string; tlsVerify?: boolean } = {}): Promise<void> {
  const dir = await scratchDir('skopeo');
  try {
    const policy = path.join(dir, 'policy.json');
    await fsp.writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const args = ['--policy', policy, 'copy', '--quiet', `--dest-tls-verify=${opts.tlsVerify ?? false}`];
    if (opts.creds) args.push('--dest-creds', opts.creds);
    if (opts.certDir) args.push('--dest-cert-dir', opts.certDir);
    await exec('skopeo', [...args, layoutRef, `docker://${dest}`], { timeoutMs: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir } });
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

export interface TokenServer {
  realm: string;
  /** Token requests answered so far (successful or not). */
  requests: Array<{ scope: string[]; account?: string; status: number }>;
  stop(): Promise<void>;
}

/**
 * A token server the registry trusts: Basic credentials checked against `users`, a JWT
 * signed RS256 with the token key, its certificate in the `x5c` header (the registry checks
 * the chain against its rootcertbundle). Anonymous requests get pull when `anonymousPull`.
 */
export async function startTokenServer(opts: { certs: Certs; users: Record<string, string>; service: string; issuer: string; anonymousPull?: boolean; expiresInS?: number }): Promise<TokenServer> {
  const key = createPrivateKey(readFileSync(opts.certs.tokenKey));
  const certDer = new X509Certificate(readFileSync(opts.certs.tokenCert)).raw.toString('base64');
  const requests: TokenServer['requests'] = [];
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const scope = url.searchParams.getAll('scope');
    const auth = req.headers.authorization;
    let account: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [u, ...rest] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':');
      if (opts.users[u!] === undefined || opts.users[u!] !== rest.join(':')) {
        requests.push({ scope, account: u, status: 401 });
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      account = u;
    }
    const access = scope.flatMap((s) => {
      const [type, name, actions] = s.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const wanted = actions.split(',');
      const granted = account ? wanted : opts.anonymousPull ? wanted.filter((a) => a === 'pull') : [];
      return granted.length ? [{ type, name, actions: granted }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresInS ?? 300;
    const claims = { iss: opts.issuer, sub: account ?? '', aud: opts.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const signingInput = `${b64({ typ: 'JWT', alg: 'RS256', x5c: [certDer] })}.${b64(claims)}`;
    const token = `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
    requests.push({ scope, account, status: 200 });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export type Fault = 'none' | 'corrupt' | 'cut' | 'stall' | 'redirect' | 'status';

export interface FaultProxy {
  host: string;
  url: string;
  /** What the proxy does to blob GETs now; `times` limits how often (then it passes through). */
  set(fault: Fault, opts?: { times?: number; status?: number }): void;
  /** Blob GETs seen, with their Range header. */
  blobGets: Array<{ path: string; range?: string }>;
  /** Stalled responses whose client has since closed the connection. */
  stalledClosed(): number;
  /** Responses that reached their stall point (half sent, then silence). */
  stalled(): number;
  stop(): Promise<void>;
}

/** An HTTP proxy in front of a (plain http) registry that can break layer downloads. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  let fault: Fault = 'none';
  let times = Infinity;
  let faultStatus = 500;
  const blobGets: FaultProxy['blobGets'] = [];
  let stalledClosed = 0;
  let stalled = 0;
  const server = http.createServer((req, res) => {
    let reqPath = req.url ?? '/';
    const isRedirected = reqPath.startsWith('/redirected/');
    if (isRedirected) reqPath = reqPath.slice('/redirected'.length);
    const isBlobGet = req.method === 'GET' && /\/blobs\/sha256:/.test(reqPath) && !/\/uploads\//.test(reqPath);
    // Config blobs are small; only break layer downloads.
    let active: Fault = 'none';
    if (isBlobGet) {
      blobGets.push({ path: reqPath, ...(req.headers.range ? { range: req.headers.range } : {}) });
      if (fault !== 'none' && times > 0 && !isRedirected) active = fault;
    }
    if (active === 'redirect') {
      times--;
      res.writeHead(307, { Location: `/redirected${reqPath}` });
      res.end();
      return;
    }
    if (active === 'status') {
      times--;
      res.writeHead(faultStatus, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'service unavailable' }] }));
      return;
    }
    const headers = { ...req.headers, host: t.host };
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: reqPath, headers }, (ur) => {
      const size = Number(ur.headers['content-length'] ?? 0);
      const breakIt = (active === 'corrupt' || active === 'cut' || active === 'stall') && ur.statusCode === 200 && size > 4096;
      if (breakIt) times--;
      if (breakIt && active === 'stall') res.on('close', () => { stalledClosed++; });
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      if (!breakIt) { ur.pipe(res); return; }
      let seen = 0;
      const half = Math.floor(size / 2);
      ur.on('data', (c: Buffer) => {
        if ((active === 'cut' || active === 'stall') && seen + c.length >= half) {
          res.write(c.subarray(0, half - seen));
          ur.destroy();
          // cut: the connection drops; stall: it stays open and silent.
          if (active === 'cut') res.socket?.destroy();
          else stalled++;
          return;
        }
        if (active === 'corrupt' && seen <= half && seen + c.length > half) {
          const copy = Buffer.from(c);
          copy[half - seen] = copy[half - seen]! ^ 0xff;
          c = copy;
        }
        seen += c.length;
        res.write(c);
      });
      ur.on('end', () => { if (!ur.destroyed || active !== 'stall') res.end(); });
    });
    up.on('error', () => { res.destroy(); });
    req.pipe(up);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    set: (f, o = {}) => { fault = f; times = o.times ?? Infinity; faultStatus = o.status ?? 500; },
    blobGets,
    stalledClosed: () => stalledClosed,
    stalled: () => stalled,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

export interface SearchStub { host: string; queries: string[]; stop(): Promise<void> }

/** The v1 search API over a fixed result list (distribution 2.8 has no search). */
export async function startSearchStub(results: Array<{ name: string; description: string; star_count: number; is_official: boolean; is_automated?: boolean }>): Promise<SearchStub> {
  const queries: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') { res.writeHead(200, { 'Content-Type': 'application/json' }); res.end('{}'); return; }
    if (url.pathname !== '/v1/search') { res.writeHead(404); res.end(); return; }
    const q = url.searchParams.get('q') ?? '';
    queries.push(`${q}|n=${url.searchParams.get('n') ?? ''}`);
    const found = results.filter((r) => r.name.includes(q));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ num_results: found.length, query: q, results: found.map((r) => ({ is_automated: false, ...r })) }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return { host: `127.0.0.1:${port}`, queries, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
