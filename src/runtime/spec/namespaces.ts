import { InvalidArgumentError } from '../../errors/index.js';
import type { OciNamespace, OciNamespaceType } from '../../types/container.js';
import { defaultNamespaceTypes } from './defaults.js';

export type NetworkModeKind = 'none' | 'host' | 'default' | 'container';

/** Paths of another container's namespaces, e.g. `/proc/<pid>/ns/ipc`, for `container:<id>` modes. */
export interface PeerNamespacePaths {
  network?: string;
  ipc?: string;
  pid?: string;
}

export interface NamespaceModes {
  networkMode: NetworkModeKind;
  /** The netns the container joins: one berth prepared, or the peer's in `container` mode. */
  netnsPath: string | undefined;
  isNetworkDisabled: boolean;
  ipcMode: string;
  pidMode: string;
  utsMode: string;
  cgroupnsMode: string;
  peers: PeerNamespacePaths;
}

const CONTAINER_PREFIX = 'container:';

/** `ipc` modes Docker accepts (moby api/types/container `IpcMode.Valid`). */
export function isValidIpcMode(mode: string): boolean {
  return ['', 'none', 'private', 'shareable', 'host'].includes(mode) || isContainerMode(mode);
}

function isContainerMode(mode: string): boolean {
  return mode.startsWith(CONTAINER_PREFIX) && mode.length > CONTAINER_PREFIX.length;
}

/** Replaces the namespace of that type in place, or appends it (moby `setNamespace`). */
function setNamespace(list: OciNamespace[], ns: OciNamespace): void {
  const i = list.findIndex((n) => n.type === ns.type);
  if (i >= 0) list[i] = ns;
  else list.push(ns);
}

function removeNamespace(list: OciNamespace[], type: OciNamespaceType): OciNamespace[] {
  return list.filter((n) => n.type !== type);
}

function joinPath(kind: 'network' | 'ipc' | 'pid', path: string | undefined, mode: string): string {
  if (!path) throw new InvalidArgumentError(`no ${kind} namespace path given for mode ${JSON.stringify(mode)}`);
  return path;
}

function applyNetwork(list: OciNamespace[], m: NamespaceModes): OciNamespace[] {
  // NetworkDisabled keeps Docker's default: a fresh, empty netns.
  if (m.isNetworkDisabled) return list;
  switch (m.networkMode) {
    case 'host':
      return removeNamespace(list, 'network');
    case 'container':
      setNamespace(list, { type: 'network', path: joinPath('network', m.netnsPath ?? m.peers.network, 'container') });
      return list;
    default:
      setNamespace(list, m.netnsPath ? { type: 'network', path: m.netnsPath } : { type: 'network' });
      return list;
  }
}

function applyIpc(list: OciNamespace[], mode: string, peers: PeerNamespacePaths): OciNamespace[] {
  if (!isValidIpcMode(mode)) throw new InvalidArgumentError(`invalid IPC mode: ${mode}`);
  if (mode === 'host') return removeNamespace(list, 'ipc');
  setNamespace(list, isContainerMode(mode) ? { type: 'ipc', path: joinPath('ipc', peers.ipc, mode) } : { type: 'ipc' });
  return list;
}

function applyPid(list: OciNamespace[], mode: string, peers: PeerNamespacePaths): OciNamespace[] {
  if (mode !== '' && mode !== 'host' && !isContainerMode(mode)) throw new InvalidArgumentError(`invalid PID mode: ${mode}`);
  if (mode === 'host') return removeNamespace(list, 'pid');
  setNamespace(list, isContainerMode(mode) ? { type: 'pid', path: joinPath('pid', peers.pid, mode) } : { type: 'pid' });
  return list;
}

/**
 * The container's namespaces from its modes (moby daemon/oci_linux.go `WithNamespaces`):
 * `host` drops the namespace, `container:<id>` joins the peer's, anything else gets a new one;
 * a private cgroup namespace is appended. User namespaces (userns-remap) are not supported.
 */
export function buildNamespaces(m: NamespaceModes): OciNamespace[] {
  let list: OciNamespace[] = defaultNamespaceTypes().map((type) => ({ type }));
  list = applyNetwork(list, m);
  list = applyIpc(list, m.ipcMode, m.peers);
  list = applyPid(list, m.pidMode, m.peers);
  if (m.utsMode !== '' && m.utsMode !== 'host') throw new InvalidArgumentError(`invalid UTS mode: ${m.utsMode}`);
  if (m.utsMode === 'host') list = removeNamespace(list, 'uts');
  if (!['', 'private', 'host'].includes(m.cgroupnsMode)) {
    throw new InvalidArgumentError(`invalid cgroup namespace mode: ${m.cgroupnsMode}`);
  }
  if (m.cgroupnsMode === 'private') setNamespace(list, { type: 'cgroup' });
  return list;
}

/** Whether the pid namespace is the container's own, so that `--init` applies (moby `PidMode.IsPrivate`). */
export function isPrivatePidMode(mode: string): boolean {
  return mode !== 'host' && !isContainerMode(mode);
}

export { isContainerMode };
