import { randomBytes } from 'node:crypto';
import { ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, NotImplementedError } from '../errors/index.js';
import type { EventBus } from '../events/index.js';
import { KeyedLock } from '../store/index.js';
import type { Filters, Logger } from '../util/index.js';
import { overlaps, parsePrefix, type Prefix } from './cidr.js';
import { OPT_ICC, OPT_MASQUERADE, parseBoolOption } from './bridge-options.js';
import { removeIdleNetavarkChains } from './firewall.js';
import { checkEndpointSettings, type EndpointCheck } from './endpoint-check.js';
import { matchListFilters, matchPruneFilters } from './filters.js';
import { readHostSubnets } from './host-routes.js';
import { HostPortAllocator } from './host-ports.js';
import { parsePrefix6 } from './cidr6.js';
import { planFromBip, planSubnets, planSubnets6, validateIpamConfig, type AddressPool, type IpamConfigIn } from './ipam.js';
import { Netavark } from './netavark.js';
import { netavarkNetwork, Sandboxes } from './sandboxes.js';
import { NetworkStore } from './store.js';
import type { SubnetPlan } from './ipam.js';
import type { AttachRequest, AttachResult, CreateNetworkRequest, EndpointSettingsOut, NetworkInspect, NetworkRecord } from './types.js';
import type { PortMap } from '../types/container.js';

export const DEFAULT_BRIDGE = 'bridge';
const PREDEFINED = ['bridge', 'host', 'none'];
const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
const OPT_MTU = 'com.docker.network.driver.mtu';
/** Bridge driver options berth honours, and those it accepts only at their default value. */
const DEFAULT_ONLY_OPTS: Record<string, string> = {
  'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
};

export interface NetworkServiceDeps {
  /** data-root/networks */
  root: string;
  /** exec-root/netavark: netavark's and aardvark-dns's per-daemon files. */
  configDir: string;
  events: EventBus;
  logger: Logger;
  defaultAddressPools: readonly AddressPool[];
  /** daemon.json `bip`; '' takes the default bridge's subnet from the pools. */
  bip: string;
  /** The default bridge's device (daemon.json `bridge`, default berth0: not docker0, so dockerd can run beside). */
  defaultBridgeName: string;
  netavarkBinary?: string;
  aardvarkBinary?: string;
  /** Subnets the host already uses; tests replace it. */
  hostSubnets?: (exceptDevice?: string) => Promise<Prefix[]>;
}

/**
 * Networks: the records (create, list, inspect, remove, prune) and the per-container part
 * (attach, detach) over netavark and aardvark-dns (ADR 12).
 *
 * Contract of the per-container part: the caller makes the network namespace, calls `attach`
 * before the runtime starts, and `detach` once the container has stopped (and before the
 * namespace goes, if it can: a namespace already gone is handled). Either call is serialised
 * per container. `attach` sets up everything or nothing: on any failure every step taken is
 * undone and the error is dockerd's. `detach` is idempotent. Both survive a daemon restart:
 * what `detach` needs is on disk from the moment `attach` begins.
 */
export class NetworkService {
  private readonly store: NetworkStore;
  private readonly ports = new HostPortAllocator();
  private readonly locks = new KeyedLock();
  /**
   * The shared chains' removal (when the last container left) and every setup exclude each
   * other: a setup that ran while the chains went failed with "No chain/target/match". Setups
   * in flight keep the chains; a removal under way finishes before a setup starts.
   */
  private setupsInFlight = 0;
  private chainRemoval: Promise<unknown> | undefined;
  private readonly sandboxes: Sandboxes;
  private readonly netavark: Netavark;

  constructor(private readonly d: NetworkServiceDeps) {
    this.store = new NetworkStore(d.root);
    const netavark = this.netavark = new Netavark({
      binary: d.netavarkBinary ?? '/usr/lib/podman/netavark',
      aardvarkBinary: d.aardvarkBinary ?? '/usr/lib/podman/aardvark-dns',
      configDir: d.configDir,
      logger: d.logger,
    });
    this.sandboxes = new Sandboxes({
      store: this.store, ports: this.ports, netavark, events: d.events, logger: d.logger,
      find: (term) => this.find(term),
      lockNetwork: (id, fn) => this.locks.run(`network:${id}`, fn),
      whenIdle: () => this.removeIdleChains(),
    });
  }

