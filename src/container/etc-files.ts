import { promises as fsp, readFileSync } from 'node:fs';
import { buildHostnameFile, buildHostsFile } from '../runtime/spec/etc-files.js';
import { writeFileAtomic as writeFileDurably } from '../store/index.js';
import type { ContainerRecord } from './record.js';
import type { ContainerPaths } from './store.js';

/** Writes the container's /etc/hostname, /etc/hosts and /etc/resolv.conf (bind-mounted in). */
/** What /etc/hosts takes from outside the record: the `host-gateway` address, legacy links' entries. */
export interface HostsExtras {
  hostGatewayIps?: readonly string[];
  /** `--link` entries, `ip<TAB>alias id name` (moby addLegacyLinks). */
  links?: ReadonlyArray<{ ip: string; names: string }>;
}

/**
 * With `isDurable: false` (the start path's network step, which makes them again at every
 * start) the files are replaced by rename without fsync: a host crash loses nothing that the
 * next start would not write anew, and a start spares six fsyncs.
 */
export async function writeEtcFiles(rec: ContainerRecord, paths: ContainerPaths, containerIps: string[] = [], extras: HostsExtras = {}, o: { isDurable?: boolean; resolvConf?: string } = {}): Promise<void> {
  const write = o.isDurable === false ? replaceFile : writeFileDurably;
  const isHostNet = rec.hostConfig.NetworkMode === 'host';
  const hostname = rec.config.Hostname ?? rec.id.slice(0, 12);
  // Three files apart: written together.
  await Promise.all([write(paths.hostname, buildHostnameFile(hostname)), write(paths.hosts, buildHostsFile({
    extraHosts: rec.hostConfig.ExtraHosts ?? [],
    ...hostsExtrasInput(extras),
    hostname,
    domainname: rec.config.Domainname ?? '',
    containerIps,
    ...(isHostNet ? { hostNetworkHosts: readOr('/etc/hosts', '') } : {}),
  })), write(paths.resolvConf, o.resolvConf ?? buildResolvConf(readOr('/etc/resolv.conf', ''), {
    dns: rec.hostConfig.Dns ?? [],
    dnsSearch: rec.hostConfig.DnsSearch ?? [],
    dnsOptions: rec.hostConfig.DnsOptions ?? [],
    keepLocalhost: isHostNet,
  }))]);
}

/**
 * Rewrites a running container's /etc/hosts for its current addresses (network connect and
 * disconnect). In place, not by rename: the file is bind-mounted, and a rename would leave the
 * container reading the old inode (libnetwork rewrites it in place too).
 */
export async function rewriteHostsInPlace(rec: ContainerRecord, paths: ContainerPaths, containerIps: string[], extras: HostsExtras = {}): Promise<void> {
  const hostname = rec.config.Hostname ?? rec.id.slice(0, 12);
  await fsp.writeFile(paths.hosts, buildHostsFile({ extraHosts: rec.hostConfig.ExtraHosts ?? [], ...hostsExtrasInput(extras), hostname, domainname: rec.config.Domainname ?? '', containerIps }));
}

function hostsExtrasInput(extras: HostsExtras): { hostGatewayIps?: readonly string[]; links?: ReadonlyArray<{ ip: string; names: string }> } {
  return { ...(extras.hostGatewayIps ? { hostGatewayIps: extras.hostGatewayIps } : {}), ...(extras.links ? { links: extras.links } : {}) };
}

function readOr(file: string, fallback: string): string {
  try { return readFileSync(file, 'utf8'); } catch { return fallback; }
}

const DEFAULT_DNS = ['8.8.8.8', '8.8.4.4'];

/**
 * Docker's resolv.conf for a container (libnetwork resolvconf): the host's, with localhost
 * nameservers dropped outside host networking (they cannot be reached from the container's
 * namespace), Google's servers when none remain, and --dns/--dns-search/--dns-option replacing
 * the host's lines of that kind.
 */
export function buildResolvConf(host: string, o: { dns: string[]; dnsSearch: string[]; dnsOptions: string[]; keepLocalhost: boolean }): string {
  const lines = host.split('\n');
  const isLocal = (ip: string) => /^127\./.test(ip) || ip === '::1';
  let nameservers = lines.map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((x): x is string => !!x);
  if (!o.keepLocalhost) nameservers = nameservers.filter((ip) => !isLocal(ip));
  if (o.dns.length) nameservers = o.dns;
  if (nameservers.length === 0) nameservers = DEFAULT_DNS;
  const search = o.dnsSearch.length ? o.dnsSearch : lines.flatMap((l) => /^\s*(?:search|domain)\s+(.+)$/.exec(l)?.[1]?.trim().split(/\s+/) ?? []);
  const options = o.dnsOptions.length ? o.dnsOptions : lines.flatMap((l) => /^\s*options\s+(.+)$/.exec(l)?.[1]?.trim().split(/\s+/) ?? []);
  let out = '';
  for (const ns of nameservers) out += `nameserver ${ns}\n`;
  if (search.length && !(search.length === 1 && search[0] === '.')) out += `search ${search.join(' ')}\n`;
  if (options.length) out += `options ${options.join(' ')}\n`;
  return out;
}

/** A file replaced by rename, not synced (for files every start writes again). */
export async function replaceFile(target: string, data: string): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await fsp.writeFile(tmp, data, { mode: 0o644 });
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}
