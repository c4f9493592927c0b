import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { InternalError, isErrno } from '../errors/index.js';
import { unmount } from '../sys/index.js';
import { exec, ExecError, type Logger } from '../util/index.js';
import { canPlugDirectly, plugDirectly, unplugDnsEntries } from './direct-plug.js';

/** netavark 1.4's description of one network (its `network_info` entries). */
export interface NetavarkNetwork {
  /** berth passes the network's id: netavark names its iptables chains after a hash of this. */
  name: string;
  id: string;
  driver: 'bridge';
  network_interface: string;
  subnets: Array<{ subnet: string; gateway: string }>;
  ipv6_enabled: boolean;
  internal: boolean;
  dns_enabled: boolean;
  options?: Record<string, string>;
  ipam_options: { driver: 'host-local' };
}

export interface NetavarkPortMapping {
  host_ip: string;
  container_port: number;
  host_port: number;
  range: number;
  protocol: string;
}

/** What `netavark setup` and `teardown` read on stdin. */
export interface NetavarkOptions {
  container_id: string;
  container_name: string;
  port_mappings?: NetavarkPortMapping[];
  networks: Record<string, { static_ips: string[]; aliases: string[]; interface_name: string; static_mac?: string }>;
  network_info: Record<string, NetavarkNetwork>;
  /** The container's own upstream servers for aardvark-dns (`--dns`). */
  dns_servers?: string[];
}

/** What `netavark setup` prints, per network. */
export type NetavarkStatus = Record<string, {
  dns_search_domains?: string[];
  dns_server_ips?: string[];
  interfaces: Record<string, { mac_address: string; subnets?: Array<{ ipnet: string; gateway?: string }> }>;
}>;

export interface NetavarkDeps {
  binary: string;
  aardvarkBinary: string;
  /** Per daemon (exec-root/netavark): aardvark-dns's config and pid live here. */
  configDir: string;
  logger: Logger;
}

const TIMEOUT_MS = 60_000;
const DNS_RELOAD_WAIT_MS = 3_000;

