import { InvalidArgumentError, NotImplementedError } from '../errors/index.js';
import type { PortMap } from '../types/container.js';
import { isIpv6Text, parseIpv4 } from './cidr.js';

export type PortProtocol = 'tcp' | 'udp' | 'sctp';

/**
 * One published port as HostConfig.PortBindings asks for it. `hostPortEnd` > `hostPort` asks
 * for any free port of that range (`-p 8000-8010:80`); `hostPort` 0 asks for any free port.
 */
export interface PortRequest {
  hostIp: string;
  hostPort: number;
  hostPortEnd: number;
  containerPort: number;
  protocol: PortProtocol;
}

/** A published port once its host port is decided. */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

const PORT_RE = /^(\d+)(?:-(\d+))?$/;

function parsePortRange(text: string): [number, number] | undefined {
  const m = PORT_RE.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  if (start > 65535 || end > 65535 || end < start) return undefined;
  return [start, end];
}

/** nat.SplitProtoPort: `80/udp` → ['udp', '80']; tcp when none is given. */
function splitProtoPort(raw: string): [string, string] {
  const slash = raw.indexOf('/');
  if (slash < 0) return ['tcp', raw];
  return [raw.slice(slash + 1) || 'tcp', raw.slice(0, slash)];
}

/**
 * HostConfig.PortBindings → the ports to publish, checked as dockerd checks them at create
 * (`invalid port specification: "x"`). Keys are `<port>[/<proto>]`; a key that is a range maps
 * onto a host range of the same length, one port each, as the docker CLI sends them.
 */
export function parsePortBindings(bindings: PortMap | null | undefined): PortRequest[] {
  const out: PortRequest[] = [];
  for (const [key, list] of Object.entries(bindings ?? {})) {
    const [proto, portText] = splitProtoPort(key);
    const cRange = parsePortRange(portText);
    if (!cRange || portText === '') throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(portText)}`);
    const protocol = proto.toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw new InvalidArgumentError(`invalid proto: ${proto}`);
    for (const b of list ?? [{}]) {
      const hostIp = b.HostIp || '0.0.0.0';
      if (isIpv6Text(hostIp)) throw new NotImplementedError(`berth does not publish ports on IPv6 addresses yet: ${hostIp}`);
      if (parseIpv4(hostIp) === undefined) throw new InvalidArgumentError(`invalid IP address: ${hostIp}`);
      const hostText = b.HostPort ?? '';
      const hRange = hostText === '' ? [0, 0] as [number, number] : parsePortRange(hostText);
      if (!hRange) throw new InvalidArgumentError(`invalid port specification: ${JSON.stringify(hostText)}`);
      const cLen = cRange[1] - cRange[0];
      if (cLen > 0 && hRange[0] !== 0 && hRange[1] - hRange[0] !== cLen) {
        throw new InvalidArgumentError(`invalid ranges specified for container and host Ports: ${portText} and ${hostText}`);
      }
      for (let i = 0; i <= cLen; i++) {
        const single = cLen > 0 && hRange[0] !== 0;
        out.push({
          hostIp, protocol: protocol as PortProtocol, containerPort: cRange[0] + i,
          hostPort: single ? hRange[0] + i : hRange[0],
          hostPortEnd: single ? hRange[0] + i : hRange[1],
        });
      }
    }
  }
  return out;
}

/** NetworkSettings.Ports as dockerd fills it: every binding under its container port key. */
export function portMapOf(mappings: readonly PortMapping[], exposed: readonly string[] = []): PortMap {
  const out: PortMap = {};
  for (const key of exposed) out[key] = null;
  for (const m of mappings) {
    const key = `${m.containerPort}/${m.protocol}`;
    (out[key] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}
