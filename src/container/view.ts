import type { PortMap } from '../types/container.js';
import { humanDuration } from '../util/index.js';
import { mountPointJson } from './mounts.js';
import type { ContainerRecord } from './record.js';
import type { ContainerPaths } from './store.js';

/** ps's STATUS column as dockerd words it (container/state.go String()). */
export function statusText(rec: ContainerRecord, nowMs = Date.now()): string {
  const s = rec.state;
  const since = (t: string) => humanDuration(nowMs - Date.parse(t));
  switch (s.status) {
    case 'running': return `Up ${since(s.startedAt)}${healthSuffix(s.health?.Status)}`;
    case 'paused': return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting': return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'removing': return 'Removal In Progress';
    case 'dead': return 'Dead';
    case 'created': return 'Created';
    case 'exited': return s.finishedAt.startsWith('0001') ? `Exited (${s.exitCode})` : `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}

/** ps's health note (moby container.State.String). */
function healthSuffix(status: string | undefined): string {
  if (status === 'starting') return ' (health: starting)';
  return status ? ` (${status})` : '';
}

/** Docker's State object of container inspect. */
export function stateJson(rec: ContainerRecord): Record<string, unknown> {
  const s = rec.state;
  return {
    Status: s.status,
    Running: s.status === 'running' || s.status === 'paused' || s.status === 'restarting',
    Paused: s.status === 'paused',
    Restarting: s.status === 'restarting',
    OOMKilled: s.oomKilled,
    Dead: s.status === 'dead',
    Pid: s.status === 'running' || s.status === 'paused' ? s.pid : 0,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: s.startedAt,
    FinishedAt: s.finishedAt,
    ...(s.health ? { Health: s.health } : {}),
  };
}

/** `GET /containers/{id}/json`. */
export function inspectJson(rec: ContainerRecord, paths: ContainerPaths, lowerDirs: string[], extra: { sizeRw?: number; sizeRootFs?: number; execIds?: string[]; network?: { networks: Record<string, unknown>; ports: Record<string, unknown> } | undefined } = {}): Record<string, unknown> {
  const networkMode = rec.hostConfig.NetworkMode || 'default';
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: stateJson(rec),
    Image: rec.imageId,
    ResolvConfPath: paths.resolvConf,
    HostnamePath: paths.hostname,
    HostsPath: paths.hosts,
    LogPath: (rec.hostConfig.LogConfig?.Type ?? 'json-file') === 'json-file' ? paths.log : '',
    Name: rec.name,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: extra.execIds?.length ? extra.execIds : null,
    HostConfig: rec.hostConfig,
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        ...(lowerDirs.length ? { LowerDir: lowerDirs.join(':') } : {}),
        MergedDir: paths.rootfs,
        UpperDir: paths.upper,
        WorkDir: paths.work,
      },
    },
    ...(extra.sizeRw !== undefined ? { SizeRw: extra.sizeRw, SizeRootFs: extra.sizeRootFs ?? 0 } : {}),
    Mounts: (rec.mountPoints ?? []).map(mountPointJson),
    Config: rec.config,
    NetworkSettings: networkSettings(rec, networkMode, extra.network),
  };
}

function networkSettings(rec: ContainerRecord, mode: string, attached?: { networks: Record<string, unknown>; ports: Record<string, unknown> }): Record<string, unknown> {
  if (attached) {
    // dockerd repeats the default bridge's endpoint in the deprecated top-level fields.
    const legacy = (attached.networks.bridge ?? {}) as Record<string, unknown>;
    const pick = (k: string, dflt: unknown) => legacy[k] ?? dflt;
    return {
      Bridge: '', SandboxID: '', SandboxKey: rec.state.pid ? `/proc/${rec.state.pid}/ns/net` : '', Ports: attached.ports, HairpinMode: false,
      LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
      EndpointID: pick('EndpointID', ''), Gateway: pick('Gateway', ''), GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: pick('IPAddress', ''),
      IPPrefixLen: pick('IPPrefixLen', 0), IPv6Gateway: '', MacAddress: pick('MacAddress', ''),
      Networks: attached.networks,
    };
  }
  const name = mode === 'default' ? 'bridge' : mode;
  const networks = mode.startsWith('container:') ? {} : {
    [name === 'bridge' ? 'none' : name]: {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
    },
  };
  return {
    Bridge: '', SandboxID: '', SandboxKey: rec.state.pid ? `/proc/${rec.state.pid}/ns/net` : '', Ports: {}, HairpinMode: false,
    LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: '', Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: networks,
  };
}

/** One row of `GET /containers/json`. */
export function summaryJson(rec: ContainerRecord, extra: { sizeRw?: number; sizeRootFs?: number; network?: { networks: Record<string, unknown>; ports: Record<string, unknown> } | undefined } = {}): Record<string, unknown> {
  return {
    Id: rec.id,
    Names: [rec.name],
    Image: rec.config.Image ?? rec.imageId,
    ImageID: rec.imageId,
    Command: [rec.path, ...rec.args].join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: portsSummary((extra.network?.ports ?? {}) as PortMap),
    Labels: rec.config.Labels ?? {},
    State: rec.state.status,
    Status: statusText(rec),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode || 'default' },
    NetworkSettings: { Networks: extra.network?.networks ?? {} },
    Mounts: (rec.mountPoints ?? []).map(mountPointJson),
    ...(extra.sizeRw !== undefined ? { SizeRw: extra.sizeRw, SizeRootFs: extra.sizeRootFs ?? 0 } : {}),
  };
}

/** The list's Ports (moby container/view.go): one entry per binding; an exposed-only port without IP or public port. */
export function portsSummary(ports: PortMap): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const [key, bindings] of Object.entries(ports)) {
    const [port, type = 'tcp'] = key.split('/');
    const privatePort = Number(port);
    if (!bindings || bindings.length === 0) { out.push({ PrivatePort: privatePort, Type: type }); continue; }
    for (const b of bindings) out.push({ IP: b.HostIp ?? '', PrivatePort: privatePort, PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}