/** Whether the process named in a pid file runs. */
async function isAlive(pidFile: string): Promise<boolean> {
  const pid = Number((await fsp.readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The host's UDP sockets bound to port 53 on an IPv4 address: address → socket inode (/proc/net/udp). */
export async function dnsListeners(table?: string): Promise<Map<string, string>> {
  const text = table ?? await fsp.readFile('/proc/net/udp', 'utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const m = /^([0-9A-F]{8}):0035$/.exec(f[1] ?? '');
    if (!m || !f[9]) continue;
    // Little-endian hex, as the kernel prints a __be32 on x86.
    const n = parseInt(m[1]!, 16);
    out.set([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.'), f[9]);
  }
  return out;
}

/**
 * The netavark driver (ADR 12): one process per setup or teardown, driven by the JSON above.
 * Stateless: callers keep the options they set up with and pass the same ones to teardown.
 *
 * Errors: a failed setup may leave parts behind (netavark 1.4 does not undo its own
 * failures), so `setup` tears down with the same options before it throws. `teardown` is
 * idempotent in effect: a namespace that is gone is replaced by an empty one holding a stand-in
 * for each interface (so netavark goes on to the bridge, the rules and aardvark), and messages
 * meaning "already gone" are logged, not thrown.
 */
export class Netavark {
  /**
   * One netavark at a time, but for setups that only add a container to networks already made.
   * netavark 1.4 checks for and then creates its iptables chains and the bridge without a lock
   * of its own (Podman holds its netavark.lock around every call): two containers of one network
   * started together (docker-compose `start` does) failed with `iptables: Chain already exists.`
   * And aardvark-dns's per-network file is created by the first setup, appended to by the next
   * ones and rewritten by a teardown. So every call is exclusive except a setup whose networks
   * all have their bridge (and so their chains) and, with DNS, their aardvark-dns file and
   * server, and which publishes no port (its chain is made by the first container with ports):
   * such setups only append (a veth, `-C` checks that find every rule, one line to the
   * aardvark-dns file, a SIGHUP), and run together (ADR 20, 2026-12-08).
   */
  private readonly lock = new SharedLock();
  /**
   * Networks whose bridge and iptables rules a netavark setup made (or found) in this daemon's
   * life, and that no call since may have removed (a full teardown, which removes them with the
   * network's last interface, or a bridge's removal): a container's setup on them may skip
   * netavark (`plugDirectly`). Not kept across restarts: the first setup after one checks again.
   */
  private readonly rulesMade = new Set<string>();

  constructor(private readonly d: NetavarkDeps) {}

  async setup(netnsPath: string, opts: NetavarkOptions, signal?: AbortSignal): Promise<NetavarkStatus> {
    await fsp.mkdir(this.d.configDir, { recursive: true, mode: 0o700 });
    try {
      const r = await this.run('setup', netnsPath, opts, signal);
      return typeof r === 'string' ? JSON.parse(r) as NetavarkStatus : r;
    } catch (err) {
      for (const n of Object.values(opts.network_info)) this.rulesMade.delete(n.name);
      await this.teardown(netnsPath, opts).catch((e: unknown) => this.d.logger.warn({ component: 'network', containerId: opts.container_id, err: e }, 'teardown after a failed setup failed'));
      throw err;
    }
  }

  /**
   * aardvark-dns 1.4 reloads on netavark's SIGHUP by stopping its servers and binding new ones:
   * until then its address refuses queries (`nslookup: write to '<gw>': Connection refused`).
   * The setup returns before that, and a container whose process ran at once and looked a name
   * up failed (seen once the interfaces were made beside the runtime's create). So a call that
   * touches networks with DNS waits, 3 s at most, until each of their gateways has a listener on
   * port 53 that is not the one before the call (or none, once the network's last entry went).
   * The wait is made under the netavark hold, so the listener the next exclusive call sees
   * before it is a settled one; setups run together may still see another's reload begin after
   * theirs ended.
   */
  private async withDnsReload<T>(cmd: 'setup' | 'teardown', opts: NetavarkOptions, call: () => Promise<T>): Promise<T> {
    const aardvark = path.join(this.d.configDir, 'aardvark-dns');
    const nets = Object.values(opts.network_info).filter((n) => n.dns_enabled)
      .map((n) => ({ file: path.join(aardvark, n.name), gateways: n.subnets.map((x) => x.gateway).filter((g) => !g.includes(':')) }));
    if (nets.length === 0) return call();
    const before = await dnsListeners();
    let result: T;
    try {
      result = await call();
    } catch (err) {
      // A teardown reports the interface it did not find after it has removed the entries and
      // signalled aardvark-dns (its errors are gathered): that reload is waited for too.
      if (cmd === 'teardown') await this.awaitDnsReload(nets, before, opts.container_id);
      throw err;
    }
    await this.awaitDnsReload(nets, before, opts.container_id);
    return result;
  }

  private async awaitDnsReload(nets: ReadonlyArray<{ file: string; gateways: string[] }>, before: ReadonlyMap<string, string>, containerId: string): Promise<void> {
    const deadline = Date.now() + DNS_RELOAD_WAIT_MS;
    for (;;) {
      // A teardown of a network's last entry may stop it: then its listeners go.
      const seen = await this.dnsSight();
      if (!seen.isAlive) return;
      const now = seen.listeners;
      const reloaded = nets.every((n) => (existsSync(n.file)
        ? n.gateways.every((g) => now.has(g) && now.get(g) !== before.get(g))
        : n.gateways.every((g) => !now.has(g))));
      if (reloaded) return;
      if (Date.now() > deadline) {
        this.d.logger.warn({ component: 'network', containerId }, 'aardvark-dns did not come back on the gateways after netavark');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private sight: Promise<{ isAlive: boolean; listeners: Map<string, string> }> | undefined;

  /**
   * Whether aardvark-dns runs and the port 53 listeners, read once for every waiter that asks
   * while a read is under way: ten containers started together poll together (each read of
   * /proc/net/udp lists every UDP socket of the host).
   */
  private dnsSight(): Promise<{ isAlive: boolean; listeners: Map<string, string> }> {
    this.sight ??= (async () => {
      try {
        const isUp = await isAlive(path.join(this.d.configDir, 'aardvark-dns', 'aardvark.pid'));
        return { isAlive: isUp, listeners: isUp ? await dnsListeners() : new Map<string, string>() };
      } finally {
        this.sight = undefined;
      }
    })();
    return this.sight;
  }

  /**
   * Undoes a setup. With `interfacesGo` the caller is about to drop the namespace, and the
   * kernel deletes the veth pairs with it (in the background, ~15 ms, against ~150 ms for
   * netavark's own deletion of each veth, which the caller would wait for): netavark is pointed
   * at an empty namespace, so it removes the port rules and DNS entries but finds no interface
   * to delete, and so never deletes the bridge or its chains either (ADR 20: bridges are kept
   * until their network goes). Its "no such device" for the missing interfaces is expected.
   */
  async teardown(netnsPath: string, opts: NetavarkOptions, o: { interfacesGo?: boolean } = {}): Promise<void> {
    await fsp.mkdir(this.d.configDir, { recursive: true, mode: 0o700 });
    let ns = netnsPath;
    let standIn: string | undefined;
    // netavark removes a network's bridge and rules with the last interface it deletes itself.
    if (!o.interfacesGo) for (const n of Object.values(opts.network_info)) this.rulesMade.delete(n.name);
    if (o.interfacesGo && (opts.port_mappings?.length ?? 0) === 0) {
      // Nothing of netavark's own is left to undo but aardvark-dns's lines (`unplugDnsEntries`).
      await this.lock.run(true, () => this.withDnsReload('teardown', opts, () => unplugDnsEntries({ configDir: this.d.configDir }, opts)));
      return;
    }
    if (o.interfacesGo) {
      ns = await this.emptyNetns();
    } else if (!existsSync(netnsPath)) {
      standIn = path.join(this.d.configDir, `standin-${opts.container_id.slice(0, 12)}`);
      await makeStandInNetns(standIn, Object.values(opts.networks).map((n) => n.interface_name));
      ns = standIn;
    }
    try {
      await this.run('teardown', ns, opts);
    } catch (err) {
      const msg = (err as Error).message;
      const parts = errorParts(msg.replace(/^netavark teardown: /, ''));
      // What is already gone: aardvark stopped or its entry removed, or the interface left with its namespace.
      const gone = (m: string) => /aardvark pid not found|IO error: No such file or directory|No such device/.test(m);
      const expected = (m: string) => o.interfacesGo === true && /^failed to delete container veth \S+: Netlink error: No such device/.test(m);
      if (parts.every((m) => gone(m) || expected(m))) {
        if (!parts.every(expected)) this.d.logger.warn({ component: 'network', containerId: opts.container_id, err: msg }, 'netavark teardown: some parts were already gone');
        return;
      }
      throw err;
    } finally {
      if (standIn) await removeNetnsFile(standIn);
    }
  }

  /**
   * Deletes a network's bridge and netavark's per-network chains (its NAT and port chains and
   * its rules in the shared ones): a teardown of a stand-in container whose interface is not on
   * the bridge, once no port is left on it, so netavark finds it empty and removes it all.
   * Nothing happens when the bridge is not there (netavark removed it with its chains).
   */
  async removeBridge(network: NetavarkNetwork): Promise<void> {
    this.rulesMade.delete(network.name);
    const brif = `/sys/class/net/${network.network_interface}/brif`;
    if (!existsSync(brif)) return;
    // Ports of namespaces dropped a moment ago are still going away with them.
    const deadline = Date.now() + 10_000;
    while ((await fsp.readdir(brif).catch(() => [])).length > 0) {
      if (Date.now() > deadline) throw new InternalError(`bridge ${network.network_interface} still has ports: ${(await fsp.readdir(brif).catch(() => [])).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const id = '0'.repeat(64);
    const standIn = path.join(this.d.configDir, `standin-bridge-${network.id.slice(0, 12)}`);
    await fsp.mkdir(this.d.configDir, { recursive: true, mode: 0o700 });
    await makeStandInNetns(standIn, ['eth0']);
    try {
      await this.run('teardown', standIn, {
        container_id: id, container_name: 'berth-bridge-removal', port_mappings: [],
        // An address per subnet is needed (netavark 1.4 panics on none); the gateways stand in.
        networks: { [network.name]: { static_ips: network.subnets.map((s) => s.gateway), aliases: [], interface_name: 'eth0' } },
        network_info: { [network.name]: { ...network, dns_enabled: false } },
      });
    } finally {
      await removeNetnsFile(standIn);
    }
  }

  /** After netavark's shared chains were removed: every network's rules are made again by its next setup. */
  forgetRules(): void {
    this.rulesMade.clear();
  }

  /** Unbinds the empty namespace (made again on the next use). */
  async close(): Promise<void> {
    this.emptyNs = undefined;
    await removeNetnsFile(path.join(this.d.configDir, 'empty-netns'));
  }

  private emptyNs: Promise<string> | undefined;

  /** A namespace with nothing but `lo`, per daemon, made once. */
  private emptyNetns(): Promise<string> {
    const file = path.join(this.d.configDir, 'empty-netns');
    const make = async () => {
      // A previous daemon's (killed before it could unbind it) is replaced.
      await removeNetnsFile(file);
      await fsp.writeFile(file, '', { mode: 0o444 });
      await exec('unshare', [`--net=${file}`, 'true'], { timeoutMs: 10_000 });
      return file;
    };
    this.emptyNs ??= make().catch((err: unknown) => { this.emptyNs = undefined; throw err; });
    return this.emptyNs;
  }

  /** netavark's output, or the status of a setup made without it (`plugDirectly`). */
  private async run(cmd: 'setup' | 'teardown', netnsPath: string, opts: NetavarkOptions, signal?: AbortSignal): Promise<string | NetavarkStatus> {
    const asked = performance.now();
    let held = asked;
    let ran = asked;
    let how = 'exclusive';
    const call = <T>(kind: string, fn: () => Promise<T>) => async (): Promise<T> => {
      held = performance.now();
      how = kind;
      try {
        return await this.withDnsReload(cmd, opts, async () => {
          try {
            return await fn();
          } finally {
            ran = performance.now();
          }
        });
      } finally {
        // Where a call's time goes: the hold, netavark (or the direct plug), aardvark-dns's reload (bench/network.mjs --trace).
        const end = performance.now();
        this.d.logger.debug({ component: 'network', containerId: opts.container_id, cmd, how, stepsMs: { hold: round(held - asked), run: round(ran - held), dnsReload: round(end - ran) }, totalMs: round(end - asked) }, 'netavark call');
      }
    };
    const netavark = async () => {
      const out = await this.runNow(cmd, netnsPath, opts, signal);
      // Known before the hold is let go: the setups waiting behind may then skip netavark.
      if (cmd === 'setup') for (const n of Object.values(opts.network_info)) this.rulesMade.add(n.name);
      return out;
    };
    const deps = { configDir: this.d.configDir };
    for (;;) {
      if (cmd === 'setup' && this.addsOnly(opts)) {
        // Checked again under the shared hold: an exclusive call before it may have removed a bridge.
        const shared = await this.lock.run(false, async () => {
          if (!this.addsOnly(opts)) return undefined;
          if (canPlugDirectly(deps, opts, (n) => this.rulesMade.has(n))) return { out: await call('direct', () => plugDirectly(deps, netnsPath, opts))() };
          return { out: await call('shared', netavark)() };
        });
        if (shared) return shared.out;
      }
      // The reload is awaited under the hold: the next call's "before" is then a settled listener.
      // A setup that waited for another one making the same bridge goes the shared way after all
      // (containers started together on a new network: one makes it, the others join).
      const out = await this.lock.run(true, async () => (cmd === 'setup' && this.addsOnly(opts) ? undefined : { out: await call('exclusive', netavark)() }));
      if (out) return out.out;
    }
  }

  /** Whether a setup finds everything it would create already there (see `lock`). */
  private addsOnly(opts: NetavarkOptions): boolean {
    if ((opts.port_mappings?.length ?? 0) > 0) return false;
    const nets = Object.values(opts.network_info);
    // netavark keeps aardvark-dns's files in `<config>/aardvark-dns`.
    const aardvark = path.join(this.d.configDir, 'aardvark-dns');
    if (nets.some((n) => n.dns_enabled) && !existsSync(path.join(aardvark, 'aardvark.pid'))) return false;
    return nets.every((n) => existsSync(`/sys/class/net/${n.network_interface}/bridge`) && (!n.dns_enabled || existsSync(path.join(aardvark, n.name))));
  }

  private async runNow(cmd: 'setup' | 'teardown', netnsPath: string, opts: NetavarkOptions, signal?: AbortSignal): Promise<string> {
    const args = ['--config', this.d.configDir, '--rootless', 'false', '--aardvark-binary', this.d.aardvarkBinary, cmd, netnsPath];
    const r = await exec(this.d.binary, args, {
      input: JSON.stringify(opts), timeoutMs: TIMEOUT_MS, allowFailure: true, ...(signal ? { signal } : {}),
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', NETAVARK_FW: 'iptables' },
    });
    if (r.code === 0) return r.stdout.toString('utf8');
    const text = `${r.stdout.toString('utf8')}\n${r.stderr}`;
    const m = /\{"error":.*\}/.exec(text);
    let message = text.trim();
    if (m) {
      try { message = (JSON.parse(m[0]) as { error: string }).error; } catch { /* not JSON after all: keep the raw text */ }
    }
    throw new InternalError(`netavark ${cmd}: ${message}`, { cause: new ExecError([this.d.binary, ...args], r.code, r.signal, r.stderr, false) });
  }
}

/** An empty namespace bound to `file` with a veth end named after each of the container's interfaces. */
async function makeStandInNetns(file: string, ifnames: readonly string[]): Promise<void> {
  await fsp.writeFile(file, '', { mode: 0o444 });
  await exec('unshare', [`--net=${file}`, 'ip', 'link', 'set', 'lo', 'up'], { timeoutMs: 10_000 });
  for (let i = 0; i < ifnames.length; i++) {
    await exec('nsenter', [`--net=${file}`, 'ip', 'link', 'add', ifnames[i]!, 'type', 'veth', 'peer', 'name', `standin${i}`], { timeoutMs: 10_000 });
  }
}

/** netavark's error text as a list: one message, or "multiple errors:" followed by "\n\t- " items. */
export function errorParts(message: string): string[] {
  const m = /^netavark encountered multiple errors:\n\t- ([\s\S]*)$/.exec(message);
  return m ? m[1]!.split('\n\t- ') : [message];
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

async function removeNetnsFile(file: string): Promise<void> {
  try {
    unmount(file, true);
  } catch (err) {
    if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT')) throw err;
  }
  await fsp.rm(file, { force: true });
}

/**
 * Shared and exclusive holds, first come first served: a shared hold waits only for an
 * exclusive one held or queued before it.
 */
export class SharedLock {
  private sharedHolders = 0;
  private isExclusivelyHeld = false;
  private readonly queue: Array<{ exclusive: boolean; go: () => void }> = [];

  async run<T>(exclusive: boolean, fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      this.queue.push({ exclusive, go });
      this.drain();
    });
    try {
      return await fn();
    } finally {
      if (exclusive) this.isExclusivelyHeld = false;
      else this.sharedHolders--;
      this.drain();
    }
  }

  private drain(): void {
    for (let next = this.queue[0]; next && !this.isExclusivelyHeld; next = this.queue[0]) {
      if (next.exclusive) {
        if (this.sharedHolders > 0) return;
        this.isExclusivelyHeld = true;
      } else {
        this.sharedHolders++;
      }
      this.queue.shift();
      next.go();
    }
  }
}
