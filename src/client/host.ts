/**
 * Which daemon to talk to: `-H/--host`, then BERTH_HOST, then DOCKER_HOST, then
 * unix:///run/berth.sock. A host is a UNIX socket (unix:///path) or TCP (tcp://host:port),
 * the latter with TLS when the client is given TLS options (docker's --tls, --tlsverify).
 */

export const DEFAULT_HOST = 'unix:///run/berth.sock';
const DEFAULT_TCP_PORT = 2375;
const DEFAULT_TLS_PORT = 2376;

export type DaemonAddress =
  | { proto: 'unix'; socketPath: string; host: string }
  | { proto: 'tcp'; hostname: string; port: number; host: string };

export class HostError extends Error {}

/** The host string the CLI should use, from its flags and environment. */
export function selectHost(flagHosts: string[], env: NodeJS.ProcessEnv): string {
  if (flagHosts.length > 1) throw new HostError('Specify only one -H');
  if (flagHosts.length === 1 && flagHosts[0]) return flagHosts[0];
  return env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

/** Parses a host as docker's opts.ParseHost does for unix:// and tcp:// (port 2376 by default with TLS). */
export function parseHost(host: string, useTls = false): DaemonAddress {
  const trimmed = host.trim();
  const sep = trimmed.indexOf('://');
  if (sep < 0) {
    // docker reads a bare address as TCP ("foo" is tcp://foo:2375).
    if (trimmed === '') throw new HostError(`unable to parse berth host \`${host}\``);
    return parseHost(`tcp://${trimmed}`, useTls);
  }
  const proto = trimmed.slice(0, sep);
  const addr = trimmed.slice(sep + 3);
  switch (proto) {
    case 'unix':
      return { proto: 'unix', socketPath: addr || DEFAULT_HOST.slice('unix://'.length), host: trimmed };
    case 'tcp':
    case 'http': {
      const m = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(addr);
      if (!m) throw new HostError(`Invalid bind address format: ${addr}`);
      const hostname = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
      return { proto: 'tcp', hostname, port: m[2] ? Number(m[2]) : (useTls ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT), host: trimmed };
    }
    default:
      throw new HostError(`Invalid bind address format: ${host}`);
  }
}
