import type { EndpointSettings, PortMap } from '../types/container.js';
import type { IpamConfigIn, SubnetPlan } from './ipam.js';
import type { NetavarkOptions } from './netavark.js';
import type { PortMapping } from './ports.js';

export type NetworkDriver = 'bridge' | 'host' | 'null';

/** A container's endpoint on one network, kept in the network's record while it is attached. */
export interface EndpointRecord {
  containerId: string;
  /** The container's name without its leading slash. */
  containerName: string;
  endpointId: string;
  ipAddress: string;
  macAddress: string;
  aliases: string[];
  dnsNames: string[];
  /** The address the container asked for (`--ip`), shown as IPAMConfig. */
  requestedIp?: string;
  /** On networks with IPv6 (ADR 20). */
  ipv6Address?: string;
  /** `--ip6`. */
  requestedIp6?: string;
  /** `--link-local-ip`: extra addresses on the container's interface (/16, IPv6 /64), as dockerd adds them. */
  linkLocalIps?: string[];
}

/** `networks/<id>.json`. */
export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  /** RFC 3339 with nanoseconds, as dockerd prints Created. */
  created: string;
  /** The bridge device (bridge driver only). */
  bridge?: string;
  subnets: SubnetPlan[];
  /** IPv6 subnets of a network with `EnableIPv6` (ADR 20). */
  subnets6?: SubnetPlan[];
  /** The create request's IPAM.Config as given (inspect shows the request where there was one). */
  ipamConfig: IpamConfigIn[];
  ipamDriver: string;
  ipamOptions: Record<string, string> | null;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  options: Record<string, string>;
  labels: Record<string, string>;
  isPredefined: boolean;
  /** aardvark-dns serves this network (user-defined bridges; not the default bridge). */
  dnsEnabled: boolean;
  endpoints: Record<string, EndpointRecord>;
}

/** `networks/sandboxes/<containerId>.json`: what `detach` needs to undo `attach`, across restarts. */
export interface SandboxRecord {
  containerId: string;
  netnsPath: string;
  /** Exactly what netavark was given, all networks together. */
  options: NetavarkOptions;
  ports: PortMapping[];
}

/** `POST /networks/create`'s body (the fields berth reads). */
export interface CreateNetworkRequest {
  Name: string;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: { Network?: string } | null;
  EnableIPv4?: boolean | null;
  EnableIPv6?: boolean | null;
  IPAM?: { Driver?: string; Options?: Record<string, string> | null; Config?: IpamConfigIn[] | null } | null;
  Options?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  CheckDuplicate?: boolean;
}

/** Docker's network.Inspect. */
export interface NetworkInspect {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: Array<{ Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }> | null };
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** One network a container joins, as the container side asks for it. */
export interface EndpointRequest {
  /** A network's name, id or unique id prefix. */
  network: string;
  aliases?: string[];
  /** `--ip`. */
  ipv4Address?: string;
  /** `--ip6`. */
  ipv6Address?: string;
  /** `--mac-address`. */
  macAddress?: string;
  /** `--link-local-ip`. */
  linkLocalIps?: string[];
}

export interface AttachRequest {
  containerId: string;
  /** Without the leading slash. */
  containerName: string;
  /** A bind-mounted network namespace, made by the caller before the runtime starts. */
  netnsPath: string;
  endpoints: EndpointRequest[];
  /** HostConfig.PortBindings (with -P's picks already added by the caller). */
  portBindings?: PortMap | null;
  /** HostConfig.Dns: aardvark-dns forwards this container's other queries there. */
  dnsServers?: string[];
}

/** Docker's EndpointSettings as inspect shows it under NetworkSettings.Networks. */
export interface EndpointSettingsOut extends EndpointSettings {
  NetworkID: string;
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  IPv6Gateway: string;
  GlobalIPv6Address: string;
  GlobalIPv6PrefixLen: number;
  MacAddress: string;
  Aliases: string[] | null;
  DNSNames: string[] | null;
}

export interface AttachResult {
  /** By network name: what goes into NetworkSettings.Networks. */
  networks: Record<string, EndpointSettingsOut>;
  /** NetworkSettings.Ports for the published ports (exposed-only keys are the caller's). */
  ports: PortMap;
  /**
   * The DNS server for /etc/resolv.conf: aardvark-dns's address on the first network that has
   * one (resolv.conf transform `internal`), or undefined (default bridge: `legacy`).
   */
  dnsServer?: string;
  dnsSearchDomains: string[];
  /** The container's addresses, for its own line in /etc/hosts. */
  addresses: string[];
}
