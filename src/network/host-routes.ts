import fs from 'node:fs';
import { exec } from '../util/index.js';
import { masked, parseIpv4, parsePrefix, type Prefix } from './cidr.js';

/**
 * The IPv4 destinations the host already routes (main table) and the subnets of its addresses:
 * a new network's subnet must overlap none of them, which keeps it off docker0, another
 * berthd's bridges and the host's own LANs (as libnetwork's `netutils.CheckRouteOverlaps`).
 */
export async function readHostSubnets(exceptDevice?: string): Promise<Prefix[]> {
  const out: Prefix[] = [];
  const routes = JSON.parse((await exec('ip', ['-j', '-4', 'route', 'show', 'table', 'main'], { timeoutMs: 10_000 })).stdout.toString('utf8') || '[]') as Array<{ dst?: string; dev?: string }>;
  for (const r of routes) {
    if (!r.dst || r.dst === 'default' || (exceptDevice && r.dev === exceptDevice)) continue;
    const p = r.dst.includes('/') ? parsePrefix(r.dst) : parseIpv4(r.dst) !== undefined ? { addr: parseIpv4(r.dst)!, bits: 32 } : undefined;
    if (p) out.push(masked(p));
  }
  const links = JSON.parse((await exec('ip', ['-j', '-4', 'addr', 'show'], { timeoutMs: 10_000 })).stdout.toString('utf8') || '[]') as Array<{ ifname?: string; addr_info?: Array<{ local?: string; prefixlen?: number }> }>;
  for (const l of links) {
    if (exceptDevice && l.ifname === exceptDevice) continue;
    for (const a of l.addr_info ?? []) {
      const ip = a.local ? parseIpv4(a.local) : undefined;
      if (ip === undefined || a.prefixlen === undefined || ip >>> 24 === 127) continue;
      out.push(masked({ addr: ip, bits: a.prefixlen }));
    }
  }
  return out;
}

/**
 * dockerd's `--ip-forward` (default on): the bridge driver turns on IPv4 forwarding when the
 * daemon starts, so containers on bridges reach beyond the host from the first one on, and
 * what `docker info` and `docker run` say about forwarding is true from the start. (netavark
 * would turn it on at the first network setup anyway.) Returns whether berthd changed it.
 */
export function enableIPv4Forwarding(file = '/proc/sys/net/ipv4/ip_forward'): boolean {
  if (fs.readFileSync(file, 'utf8').trim() === '1') return false;
  fs.writeFileSync(file, '1\n');
  return true;
}
