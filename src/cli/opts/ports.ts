/**
 * `-p/--publish` and `--expose` as docker/go-connections nat parses them:
 * "[ip:][hostPort:]containerPort[/proto]" with port ranges, and the long form
 * "published=8080,target=80,protocol=udp". Keys are "80/tcp"; the daemon does the binding.
 */
import type { PortBinding } from '../../types/container.js';
import { canonicalIp } from './validators.js';

function parseUint16(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new Error('invalid port');
  return Number(s);
}

/** nat.ParsePortRange: "80" or "8000-8010". */
export function parsePortRange(ports: string): [number, number] {
  if (ports === '') throw new Error('empty string specified for ports');
  if (!ports.includes('-')) {
    const p = parseUint16(ports);
    return [p, p];
  }
  const parts = ports.split('-');
  const start = parseUint16(parts[0]!);
  const end = parseUint16(parts[1]!);
  if (end < start) throw new Error(`invalid range specified for port: ${ports}`);
  return [start, end];
}

/** nat.SplitProtoPort: "80/udp" → ["udp", "80"]; the protocol defaults to tcp. */
export function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split('/');
  if (raw.length === 0 || parts[0]!.length === 0) return ['', ''];
  if (parts.length === 1) return ['tcp', raw];
  if (parts[1]!.length === 0) return ['tcp', parts[0]!];
  return [parts[1]!, parts[0]!];
}

function splitParts(raw: string): [string, string, string] {
  const parts = raw.split(':');
  const n = parts.length;
  const containerPort = parts[n - 1]!;
  switch (n) {
    case 1: return ['', '', containerPort];
    case 2: return ['', parts[0]!, containerPort];
    case 3: return [parts[0]!, parts[1]!, containerPort];
    default: return [parts.slice(0, n - 2).join(':'), parts[n - 2]!, containerPort];
  }
}

interface PortMapping { port: string; binding: Required<Pick<PortBinding, 'HostIp' | 'HostPort'>> }

/** nat.ParsePortSpec. */
export function parsePortSpec(raw: string): PortMapping[] {
  let [ip, hostPort, containerPort] = splitParts(raw);
  const [proto, cport] = splitProtoPort(containerPort);
  containerPort = cport;
  if (ip !== '' && ip[0] === '[') {
    const close = ip.indexOf(']');
    if (close < 0 || close !== ip.length - 1) throw new Error(`invalid IP address ${ip}: address ${ip}: missing ']' in address`);
    ip = ip.slice(1, close);
  }
  if (ip !== '' && canonicalIp(ip) === undefined) throw new Error(`invalid IP address: ${ip}`);
  if (containerPort === '') throw new Error(`no port specified: ${raw}<empty>`);
  let start: number, end: number;
  try {
    [start, end] = parsePortRange(containerPort);
  } catch {
    throw new Error(`invalid containerPort: ${containerPort}`);
  }
  let hostStart = 0, hostEnd = 0;
  if (hostPort.length > 0) {
    try {
      [hostStart, hostEnd] = parsePortRange(hostPort);
    } catch {
      throw new Error(`invalid hostPort: ${hostPort}`);
    }
  }
  if (hostPort !== '' && end - start !== hostEnd - hostStart && end !== start) {
    throw new Error(`invalid ranges specified for container and host Ports: ${containerPort} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
  const out: PortMapping[] = [];
  for (let i = 0; i <= end - start; i++) {
    let hp = hostPort.length > 0 ? String(hostStart + i) : hostPort;
    if (start === end && hostStart !== hostEnd) hp = `${hp}-${hostEnd}`;
    out.push({ port: `${start + i}/${proto.toLowerCase()}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
}

/** convertToStandardNotation: the long "published=…,target=…" form becomes "published:target/proto". */
export function toStandardNotation(ports: string[]): string[] {
  return ports.map((publish) => {
    if (!publish.includes('=')) return publish;
    const params: Record<string, string> = { protocol: 'tcp' };
    for (const param of publish.split(',')) {
      const eq = param.indexOf('=');
      if (eq <= 0) throw new Error(`invalid publish opts format (should be name=value but got '${param}')`);
      params[param.slice(0, eq)] = param.slice(eq + 1);
    }
    return `${params.published ?? ''}:${params.target ?? ''}/${params.protocol}`;
  });
}

/** nat.ParsePortSpecs plus `--expose`: the exposed port set and the bindings. */
export function parsePorts(publish: string[], expose: string[]): { exposed: string[]; bindings: Record<string, PortMapping['binding'][]> } {
  const exposed: string[] = [];
  const bindings: Record<string, PortMapping['binding'][]> = {};
  for (const raw of toStandardNotation(publish)) {
    for (const m of parsePortSpec(raw)) {
      if (!exposed.includes(m.port)) exposed.push(m.port);
      (bindings[m.port] ??= []).push(m.binding);
    }
  }
  for (const e of expose) {
    if (e.includes(':')) throw new Error(`invalid port format for --expose: ${e}`);
    const [proto, port] = splitProtoPort(e);
    let start: number, end: number;
    try {
      [start, end] = parsePortRange(port);
    } catch (err) {
      throw new Error(`invalid range format for --expose: ${e}, error: ${goRangeError(port, err as Error)}`);
    }
    for (let i = start; i <= end; i++) {
      const p = `${i}/${proto}`;
      if (!exposed.includes(p)) exposed.push(p);
    }
  }
  return { exposed, bindings };
}

/** The strconv error Go's ParsePortRange would have returned. */
function goRangeError(port: string, err: Error): string {
  if (err.message !== 'invalid port') return err.message;
  const bad = port.includes('-') ? port.split('-').find((p) => !/^\d+$/.test(p) || Number(p) > 65535) ?? port : port;
  const why = /^\d+$/.test(bad) ? 'value out of range' : 'invalid syntax';
  return `strconv.ParseUint: parsing ${JSON.stringify(bad)}: ${why}`;
}
