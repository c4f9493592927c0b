import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors/index.js';
import type { NetworkInspect, NetworkService } from '../../network/index.js';
import { silentLogger } from '../../util/index.js';
import { Router } from '../router.js';
import { createApiServer } from '../server.js';
import { networkRoutes, type NetworkConnector, type NetworksBackend } from './networks.js';

const calls: Array<{ op: string; args: unknown }> = [];
const ID = 'f'.repeat(64);
const net = (name: string): NetworkInspect => ({
  Name: name, Id: ID, Created: '2026-01-01T00:00:00Z', Scope: 'local', Driver: 'bridge', EnableIPv4: true, EnableIPv6: false,
  IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.1' }] }, Internal: false, Attachable: false,
  Ingress: false, ConfigFrom: { Network: '' }, ConfigOnly: false, Containers: {}, Options: {}, Labels: {},
});

const fake: NetworksBackend['networks'] = {
  async create(req) {
    calls.push({ op: 'create', args: req });
    if (req.Name === 'bridge') throw new ForbiddenError('operation is not permitted on predefined bridge network ');
    if (req.Name === 'dup') throw new ConflictError('network with name dup already exists');
    return { Id: ID, Warning: '' };
  },
  list(filters) { calls.push({ op: 'list', args: [...filters] }); return [net('bridge'), net('n1')]; },
  inspect(term) {
    if (term !== 'n1' && term !== ID) throw new NotFoundError(`network ${term} not found`);
    return net('n1');
  },
  async remove(term) {
    calls.push({ op: 'remove', args: term });
    if (term === 'bridge') throw new ForbiddenError('bridge is a pre-defined network and cannot be removed');
    if (term !== 'n1') throw new NotFoundError(`network ${term} not found`);
  },
  async prune(filters) { calls.push({ op: 'prune', args: [...filters] }); return { NetworksDeleted: ['n1'] }; },
} as Pick<NetworkService, 'create' | 'list' | 'inspect' | 'remove' | 'prune'>;

const connector: NetworkConnector = {
  async connect(container, network, endpoint) {
    calls.push({ op: 'connect', args: { container, network, endpoint } });
    if (container === 'ghost') throw new NotFoundError('No such container: ghost');
  },
  async disconnect(container, network, force) { calls.push({ op: 'disconnect', args: { container, network, force } }); },
};

let withConnector: http.Server;
let without: http.Server;
const ports: Record<string, number> = {};

async function serve(backend: NetworksBackend): Promise<[http.Server, number]> {
  const r = new Router();
  networkRoutes(r, backend);
  const s = createApiServer(r, silentLogger())();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', () => res()));
  return [s, (s.address() as AddressInfo).port];
}

before(async () => {
  [withConnector, ports.full!] = await serve({ networks: fake, networkConnector: connector });
  [without, ports.bare!] = await serve({ networks: fake });
});
after(async () => {
  for (const s of [withConnector, without]) { s.closeAllConnections(); await new Promise((r) => s.close(r)); }
});