  /** Loads records, makes the predefined networks, and re-adopts the published ports of running containers. */
  async init(): Promise<void> {
    await this.store.init();
    for (const sb of this.store.sandboxes.values()) this.ports.adopt(sb.containerId, sb.ports);
    // An endpoint whose sandbox record is gone was being set up or torn down when berthd stopped.
    for (const rec of this.store.networks.values()) {
      const stale = Object.keys(rec.endpoints).filter((cid) => !this.store.sandboxes.has(cid));
      if (stale.length === 0) continue;
      for (const cid of stale) delete rec.endpoints[cid];
      await this.store.saveNetwork(rec);
    }
    await this.ensurePredefined();
  }

  private async ensurePredefined(): Promise<void> {
    const byName = (name: string) => [...this.store.networks.values()].find((r) => r.name === name && r.isPredefined);
    for (const [name, driver] of [['host', 'host'], ['none', 'null']] as const) {
      if (!byName(name)) await this.store.saveNetwork(this.newRecord({ name, driver, isPredefined: true }));
    }
    const current = byName(DEFAULT_BRIDGE);
    const wantBip = this.d.bip ? planFromBip(this.d.bip) : undefined;
    const idle = current !== undefined && Object.keys(current.endpoints).length === 0;
    const isStale = idle
      && ((wantBip && (current.subnets[0]?.subnet !== wantBip.subnet || current.subnets[0]?.gateway !== wantBip.gateway)) || current.bridge !== this.d.defaultBridgeName);
    // As dockerd makes its default bridge anew at each start: a subnet someone else took
    // meanwhile (another engine's bridge made while ours was down, a new LAN) is given up for a
    // free one, unless bip asks for it. Routes on our own bridge device do not count.
    const isTaken = idle && !wantBip && !isStale && await this.overlapsHost(current, this.d.defaultBridgeName);
    if (current && !isStale && !isTaken) return;
    if (isTaken) {
      // The old device may still hold the old address (and its route, beside the other's).
      this.d.logger.warn({ component: 'network', subnet: current.subnets[0]?.subnet }, 'the default bridge\'s subnet is used elsewhere on the host now: choosing another');
      await this.netavark.removeBridge(netavarkNetwork(current))
        .catch((err: unknown) => this.d.logger.warn({ component: 'network', err }, 'could not remove the idle default bridge'));
    }
    const used = [...await this.usedSubnets(current?.id)];
    const subnets = wantBip ? [wantBip] : planSubnets([], this.d.defaultAddressPools, used);
    const rec = this.newRecord({ name: DEFAULT_BRIDGE, driver: 'bridge', isPredefined: true });
    if (current) rec.id = current.id;
    rec.bridge = this.d.defaultBridgeName;
    rec.subnets = subnets;
    rec.options = {
      'com.docker.network.bridge.default_bridge': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
      'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
      [OPT_BRIDGE_NAME]: this.d.defaultBridgeName,
      [OPT_MTU]: '1500',
    };
    await this.store.saveNetwork(rec);
  }

  private newRecord(o: { name: string; driver: NetworkRecord['driver']; isPredefined: boolean }): NetworkRecord {
    return {
      id: randomBytes(32).toString('hex'), name: o.name, driver: o.driver, created: nowRfc3339Nano(),
      subnets: [], ipamConfig: [], ipamDriver: 'default', ipamOptions: null, internal: false, attachable: false,
      enableIPv6: false, options: {}, labels: {}, isPredefined: o.isPredefined, dnsEnabled: false, endpoints: {},
    };
  }

  private async overlapsHost(rec: NetworkRecord, ownDevice: string): Promise<boolean> {
    const host = await (this.d.hostSubnets ?? readHostSubnets)(ownDevice);
    return rec.subnets.some((s) => {
      const p = parsePrefix(s.subnet);
      return p !== undefined && host.some((h) => overlaps(h, p));
    });
  }

  /** Subnets a new network must not overlap: every network's, and the host's. */
  private async usedSubnets(exceptId?: string): Promise<Prefix[]> {
    const mine = [...this.store.networks.values()].filter((r) => r.id !== exceptId).flatMap((r) => r.subnets.map((s) => parsePrefix(s.subnet)!));
    return [...mine, ...await (this.d.hostSubnets ?? readHostSubnets)()];
  }

  /** moby FindNetwork: full id, then exact name, then unique id prefix. */
  find(term: string): NetworkRecord {
    const all = [...this.store.networks.values()];
    const byId = all.find((r) => r.id === term);
    if (byId) return byId;
    const byName = all.filter((r) => r.name === term);
    if (byName.length === 1) return byName[0]!;
    if (byName.length > 1) throw new InvalidArgumentError(`network ${term} is ambiguous (${byName.length} matches found on name)`);
    const byPrefix = term === '' ? [] : all.filter((r) => r.id.startsWith(term));
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new InvalidArgumentError(`network ${term} is ambiguous (${byPrefix.length} matches found based on ID prefix)`);
    throw new NotFoundError(`network ${term} not found`);
  }

