import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ConflictError, InternalError, InvalidArgumentError, NotFoundError, NotImplementedError } from '../errors/index.js';
import type { NetworkRecord } from '../network/index.js';
import type { EndpointSettings } from '../types/container.js';
import { rewriteHostsInPlace } from './etc-files.js';
import { endpointConfigOf, hostGatewayIps, networksOf, resolvConfFor, type ContainerNetworks } from './network.js';
import type { ContainerEndpointConfig, ContainerRecord } from './record.js';
import type { ContainerStore } from './store.js';

/**
 * `docker network connect` and `disconnect` (moby daemon/container_operations.go
 * `ConnectToNetwork`, `DisconnectFromNetwork`), with dockerd's checks and words. A stopped
 * container only changes its record (the networks it joins at its next start); a running one
 * is attached or detached in its namespace now, then recorded, and its /etc/hosts (and
 * /etc/resolv.conf when it gains its first network with DNS) rewritten. Everything happens
 * under the container's lock, so an exit's release cannot interleave.
 */
export class NetworkConnections {
  constructor(private readonly d: { store: ContainerStore; networks: ContainerNetworks }) {}

  async connect(idOrName: string, term: string, endpoint: EndpointSettings | null): Promise<void> {
    const { id } = this.d.store.resolve(idOrName);
    await this.d.store.withLock(id, async () => {
      const rec = this.d.store.resolve(id);
      checkNotRemoving(rec);
      const net = this.d.networks.find(term);
      checkModes(rec, net);
      const { name, config } = endpointConfigOf(this.d.networks, net.id, endpoint);
      if (!isRunning(rec)) {
        // dockerd keeps the first configuration of a network a stopped container already has.
        if (name in networksOf(rec)) return;
        await this.record(id, (cur) => ({ ...cur, [name]: config }));
        return;
      }
      if (rec.idMappings) throw new NotImplementedError('berth cannot connect a running container in a user namespace to a network yet');
      const hadDns = Object.keys(this.d.networks.endpointsOf(id)).some((n) => this.d.networks.find(n).dnsEnabled);
      const netnsPath = path.join(this.d.store.paths(id).run, 'netns');
      const result = await this.d.networks.attach({
        containerId: id, containerName: rec.name.replace(/^\//, ''), netnsPath,
        endpoints: [{ network: net.id, ...(config.aliases ? { aliases: config.aliases } : {}), ...(config.ipv4Address ? { ipv4Address: config.ipv4Address } : {}), ...(config.ipv6Address ? { ipv6Address: config.ipv6Address } : {}), ...(config.macAddress ? { macAddress: config.macAddress } : {}), ...(config.linkLocalIps ? { linkLocalIps: config.linkLocalIps } : {}) }],
      });
      try {
        await this.record(id, (cur) => ({ ...cur, [name]: config }));
      } catch (err) {
        await this.d.networks.detach(id, netnsPath, [net.id]);
        throw err;
      }
      await this.rewriteEtc(rec);
      if (result.dnsServer && !hadDns) {
        // Its first network with a DNS server: names resolve through aardvark-dns from now on, as
        // dockerd's sandbox switches to its embedded resolver. In place: the file is bind-mounted.
        await fsp.writeFile(this.d.store.paths(id).resolvConf, resolvConfFor(rec, result.dnsServer, result.dnsSearchDomains));
      }
    });
  }

  async disconnect(idOrName: string, term: string, force: boolean): Promise<void> {
    const { id } = this.d.store.resolve(idOrName);
    await this.d.store.withLock(id, async () => {
      const rec = this.d.store.resolve(id);
      let net: NetworkRecord | undefined;
      try {
        net = this.d.networks.find(term);
      } catch (err) {
        // `-f` takes a network that is gone off the record (moby: `err != nil && force`).
        if (!(err instanceof NotFoundError) || !force) throw err;
      }
      if (!isRunning(rec) || !net) {
        checkNotRemoving(rec);
        const name = net?.name ?? term;
        // dockerd's plain error: a 500.
        if (!(name in networksOf(rec))) throw new InternalError(`container ${rec.id} is not connected to the network ${name}`);
        await this.record(id, (cur) => Object.fromEntries(Object.entries(cur).filter(([n]) => n !== name)));
        return;
      }
      if (rec.hostConfig.NetworkMode === 'host' && net.driver === 'host') {
        throw new InvalidArgumentError('cannot disconnect container from host network - container was created in host network mode');
      }
      if (!(net.name in this.d.networks.endpointsOf(id))) throw new InternalError(`container ${rec.id} is not connected to network ${net.name}`);
      await this.d.networks.detach(id, path.join(this.d.store.paths(id).run, 'netns'), [net.id]);
      const name = net.name;
      await this.record(id, (cur) => Object.fromEntries(Object.entries(cur).filter(([n]) => n !== name)));
      await this.rewriteEtc(rec);
    });
  }

  private async record(id: string, change: (cur: Record<string, ContainerEndpointConfig>) => Record<string, ContainerEndpointConfig>): Promise<void> {
    await this.d.store.update(id, (cur) => ({ ...cur, networks: change(networksOf(cur)) }), { durable: true });
  }

  private async rewriteEtc(rec: ContainerRecord): Promise<void> {
    const addresses = Object.values(this.d.networks.endpointsOf(rec.id)).map((e) => e.IPAddress).filter(Boolean);
    await rewriteHostsInPlace(rec, this.d.store.paths(rec.id), addresses, { hostGatewayIps: hostGatewayIps(this.d.networks) });
  }
}

function isRunning(rec: ContainerRecord): boolean {
  return rec.state.status === 'running' || rec.state.status === 'paused';
}

/** moby errRemovalContainer. */
function checkNotRemoving(rec: ContainerRecord): void {
  if (rec.state.status === 'removing' || rec.state.status === 'dead') {
    throw new ConflictError(`Container ${rec.id} is marked for removal and cannot be connected or disconnected to the network`);
  }
}

/** moby `connectToNetwork` and `updateNetworkSettings`: which modes may join which networks. */
function checkModes(rec: ContainerRecord, net: NetworkRecord): void {
  const mode = rec.hostConfig.NetworkMode || 'default';
  if (mode.startsWith('container:') || (mode === 'host' && net.driver !== 'host')) {
    throw new InvalidArgumentError('container sharing network namespace with another container or host cannot be connected to any other network');
  }
  if (net.driver === 'host' && mode !== 'host') throw new InvalidArgumentError('cannot connect container to host network - container must be created in host network mode');
  if (mode === 'none' || net.driver === 'null') throw new InvalidArgumentError('container cannot be connected to multiple networks with one of the networks in private (none) mode');
}