function request(method: string, path: string, body?: unknown, port = ports.full!): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: body === undefined ? {} : { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const json = (r: { body: string }) => JSON.parse(r.body) as unknown;

test('create: 201 with the id; the body decoded field by field; dockerd\'s refusals keep their status', async () => {
  calls.length = 0;
  const ok = await request('POST', '/v1.44/networks/create', { Name: 'n 1', Driver: 'bridge', Internal: true, Labels: { a: 'b' }, Options: { 'com.docker.network.bridge.name': 'br9' }, IPAM: { Driver: 'default', Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.9.0.1' }] } });
  assert.equal(ok.status, 201);
  assert.deepEqual(json(ok), { Id: ID, Warning: '' });
  assert.deepEqual(calls[0], { op: 'create', args: {
    Name: 'n 1', Driver: 'bridge', Internal: true, Options: { 'com.docker.network.bridge.name': 'br9' }, Labels: { a: 'b' },
    IPAM: { Driver: 'default', Options: null, Config: [{ Subnet: '10.9.0.0/24', IPRange: '', Gateway: '10.9.0.1' }] },
  } });
  const table: Array<[unknown, number, string]> = [
    [{ Name: 'bridge' }, 403, 'operation is not permitted on predefined bridge network '],
    [{ Name: 'dup' }, 409, 'network with name dup already exists'],
    // The words of dockerd 20.10's decoder (its type names; Go's full field path).
    [{ Name: 'x', Labels: { a: 1 } }, 400, 'json: cannot unmarshal number into Go struct field NetworkCreateRequest.Labels of type string'],
    [{ Name: 'x', Internal: 'yes' }, 400, 'json: cannot unmarshal string into Go struct field NetworkCreateRequest.Internal of type bool'],
    [{ Name: 'x', IPAM: { Config: {} } }, 400, 'json: cannot unmarshal object into Go struct field IPAM.IPAM.Config of type []network.IPAMConfig'],
    ['{"Name": ', 400, 'invalid JSON in request body: Unexpected end of JSON input'],
  ];
  for (const [body, status, message] of table) {
    const r = await request('POST', '/networks/create', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.deepEqual(json(r), { message }, JSON.stringify(body));
  }
});

test('list, inspect, remove and prune: filters reach the service; 404, 403 and 204 as dockerd', async () => {
  calls.length = 0;
  const list = await request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ name: ['n'], type: { custom: true } }))}`);
  assert.equal(list.status, 200);
  assert.deepEqual((json(list) as NetworkInspect[]).map((n) => n.Name), ['bridge', 'n1']);
  assert.deepEqual(calls[0], { op: 'list', args: [['name', ['n']], ['type', ['custom']]] });
  assert.equal((await request('GET', '/networks?filters=%7B')).status, 400);
  const one = await request('GET', '/v1.41/networks/n1');
  assert.equal(one.status, 200);
  assert.equal((json(one) as NetworkInspect).Id, ID);
  assert.deepEqual([await request('GET', '/networks/nope')].map((r) => [r.status, json(r)]), [[404, { message: 'network nope not found' }]]);
  const rm = await request('DELETE', '/networks/n1');
  assert.equal(rm.status, 204);
  assert.equal(rm.body, '');
  assert.deepEqual([await request('DELETE', '/networks/bridge')].map((r) => [r.status, json(r)]), [[403, { message: 'bridge is a pre-defined network and cannot be removed' }]]);
  assert.equal((await request('DELETE', '/networks/x')).status, 404);
  const prune = await request('POST', `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ label: ['a=b'] }))}`);
  assert.equal(prune.status, 200);
  assert.deepEqual(json(prune), { NetworksDeleted: ['n1'] });
  assert.deepEqual(calls.at(-1), { op: 'prune', args: [['label', ['a=b']]] });
});

test('connect and disconnect: the network first, then the container side; 501 while nobody provides it', async () => {
  calls.length = 0;
  const c = await request('POST', '/networks/n1/connect', { Container: 'web', EndpointConfig: { Aliases: ['w'], IPAMConfig: { IPv4Address: '10.1.0.9' } } });
  assert.equal(c.status, 200);
  assert.deepEqual(calls[0], { op: 'connect', args: { container: 'web', network: ID, endpoint: { Aliases: ['w'], IPAMConfig: { IPv4Address: '10.1.0.9' } } } });
  assert.deepEqual([await request('POST', '/networks/nope/connect', { Container: 'web' })].map((r) => [r.status, json(r)]), [[404, { message: 'network nope not found' }]]);
  assert.deepEqual([await request('POST', '/networks/n1/connect', { Container: 'ghost' })].map((r) => [r.status, json(r)]), [[404, { message: 'No such container: ghost' }]]);
  const d = await request('POST', '/networks/n1/disconnect', { Container: 'web', Force: true });
  assert.equal(d.status, 200);
  // With force the term goes through as given: a network that is gone can still come off a record.
  assert.deepEqual(calls.at(-1), { op: 'disconnect', args: { container: 'web', network: 'n1', force: true } });
  assert.equal((await request('POST', '/networks/n1/disconnect', { Container: 'web' })).status, 200);
  assert.deepEqual(calls.at(-1), { op: 'disconnect', args: { container: 'web', network: ID, force: false } });
  assert.deepEqual([await request('POST', '/networks/nope/disconnect', { Container: 'web' })].map((r) => [r.status, json(r)]), [[404, { message: 'network nope not found' }]]);
  assert.equal((await request('POST', '/networks/n1/disconnect', { Container: 'web', Force: 'y' })).status, 400);
  const bare = await request('POST', '/networks/n1/connect', { Container: 'web' }, ports.bare!);
  assert.deepEqual([bare.status, json(bare)], [501, { message: 'berth cannot connect containers to networks yet' }]);
});