  /** dockerd's checks of what a container asks of a network, before anything is set up; the network as found. */
  checkEndpoint(term: string, e: EndpointCheck): NetworkRecord {
    const rec = this.find(term);
    checkEndpointSettings(rec, e);
    return rec;
  }

  /** `POST /networks/create`. */
  async create(req: CreateNetworkRequest): Promise<{ Id: string; Warning: string }> {
    const name = req.Name;
    if (!name) throw new InvalidArgumentError('network name must not be empty');
    if (PREDEFINED.includes(name)) throw new ForbiddenError(`operation is not permitted on predefined ${name} network `);
    const driver = req.Driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw new ForbiddenError(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new NotFoundError(`could not find plugin ${driver} in v1 plugin registry: plugin not found`);
    if (req.Scope && req.Scope !== 'local') throw new InvalidArgumentError(`invalid scope ${req.Scope}: the bridge driver only has local scope`);
    if (req.Ingress) throw new NotImplementedError('berth does not support ingress networks');
    if (req.ConfigOnly || req.ConfigFrom?.Network) throw new NotImplementedError('berth does not support config-only networks');
    if (req.EnableIPv4 === false) throw new NotImplementedError('berth does not support networks without IPv4');
    const ipamDriver = req.IPAM?.Driver || 'default';
    if (ipamDriver !== 'default') throw new NotFoundError(`could not find plugin ${ipamDriver} in v1 plugin registry: plugin not found`);
    const ipamConfig: IpamConfigIn[] = req.IPAM?.Config ?? [];
    const enableIPv6 = req.EnableIPv6 === true || req.Options?.['com.docker.network.enable_ipv6'] === 'true';
    validateIpamConfig(ipamConfig, enableIPv6);
    const options = { ...(req.Options ?? {}) };
    delete options['com.docker.network.enable_ipv6'];
    checkBridgeOptions(options);
    return this.locks.run('create', async () => {
      if ([...this.store.networks.values()].some((r) => r.name === name)) throw new ConflictError(`network with name ${name} already exists`);
      const rec = this.newRecord({ name, driver: 'bridge', isPredefined: false });
      const bridge = options[OPT_BRIDGE_NAME] || `br-${rec.id.slice(0, 12)}`;
      const owner = [...this.store.networks.values()].find((r) => r.bridge === bridge);
      if (owner) throw new ConflictError(`bridge name ${bridge} is already used by network ${owner.name}`);
      rec.subnets = planSubnets(ipamConfig, this.d.defaultAddressPools, await this.usedSubnets());
      if (enableIPv6) {
        rec.enableIPv6 = true;
        rec.subnets6 = planSubnets6(ipamConfig, [...this.store.networks.values()].flatMap((r) => (r.subnets6 ?? []).map((x) => parsePrefix6(x.subnet)!)));
      }
      rec.bridge = bridge;
      rec.ipamConfig = ipamConfig.map((c) => ({ ...c }));
      rec.ipamOptions = req.IPAM?.Options ?? null;
      rec.internal = req.Internal === true;
      rec.attachable = req.Attachable === true;
      rec.options = options;
      rec.labels = { ...(req.Labels ?? {}) };
      rec.dnsEnabled = true;
      await this.store.saveNetwork(rec);
      this.d.events.publish('network', 'create', rec.id, { name, type: 'bridge' });
      return { Id: rec.id, Warning: '' };
    });
  }

  /** `GET /networks`: without containers, as dockerd's list. */
  list(filters: Filters): NetworkInspect[] {
    return this.sorted().filter((r) => matchListFilters(r, filters)).map((r) => toInspect(r, false));
  }

  /** `GET /networks/{id}`. */
  inspect(term: string): NetworkInspect {
    return toInspect(this.find(term), true);
  }

  /** `DELETE /networks/{id}`: refused for the predefined networks and while containers are attached. */
  async remove(term: string): Promise<void> {
    const found = this.find(term);
    if (found.isPredefined) throw new ForbiddenError(`${found.name} is a pre-defined network and cannot be removed`);
    await this.locks.run(`network:${found.id}`, async () => {
      const rec = this.store.networks.get(found.id);
      if (!rec) return;
      const eps = Object.values(rec.endpoints);
      if (eps.length > 0) {
        throw new ForbiddenError(`error while removing network: network ${rec.name} has active endpoints (${eps.map((e) => `name:"${e.containerName}" id:"${e.endpointId.slice(0, 12)}"`).join(', ')})`);
      }
      // The bridge stays between containers (ADR 20) and goes with its network, as dockerd's.
      await this.netavark.removeBridge(netavarkNetwork(rec));
      await this.store.deleteNetwork(rec.id);
      this.d.events.publish('network', 'destroy', rec.id, { name: rec.name, type: rec.driver });
    });
    await this.removeIdleChains();
  }

  /** `POST /networks/prune`: user-defined networks without containers. */
  async prune(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> {
    const deleted: string[] = [];
    for (const rec of this.sorted()) {
      if (rec.isPredefined || !matchPruneFilters(rec, filters) || Object.keys(rec.endpoints).length > 0) continue;
      try {
        await this.remove(rec.id);
        deleted.push(rec.name);
      } catch (err) {
        // Attached in the meantime: not unused any more, so not pruned (as dockerd skips it).
        if (err instanceof ForbiddenError || err instanceof NotFoundError) continue;
        throw err;
      }
    }
    // Go's nil slice: null when nothing went, as dockerd answers.
    return { NetworksDeleted: deleted.length > 0 ? deleted : null };
  }

  /** Sets up the container's networks in its namespace; see the class comment for the contract. */
  attach(req: AttachRequest, signal?: AbortSignal, onPlanned?: (planned: AttachResult) => void): Promise<AttachResult> {
    return this.locks.run(`container:${req.containerId}`, async () => {
      // Checked and counted in one synchronous step after the last wait: no removal can start between.
      for (let removal = this.chainRemoval; removal; removal = this.chainRemoval) await removal.catch(() => undefined);
      this.setupsInFlight++;
      try {
        return await this.sandboxes.attach(req, signal, onPlanned);
      } finally {
        this.setupsInFlight--;
      }
    });
  }

  /**
   * `attach` in two parts, for the start path: resolves once the container's addresses, ports
   * and DNS server are allocated and recorded (a refusal rejects here, before anything is set
   * up), with `done`, which settles when netavark has made the interfaces (rejecting, after
   * undoing its part, when that fails). The caller must await `done` before the container's
   * process runs, and before releasing.
   */
  attachEarly(req: AttachRequest, signal?: AbortSignal): Promise<{ planned: AttachResult; done: Promise<AttachResult> }> {
    return new Promise((resolve, reject) => {
      const done: Promise<AttachResult> = this.attach(req, signal, (planned) => resolve({ planned, done }));
      // Before `planned`, a failure is the caller's answer; after it, `done` carries it.
      done.catch(reject);
    });
  }

  /** Tears down the container's networks (all, or those named); a container without any is a no-op. */
  detach(containerId: string, netnsPath?: string, networks?: string[]): Promise<void> {
    return this.locks.run(`container:${containerId}`, () => this.sandboxes.detach(containerId, netnsPath, networks));
  }

  /**
   * `detach` of a stopped container whose namespace the caller drops right after: the veths go
   * with the namespace (the kernel deletes them in the background) and the bridges stay.
   */
  release(containerId: string): Promise<void> {
    return this.locks.run(`container:${containerId}`, () => this.sandboxes.detach(containerId, undefined, undefined, { namespaceGoes: true }));
  }

  /** NetworkSettings.Networks of a container, from the records (right after a restart too). */
  endpointsOf(containerId: string): Record<string, EndpointSettingsOut> {
    return this.sandboxes.settingsOf(containerId);
  }

  /** NetworkSettings.Ports' published part for a container. */
  portsOf(containerId: string): PortMap {
    return this.sandboxes.portsOf(containerId);
  }

  /** Ids of the containers attached to a network. */
  containersOf(term: string): string[] {
    return Object.keys(this.find(term).endpoints);
  }

  /**
   * Nothing runs inside berthd: netavark's rules and aardvark-dns stay for the containers (live
   * restore). The bridges no container uses go, with their chains, and the shared chains when
   * nothing is left in them: a daemon stopped with no containers running leaves nothing behind.
   */
  async close(): Promise<void> {
    await this.locks.run('create', async () => undefined);
    for (const rec of this.store.networks.values()) {
      if (rec.driver !== 'bridge' || !rec.bridge || rec.subnets.length === 0) continue;
      await this.locks.run(`network:${rec.id}`, async () => {
        if (Object.keys(rec.endpoints).length > 0) return;
        await this.netavark.removeBridge(netavarkNetwork(rec))
          .catch((err: unknown) => this.d.logger.warn({ component: 'network', network: rec.name, err }, 'could not remove an idle bridge'));
      });
    }
    await this.removeIdleChains().catch((err: unknown) => this.d.logger.warn({ component: 'network', err }, 'could not remove netavark\'s idle chains'));
    await this.netavark.close();
    // Records of released endpoints are written in the background.
    await this.store.flush();
  }

  private async removeIdleChains(): Promise<void> {
    if (this.store.sandboxes.size > 0 || this.setupsInFlight > 0 || this.chainRemoval) return;
    const removal = removeIdleNetavarkChains(this.d.logger);
    this.chainRemoval = removal;
    try {
      // Every network's rules are made again by its next netavark setup.
      if (await removal) this.netavark.forgetRules();
    } finally {
      if (this.chainRemoval === removal) this.chainRemoval = undefined;
    }
  }

  private sorted(): NetworkRecord[] {
    return [...this.store.networks.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

function checkBridgeOptions(options: Record<string, string>): void {
  for (const [k, v] of Object.entries(options)) {
    if (k === OPT_BRIDGE_NAME) {
      if (!/^[a-zA-Z0-9_.-]{1,15}$/.test(v)) throw new InvalidArgumentError(`invalid bridge name ${JSON.stringify(v)}: at most 15 letters, digits, '_', '.' or '-'`);
    } else if (k === OPT_MTU) {
      if (!/^\d+$/.test(v) || Number(v) < 68 || Number(v) > 65535) throw new InvalidArgumentError(`invalid MTU number: ${v}`);
    } else if (k === OPT_ICC || k === OPT_MASQUERADE) {
      parseBoolOption(k, v);
    } else if (k in DEFAULT_ONLY_OPTS) {
      if (v.toLowerCase() !== DEFAULT_ONLY_OPTS[k]) throw new NotImplementedError(`berth does not support the bridge option ${k}=${v}`);
    } else if (k.startsWith('com.docker.network.')) {
      throw new NotImplementedError(`berth does not support the bridge option ${k}`);
    }
  }
}

function toInspect(rec: NetworkRecord, withContainers: boolean): NetworkInspect {
  // As asked where asked (per family), else as berth picked.
  const asked = (v6: boolean) => rec.ipamConfig.filter((c) => (c.Subnet ?? '').includes(':') === v6);
  const family = (v6: boolean, plans: readonly SubnetPlan[]) => (asked(v6).length > 0
    ? asked(v6).map((c) => dropEmpty({ Subnet: c.Subnet, IPRange: c.IPRange, Gateway: c.Gateway, AuxiliaryAddresses: c.AuxiliaryAddresses }))
    : plans.map((s) => dropEmpty({ Subnet: s.subnet, IPRange: s.ipRange, Gateway: s.gateway })));
  const config = [...family(false, rec.subnets), ...(rec.enableIPv6 ? family(true, rec.subnets6 ?? []) : [])];
  const containers: NetworkInspect['Containers'] = {};
  if (withContainers) {
    const bits = parsePrefix(rec.subnets[0]?.subnet ?? '')?.bits ?? 0;
    const bits6 = parsePrefix6(rec.subnets6?.[0]?.subnet ?? '')?.bits ?? 0;
    for (const ep of Object.values(rec.endpoints)) {
      containers[ep.containerId] = { Name: ep.containerName, EndpointID: ep.endpointId, MacAddress: ep.macAddress, IPv4Address: `${ep.ipAddress}/${bits}`, IPv6Address: ep.ipv6Address ? `${ep.ipv6Address}/${bits6}` : '' };
    }
  }
  return {
    Name: rec.name, Id: rec.id, Created: rec.created, Scope: 'local', Driver: rec.driver,
    EnableIPv4: rec.driver === 'bridge', EnableIPv6: rec.enableIPv6,
    IPAM: { Driver: rec.ipamDriver, Options: rec.ipamOptions, Config: rec.driver === 'bridge' ? config : [] },
    Internal: rec.internal, Attachable: rec.attachable, Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false,
    Containers: containers, Options: rec.options, Labels: rec.labels,
  };
}

function dropEmpty<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === '') delete o[k];
  return o;
}

/** Go's RFC3339Nano as dockerd prints Created (nanoseconds from hrtime, trailing zeros trimmed). */
function nowRfc3339Nano(): string {
  const iso = new Date().toISOString();
  const nanos = `${iso.slice(20, 23)}${String(process.hrtime.bigint() % 1_000_000n).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${nanos ? `.${nanos}` : ''}Z`;
}
