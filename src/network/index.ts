export { NetworkService, DEFAULT_BRIDGE, type NetworkServiceDeps } from './service.js';
export type {
  AttachRequest, AttachResult, CreateNetworkRequest, EndpointRequest, EndpointSettingsOut, NetworkInspect, NetworkRecord,
} from './types.js';
export { parsePortBindings, portMapOf, type PortMapping, type PortRequest, type PortProtocol } from './ports.js';
export { DOCKER_DEFAULT_POOLS, type AddressPool, type IpamConfigIn } from './ipam.js';
export { removeIdleNetavarkChains } from './firewall.js';
export { enableIPv4Forwarding } from './host-routes.js';
export { checkEndpointSettings, type EndpointCheck } from './endpoint-check.js';
export { readInterfaceStats, parseNetDev, type InterfaceStats } from './net-dev.js';
export { createNetnsInProcess } from './netns.js';
