import { InvalidArgumentError, NotImplementedError } from '../../errors/index.js';
import type { CreateNetworkRequest, NetworkService } from '../../network/index.js';
import type { EndpointSettings } from '../../types/container.js';
import { parseFilters } from '../../util/index.js';
import { readJsonBody, sendJson, sendNoContent } from '../http.js';
import type { Router } from '../router.js';

/**
 * Connecting a container that exists to a network: the container side's (it knows whether the
 * container runs, its namespace, its record). Errors are dockerd's: `No such container: x` 404,
 * `network x not found` 404, already connected 403.
 */
export interface NetworkConnector {
  connect(container: string, network: string, endpoint: EndpointSettings | null): Promise<void>;
  disconnect(container: string, network: string, force: boolean): Promise<void>;
}

export interface NetworksBackend {
  networks: Pick<NetworkService, 'create' | 'list' | 'inspect' | 'remove' | 'prune'>;
  /** Absent until the container side provides it: connect and disconnect answer 501. */
  networkConnector?: NetworkConnector;
}

type Json = Record<string, unknown>;

function goType(v: unknown): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'object' : 'string';
}

/** encoding/json's words for a value of the wrong type (dockerd answers 400 with them). */
function unmarshalError(v: unknown, field: string, want: string): InvalidArgumentError {
  return new InvalidArgumentError(`json: cannot unmarshal ${goType(v)} into Go struct field ${field} of type ${want}`);
}

function stringMap(b: Json, key: string, struct: string): Record<string, string> | null {
  const v = b[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw unmarshalError(v, `${struct}.${key}`, 'map[string]string');
  for (const x of Object.values(v)) if (typeof x !== 'string') throw unmarshalError(x, `${struct}.${key}`, 'string');
  return v as Record<string, string>;
}

function optBool(b: Json, key: string, struct: string): boolean | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw unmarshalError(v, `${struct}.${key}`, 'bool');
  return v;
}

function optString(b: Json, key: string, struct: string): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw unmarshalError(v, `${struct}.${key}`, 'string');
  return v;
}

function object(body: unknown, struct: string): Json {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw unmarshalError(body, struct, struct.split('.').pop()!);
  return body as Json;
}

/** `POST /networks/create`'s body, each field checked as Go's decoder would. */
export function decodeCreateNetwork(body: unknown): CreateNetworkRequest {
  const b = object(body, 'network.CreateRequest');
  const S = 'CreateRequest';
  const req: CreateNetworkRequest = { Name: optString(b, 'Name', S) ?? '' };
  const driver = optString(b, 'Driver', S);
  if (driver !== undefined) req.Driver = driver;
  const scope = optString(b, 'Scope', S);
  if (scope !== undefined) req.Scope = scope;
  for (const k of ['Internal', 'Attachable', 'Ingress', 'ConfigOnly', 'EnableIPv4', 'EnableIPv6', 'CheckDuplicate'] as const) {
    const v = optBool(b, k, S);
    if (v !== undefined) (req as unknown as Record<string, boolean>)[k] = v;
  }
  req.Options = stringMap(b, 'Options', S);
  req.Labels = stringMap(b, 'Labels', S);
  if (b.ConfigFrom !== undefined && b.ConfigFrom !== null) req.ConfigFrom = { Network: optString(object(b.ConfigFrom, 'network.ConfigReference'), 'Network', 'ConfigReference') ?? '' };
  if (b.IPAM !== undefined && b.IPAM !== null) {
    const ipam = object(b.IPAM, 'network.IPAM');
    const configs = ipam.Config;
    if (configs !== undefined && configs !== null && !Array.isArray(configs)) throw unmarshalError(configs, 'IPAM.Config', '[]network.IPAMConfig');
    req.IPAM = {
      Driver: optString(ipam, 'Driver', 'IPAM') ?? '',
      Options: stringMap(ipam, 'Options', 'IPAM'),
      Config: ((configs as unknown[] | undefined | null) ?? []).map((c) => {
        const o = object(c, 'network.IPAMConfig');
        const aux = stringMap(o, 'AuxiliaryAddresses', 'IPAMConfig');
        return {
          Subnet: optString(o, 'Subnet', 'IPAMConfig') ?? '', IPRange: optString(o, 'IPRange', 'IPAMConfig') ?? '', Gateway: optString(o, 'Gateway', 'IPAMConfig') ?? '',
          ...(aux ? { AuxiliaryAddresses: aux } : {}),
        };
      }),
    };
  }
  return req;
}

/** The network routes: decode, call the service, encode (moby api/server/router/network). */
export function networkRoutes(router: Router, backend: NetworksBackend): void {
  router.add('GET', '/networks', (ctx) => {
    sendJson(ctx.res, 200, backend.networks.list(parseFilters(ctx.query.get('filters'))));
  });
  router.add('GET', '/networks/{id}', (ctx) => {
    sendJson(ctx.res, 200, backend.networks.inspect(ctx.params.id!));
  });
  router.add('POST', '/networks/create', async (ctx) => {
    const req = decodeCreateNetwork(await readJsonBody(ctx.req, 'NetworkCreate'));
    sendJson(ctx.res, 201, await backend.networks.create(req));
  });
  router.add('DELETE', '/networks/{id}', async (ctx) => {
    await backend.networks.remove(ctx.params.id!);
    sendNoContent(ctx.res);
  });
  router.add('POST', '/networks/prune', async (ctx) => {
    sendJson(ctx.res, 200, await backend.networks.prune(parseFilters(ctx.query.get('filters'))));
  });
  router.add('POST', '/networks/{id}/connect', async (ctx) => {
    const b = object(await readJsonBody(ctx.req, 'NetworkConnect'), 'types.NetworkConnect');
    const container = optString(b, 'Container', 'NetworkConnect') ?? '';
    const endpoint = b.EndpointConfig === undefined || b.EndpointConfig === null ? null : object(b.EndpointConfig, 'network.EndpointSettings') as EndpointSettings;
    // The network is looked up first: an unknown one is a 404 whatever the container.
    const net = backend.networks.inspect(ctx.params.id!);
    if (!container) throw new InvalidArgumentError('container name or ID is required');
    if (!backend.networkConnector) throw new NotImplementedError('berth cannot connect containers to networks yet');
    await backend.networkConnector.connect(container, net.Id, endpoint);
    sendNoContent(ctx.res, 200);
  });
  router.add('POST', '/networks/{id}/disconnect', async (ctx) => {
    const b = object(await readJsonBody(ctx.req, 'NetworkDisconnect'), 'types.NetworkDisconnect');
    const container = optString(b, 'Container', 'NetworkDisconnect') ?? '';
    const force = optBool(b, 'Force', 'NetworkDisconnect') ?? false;
    // With force a network that is gone may still be taken off a container's record, so the
    // container side looks the network up (moby DisconnectFromNetwork).
    const term = force ? ctx.params.id! : backend.networks.inspect(ctx.params.id!).Id;
    if (!container) throw new InvalidArgumentError('container name or ID is required');
    if (!backend.networkConnector) throw new NotImplementedError('berth cannot disconnect containers from networks yet');
    await backend.networkConnector.disconnect(container, term, force);
    sendNoContent(ctx.res, 200);
  });
}
