import { NotFoundError, NotImplementedError } from '../errors/index.js';
import type { AttachResult, NetworkService } from '../network/index.js';
import { writeFileAtomic } from '../store/index.js';
import type { PortMap } from '../types/container.js';
import { writeEtcFiles } from './etc-files.js';
import type { Preparer, StartContext } from './prepare/index.js';
import type { ContainerRecord } from './record.js';

/** What the container side uses of the network service (a fake in tests). */
export type ContainerNetworks = Pick<NetworkService, 'attach' | 'detach' | 'endpointsOf' | 'portsOf' | 'find'>;

/** Whether `mode` (HostConfig.NetworkMode) joins a bridge network berth manages. */
function bridgeNetworkOf(mode: string): string | undefined {
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return undefined;
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/** HostConfig.PortBindings, plus a free host port for each EXPOSEd port with `-P` (moby `getPortMapInfo`). */
export function portBindingsOf(rec: ContainerRecord): PortMap {
  const out: PortMap = { ...(rec.hostConfig.PortBindings ?? {}) };
  if (rec.hostConfig.PublishAllPorts) {
    for (const key of Object.keys(rec.config.ExposedPorts ?? {})) {
      const k = key.includes('/') ? key : `${key}/tcp`;
      if (!out[k] || out[k]!.length === 0) out[k] = [{ HostIp: '', HostPort: '' }];
    }
  }
  return out;
}

/**
 * The start path's network step: after the namespaces step made the container's network
 * namespace, attach it to its network (the default `bridge`, or the one NetworkMode names),
 * publish its ports, and rewrite /etc/hosts and /etc/resolv.conf for its address and DNS
 * server (aardvark-dns on user-defined networks, the host's servers on the default bridge).
 * Released by detaching, which also frees its addresses and host ports.
 */
export function networkPreparer(d: { networks: ContainerNetworks }): Preparer {
  return {
    name: 'network',
    async prepare(ctx: StartContext) {
      const { rec } = ctx;
      const network = bridgeNetworkOf(rec.hostConfig.NetworkMode || 'default');
      if (!network || ctx.networkMode !== 'default') return;
      if (!ctx.netnsPath) {
        // A remapped container's namespace is made by runc inside its user namespace, after this step.
        if (Object.keys(portBindingsOf(rec)).length > 0) throw new NotImplementedError('berth cannot publish ports of containers in user namespaces yet');
        return;
      }
      // A start only happens for a container that is not running: networks still recorded for it
      // are a previous run's that nobody released (a host restart, a crash between exit and release).
      await d.networks.detach(rec.id);
      const result = await d.networks.attach({
        containerId: rec.id, containerName: rec.name.replace(/^\//, ''), netnsPath: ctx.netnsPath,
        endpoints: [{ network }], portBindings: portBindingsOf(rec), dnsServers: rec.hostConfig.Dns ?? [],
      });
      await writeNetworkEtcFiles(rec, ctx, result);
    },
    async release(rec) {
      await d.networks.detach(rec.id);
    },
  };
}

async function writeNetworkEtcFiles(rec: ContainerRecord, ctx: StartContext, result: AttachResult): Promise<void> {
  await writeEtcFiles(rec, ctx.paths, result.addresses);
  if (!result.dnsServer) return;
  // User-defined networks: only aardvark-dns, which forwards other names to the container's
  // --dns servers or the host's (Docker's embedded resolver does the same at 127.0.0.11).
  const search = rec.hostConfig.DnsSearch?.length ? rec.hostConfig.DnsSearch : result.dnsSearchDomains;
  let text = `nameserver ${result.dnsServer}\n`;
  if (search.length) text += `search ${search.join(' ')}\n`;
  if (rec.hostConfig.DnsOptions?.length) text += `options ${rec.hostConfig.DnsOptions.join(' ')}\n`;
  await writeFileAtomic(ctx.paths.resolvConf, text);
}

/** NetworkSettings' parts that come from the network service (for view.ts). */
export function networkSettingsOf(networks: ContainerNetworks | undefined, rec: ContainerRecord): { networks: Record<string, unknown>; ports: PortMap } | undefined {
  if (!networks) return undefined;
  const eps = networks.endpointsOf(rec.id);
  if (Object.keys(eps).length === 0) return undefined;
  return { networks: eps, ports: networks.portsOf(rec.id) };
}

/** validateCreate's lookup: a network name berth has. */
export function networkExists(networks: ContainerNetworks | undefined): (name: string) => boolean {
  return (name) => {
    if (!networks) return false;
    try {
      networks.find(name);
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  };
}
