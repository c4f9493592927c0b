/**
 * Where a registry name leads: the endpoints to try in order (mirrors first for Docker Hub
 * pulls, then the registry itself over https, then plain http for an insecure registry) and
 * the TLS settings for each (certs.d, insecure-registries), as moby's registry.Service does.
 */
import { promises as dnsp } from 'node:dns';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { InternalError, InvalidArgumentError, isErrno } from '../errors/index.js';
import type { TlsSettings } from './transport.js';

/** The name references use for Docker Hub, and where its registry and search index answer. */
export const HUB_DOMAIN = 'docker.io';
export const HUB_REGISTRY_URL = 'https://registry-1.docker.io';
export const HUB_INDEX_URL = 'https://index.docker.io';
/** The key docker's config.json stores Hub credentials under. */
export const HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export interface HostsConfig {
  registryMirrors: readonly string[];
  insecureRegistries: readonly string[];
  /** `certs.d` root: `<certsDir>/<host[:port]>/{*.crt,client.cert,client.key}`. */
  certsDir: string;
}

export interface Endpoint {
  /** Base URL, no trailing slash: "https://127.0.0.1:5000". */
  url: URL;
  tls: TlsSettings;
  isMirror: boolean;
}

interface Cidr { bytes: Buffer; bits: number }

/** Docker treats loopback as insecure without being told (registry.ServiceOptions defaults). */
const DEFAULT_INSECURE_CIDRS = ['127.0.0.0/8', '::1/128'];

function ipBytes(ip: string): Buffer | undefined {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) return undefined;
  const [head = '', tail = ''] = ip.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const v4 = t.length && t[t.length - 1]!.includes('.') ? t.pop()! : h.length && h[h.length - 1]!.includes('.') && !ip.includes('::') ? h.pop()! : undefined;
  const groups = 8 - (v4 ? 2 : 0);
  const fill = ip.includes('::') ? groups - h.length - t.length : 0;
  const all = [...h, ...Array<string>(fill).fill('0'), ...t];
  const buf = Buffer.alloc(16);
  all.forEach((g, i) => buf.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  if (v4) Buffer.from(v4.split('.').map(Number)).copy(buf, 12);
  return buf;
}

export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const bytes = ipBytes(s.slice(0, slash));
  const bits = Number(s.slice(slash + 1));
  if (!bytes || !Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) return undefined;
  return { bytes, bits };
}

function cidrContains(c: Cidr, ip: Buffer): boolean {
  if (c.bytes.length !== ip.length) return false;
  for (let bit = 0; bit < c.bits; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((c.bytes[byte]! & mask) !== (ip[byte]! & mask)) return false;
  }
  return true;
}

/** "host:port" → "host", "[::1]:5000" → "::1". */
export function hostnameOf(hostport: string): string {
  if (hostport.startsWith('[')) return hostport.slice(1, hostport.indexOf(']'));
  const colon = hostport.lastIndexOf(':');
  return colon > 0 && hostport.indexOf(':') === colon ? hostport.slice(0, colon) : hostport;
}

export class RegistryHosts {
  private readonly cidrs: Cidr[] = [];
  private readonly names = new Set<string>();
  private readonly mirrors: URL[];

  constructor(private readonly cfg: HostsConfig) {
    for (const entry of [...DEFAULT_INSECURE_CIDRS, ...cfg.insecureRegistries]) {
      const stripped = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      const cidr = parseCidr(stripped);
      if (cidr) this.cidrs.push(cidr);
      else this.names.add(stripped);
    }
    this.mirrors = cfg.registryMirrors.map((m) => {
      let u: URL;
      try { u = new URL(m); } catch { throw new InvalidArgumentError(`invalid mirror: "${m}" is not a valid URI`); }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`invalid mirror: unsupported scheme "${u.protocol.slice(0, -1)}" in "${m}"`);
      u.pathname = u.pathname.replace(/\/+$/, '');
      return u;
    });
  }

  /** moby's isSecureIndex: named insecure, or an address inside an insecure CIDR. */
  async isInsecure(hostport: string): Promise<boolean> {
    if (hostport === HUB_DOMAIN) return false;
    if (this.names.has(hostport) || this.names.has(hostnameOf(hostport))) return true;
    const host = hostnameOf(hostport);
    let addrs: string[];
    if (net.isIP(host)) addrs = [host];
    else {
      try { addrs = (await dnsp.lookup(host, { all: true })).map((a) => a.address); } catch { return false; }
    }
    return addrs.some((a) => {
      const b = ipBytes(a);
      return b !== undefined && this.cidrs.some((c) => cidrContains(c, b));
    });
  }

  /** Reads `<certsDir>/<hostport>/`: every `*.crt` is a CA, `client.cert` + `client.key` a client pair. */
  async tlsFor(hostport: string, skipVerify: boolean): Promise<TlsSettings> {
    const dir = path.join(this.cfg.certsDir, hostport.replace(/[/\\]/g, '_'));
    let names: string[];
    try { names = await fsp.readdir(dir); } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return { skipVerify };
      throw err;
    }
    const tls: TlsSettings = { skipVerify, ca: [] };
    for (const n of names.sort()) {
      if (n.endsWith('.crt')) tls.ca!.push(await fsp.readFile(path.join(dir, n)));
    }
    if (names.includes('client.cert') !== names.includes('client.key')) {
      throw new InvalidArgumentError(`missing ${names.includes('client.cert') ? 'key' : 'client certificate'} for client certificate ${path.join(dir, names.includes('client.cert') ? 'client.cert' : 'client.key')}`);
    }
    if (names.includes('client.cert')) {
      tls.cert = await fsp.readFile(path.join(dir, 'client.cert'));
      tls.key = await fsp.readFile(path.join(dir, 'client.key'));
    }
    return tls;
  }

  /** Endpoints for `domain`, in the order to try; mirrors only for Docker Hub pulls. */
  async endpoints(domain: string, opts: { isPush?: boolean } = {}): Promise<Endpoint[]> {
    const out: Endpoint[] = [];
    if (domain === HUB_DOMAIN) {
      if (!opts.isPush) {
        for (const m of this.mirrors) {
          const insecure = await this.isInsecure(m.host);
          out.push({ url: m, tls: await this.tlsFor(m.host, insecure), isMirror: true });
        }
      }
      out.push({ url: new URL(HUB_REGISTRY_URL), tls: await this.tlsFor(HUB_DOMAIN, false), isMirror: false });
      return out;
    }
    const insecure = await this.isInsecure(domain);
    // A reference may name any port (the grammar allows digits); dockerd finds out it is out of
    // range when it dials, and answers with Go's words for that (500), never a URL parser's.
    const port = /:(\d+)$/.exec(domain)?.[1];
    if (port !== undefined && Number(port) > 65535) {
      throw new InternalError(`Get "${insecure ? 'http' : 'https'}://${domain}/v2/": dial tcp: address ${port}: invalid port`);
    }
    out.push({ url: new URL(`https://${domain}`), tls: await this.tlsFor(domain, insecure), isMirror: false });
    if (insecure) out.push({ url: new URL(`http://${domain}`), tls: {}, isMirror: false });
    return out;
  }

  /** Where `/v1/search` answers for an index name. */
  async searchEndpoints(indexName: string): Promise<Endpoint[]> {
    if (indexName === HUB_DOMAIN) return [{ url: new URL(HUB_INDEX_URL), tls: await this.tlsFor(HUB_DOMAIN, false), isMirror: false }];
    return this.endpoints(indexName, { isPush: true });
  }
}
