import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import path from 'node:path';
import { tryLockFile, unlockFile } from '../sys/index.js';
import { exec } from '../util/index.js';
import type { NetavarkOptions, NetavarkStatus } from './netavark.js';
import { addToBridge, hostNetnsPath, inNetns, setIpv6Default, setLinkUp } from './netns.js';

/**
 * What netavark 1.4's bridge setup does for a container, without netavark, for the one case
 * where netavark's own work is all iptables checks that find every rule in place (ADR 20,
 * 2026-12-08 "second pass"): a container's first interface on an IPv4 network that is not
 * internal, whose bridge and rules netavark made earlier in this daemon's life, publishing no
 * port. netavark would then run ~19 iptables processes (each fetching the whole ruleset) to
 * check what is there; berth makes the same interfaces with one `ip` process:
 * - in the container's namespace (berthd's main thread enters it to spawn `ip` there):
 *   IPv6 autoconf off for new interfaces (netavark's `disable_ipv6_autoconf` of the interface),
 *   the veth pair with the container's end named as netavark names it (`eth0`) and its static MAC,
 *   the host's end sent to the host's namespace, the address, the link up, the default route;
 * - in the host's: the host's end on the bridge and up (two ioctls);
 * - with DNS: the container's line appended to aardvark-dns's file of the network, under
 *   netavark's own lock file (`aardvark.lock`), and aardvark-dns told (SIGHUP), as netavark's
 *   `commit_netavark_entries` does.
 * Undone by netavark's teardown as a netavark setup is: it finds the interface by its name in
 * the namespace and the aardvark-dns line by the container's id.
 */
export interface DirectPlugDeps {
  /** netavark's --config: aardvark-dns's files are in `<configDir>/aardvark-dns`. */
  configDir: string;
}

/** Whether `opts` is the case above; `hasRules(network name)` says whether netavark made that network's rules. */
export function canPlugDirectly(d: DirectPlugDeps, opts: NetavarkOptions, hasRules: (name: string) => boolean): boolean {
  if ((opts.port_mappings?.length ?? 0) > 0) return false;
  const names = Object.keys(opts.networks);
  if (names.length !== 1) return false;
  const net = opts.network_info[names[0]!];
  const per = opts.networks[names[0]!]!;
  if (!net || net.internal || net.ipv6_enabled || !hasRules(net.name)) return false;
  if (per.interface_name !== 'eth0' || !per.static_mac || per.static_ips.length !== 1 || per.static_ips[0]!.includes(':')) return false;
  if (net.subnets.length !== 1 || net.subnets[0]!.subnet.includes(':')) return false;
  if (!existsSync(`/sys/class/net/${net.network_interface}/bridge`)) return false;
  if (net.dns_enabled) {
    const dir = path.join(d.configDir, 'aardvark-dns');
    if (!existsSync(path.join(dir, net.name)) || aardvarkPid(dir) === undefined) return false;
  }
  return true;
}

