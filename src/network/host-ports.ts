import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { errnoOf, InternalError } from '../errors/index.js';
import type { PortMapping, PortRequest } from './ports.js';

/** Which endpoint a reservation is for: dockerd names it in its message. */
export interface PortOwner {
  containerId: string;
  endpointName: string;
  endpointId: string;
  containerIp: string;
}

/**
 * Host ports berth has published. Ports are kernel NAT only (no proxy process holds them, ADR
 * 11), so berth keeps the table itself: a port it published is "already allocated", and a port
 * another process holds is found by binding it once (bind, close) before anything is set up.
 * Reservations are made one request at a time, so two starts cannot take the same port.
 */
export class HostPortAllocator {
  private readonly owned = new Map<string, PortMapping[]>();
  private tail: Promise<unknown> = Promise.resolve();

  /** After a restart: ports a re-adopted container already has. */
  adopt(containerId: string, mappings: readonly PortMapping[]): void {
    this.owned.set(containerId, [...(this.owned.get(containerId) ?? []), ...mappings]);
  }

  release(containerId: string): void {
    this.owned.delete(containerId);
  }

  mappingsOf(containerId: string): PortMapping[] {
    return this.owned.get(containerId) ?? [];
  }

  /** Decides and reserves a host port for each request, or reserves nothing and throws dockerd's error. */
  reserve(owner: PortOwner, requests: readonly PortRequest[]): Promise<PortMapping[]> {
    const run = this.tail.then(() => this.reserveNow(owner, requests));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async reserveNow(owner: PortOwner, requests: readonly PortRequest[]): Promise<PortMapping[]> {
    const got: PortMapping[] = [];
    const fail = (reason: string): never => {
      throw new InternalError(`driver failed programming external connectivity on endpoint ${owner.endpointName} (${owner.endpointId}): ${reason}`);
    };
    for (const r of requests) {
      const isTaken = (port: number) => [...this.owned.values(), got].some((list) => list.some((m) => clashes(m, r.hostIp, port, r.protocol)));
      if (r.hostPort === 0) {
        got.push({ ...r, hostPort: await this.freePort(r, isTaken) });
        continue;
      }
      let chosen: number | undefined;
      let lastErr = '';
      for (let port = r.hostPort; port <= r.hostPortEnd && chosen === undefined; port++) {
        if (isTaken(port)) { lastErr = `Bind for ${r.hostIp}:${port} failed: port is already allocated`; continue; }
        const errno = await probe(r.hostIp, port, r.protocol);
        if (errno === undefined) chosen = port;
        else lastErr = `failed to bind host port for ${r.hostIp}:${port}:${owner.containerIp}:${r.containerPort}/${r.protocol}: ${errnoText(errno)}`;
      }
      if (chosen === undefined) fail(lastErr);
      got.push({ hostIp: r.hostIp, hostPort: chosen!, containerPort: r.containerPort, protocol: r.protocol });
    }
    this.adopt(owner.containerId, got);
    return got;
  }

  /** A port the kernel hands out for a bind to port 0 that berth has not published already. */
  private async freePort(r: PortRequest, isTaken: (port: number) => boolean): Promise<number> {
    if (r.protocol === 'sctp') {
      // No sctp sockets in Node to ask the kernel with: the first port of dockerd's dynamic range berth has not published.
      for (let port = 49153; port <= 60999; port++) if (!isTaken(port)) return port;
    }
    for (let attempt = 0; attempt < 20; attempt++) {
      const port = await ephemeralPort(r.hostIp, r.protocol);
      if (!isTaken(port)) return port;
    }
    throw new InternalError(`no free host port for ${r.hostIp}/${r.protocol}`);
  }
}

function clashes(m: PortMapping, hostIp: string, port: number, protocol: string): boolean {
  return m.protocol === protocol && m.hostPort === port && (m.hostIp === hostIp || m.hostIp === '0.0.0.0' || hostIp === '0.0.0.0');
}

function errnoText(code: string): string {
  switch (code) {
    case 'EADDRINUSE': return 'address already in use';
    case 'EADDRNOTAVAIL': return 'cannot assign requested address';
    case 'EACCES': return 'permission denied';
    default: return code;
  }
}

/** Binds once and closes: the errno when the port cannot be bound, undefined when it can. */
async function probe(host: string, port: number, protocol: string): Promise<string | undefined> {
  try {
    await bindAndClose(host, port, protocol);
    return undefined;
  } catch (err) {
    const code = errnoOf(err);
    if (code) return code;
    throw err;
  }
}

async function ephemeralPort(host: string, protocol: string): Promise<number> {
  return bindAndClose(host, 0, protocol);
}

/** sctp has no socket in Node: it is taken as free (netavark still programs its NAT). */
function bindAndClose(host: string, port: number, protocol: string): Promise<number> {
  if (protocol === 'udp') {
    return new Promise((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', (err) => { s.close(); reject(err); });
      s.bind({ address: host, port, exclusive: true }, () => {
        const got = s.address().port;
        s.close(() => resolve(got));
      });
    });
  }
  if (protocol === 'sctp') return Promise.resolve(port);
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen({ host, port, exclusive: true }, () => {
      const addr = s.address();
      const got = typeof addr === 'object' && addr ? addr.port : port;
      s.close(() => resolve(got));
    });
  });
}