export async function plugDirectly(d: DirectPlugDeps, netnsPath: string, opts: NetavarkOptions): Promise<NetavarkStatus> {
  const name = Object.keys(opts.networks)[0]!;
  const net = opts.network_info[name]!;
  const per = opts.networks[name]!;
  const { subnet, gateway } = net.subnets[0]!;
  const prefix = subnet.split('/')[1]!;
  const address = per.static_ips[0]!;
  const ifname = per.interface_name;
  const mac = per.static_mac!.toLowerCase();
  const mtu = net.options?.mtu ? ` mtu ${Number(net.options.mtu)}` : '';
  const hostEnd = `vb${randomBytes(6).toString('hex')}`;
  const script = [
    `link add ${ifname} address ${mac}${mtu} type veth peer name ${hostEnd}${mtu} netns ${hostNetnsPath()}`,
    `link set ${ifname} up`,
    // As netavark: the subnet's broadcast address, the default route at metric 100 (its default).
    `addr add ${address}/${prefix} brd + dev ${ifname}`,
    `route add default via ${gateway} dev ${ifname} metric 100`,
  ].join('\n');
  // Spawned from inside the namespace; the promise settles back in the host's. The interface
  // is made with autoconf off (new interfaces take `conf/default`'s), which goes back after.
  let autoconf: string | undefined;
  const ran = inNetns(netnsPath, () => {
    autoconf = setIpv6Default('autoconf', '0');
    return exec('ip', ['-batch', '-'], { input: `${script}\n`, timeoutMs: 30_000 });
  });
  try {
    await ran;
  } finally {
    if (autoconf !== undefined && autoconf !== '0') inNetns(netnsPath, () => setIpv6Default('autoconf', autoconf!));
  }
  addToBridge(net.network_interface, hostEnd);
  setLinkUp(hostEnd);
  if (net.dns_enabled) await addDnsEntry(d, opts, net.name, address);
  return {
    [name]: {
      dns_search_domains: net.dns_enabled ? ['dns.podman'] : [],
      dns_server_ips: net.dns_enabled ? [gateway] : [...(opts.dns_servers ?? [])],
      interfaces: { [ifname]: { mac_address: mac, subnets: [{ ipnet: `${address}/${prefix}`, gateway }] } },
    },
  };
}

function aardvarkPid(dir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'aardvark.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** netavark's line for the container (`commit_entry`): id, IPv4s, IPv6s, names, its own DNS servers. */
export function aardvarkLine(opts: NetavarkOptions, network: string, ipv4: string): string {
  const names = [opts.container_name, ...(opts.networks[network]?.aliases ?? [])].join(',');
  const dns = opts.dns_servers?.length ? ` ${opts.dns_servers.join(',')}` : '';
  return `${opts.container_id} ${ipv4}  ${names}${dns}\n`;
}

async function addDnsEntry(d: DirectPlugDeps, opts: NetavarkOptions, network: string, ipv4: string): Promise<void> {
  const dir = path.join(d.configDir, 'aardvark-dns');
  const lockFile = path.join(d.configDir, 'aardvark.lock');
  let fd: number | undefined;
  for (let i = 0; fd === undefined; i++) {
    try {
      fd = tryLockFile(lockFile);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EWOULDBLOCK' && code !== 'EAGAIN') || i > 10_000) throw err;
      // A netavark beside holds it for one append.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  try {
    await fsp.appendFile(path.join(dir, network), aardvarkLine(opts, network, ipv4));
  } finally {
    unlockFile(fd);
  }
  const pid = aardvarkPid(dir);
  if (pid === undefined) throw new Error('aardvark-dns is not running');
  process.kill(pid, 'SIGHUP');
}

/**
 * What netavark 1.4's teardown does for a container whose interfaces go with its namespace and
 * that published no port: its aardvark-dns lines removed (`delete_entry`: the file rewritten
 * without the lines naming the container, deleted when only its header is left) and aardvark-dns
 * told. Its iptables part would find no rule of the container's to remove, and its interface
 * deletion nothing to delete. The caller holds netavark's exclusive hold: no setup appends meanwhile.
 */
export async function unplugDnsEntries(d: DirectPlugDeps, opts: NetavarkOptions): Promise<void> {
  const dir = path.join(d.configDir, 'aardvark-dns');
  let isModified = false;
  for (const net of Object.values(opts.network_info)) {
    if (!net.dns_enabled) continue;
    isModified = true;
    const file = path.join(dir, net.name);
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const kept = text.split('\n').filter((l) => l !== '' && !l.includes(opts.container_id));
    if (kept.length <= 1) await fsp.rm(file, { force: true });
    else await fsp.writeFile(file, `${kept.join('\n')}\n`);
  }
  if (!isModified) return;
  const pid = aardvarkPid(dir);
  if (pid !== undefined) process.kill(pid, 'SIGHUP');
}
