import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkEnv, parseLink, planLinks } from './links.js';
import type { ContainerStore } from './store.js';

test('linkEnv: the default port, contiguous ranges, every port, the name and the child env as moby links.ToEnv', () => {
  assert.deepEqual(linkEnv('/web/db-1', '10.0.0.5', ['PATH=/bin', 'HOME=/root', 'A=b=c', 'NOEQ'], ['8001/tcp', '8000/tcp', '8002/tcp', '53/udp']), [
    'DB_1_PORT=udp://10.0.0.5:53',
    'DB_1_PORT_8000_TCP_START=tcp://10.0.0.5:8000', 'DB_1_PORT_8000_TCP_ADDR=10.0.0.5', 'DB_1_PORT_8000_TCP_PROTO=tcp', 'DB_1_PORT_8000_TCP_PORT_START=8000',
    'DB_1_PORT_8000_TCP_END=tcp://10.0.0.5:8002', 'DB_1_PORT_8000_TCP_PORT_END=8002',
    'DB_1_PORT_53_UDP=udp://10.0.0.5:53', 'DB_1_PORT_53_UDP_ADDR=10.0.0.5', 'DB_1_PORT_53_UDP_PORT=53', 'DB_1_PORT_53_UDP_PROTO=udp',
    'DB_1_PORT_8000_TCP=tcp://10.0.0.5:8000', 'DB_1_PORT_8000_TCP_ADDR=10.0.0.5', 'DB_1_PORT_8000_TCP_PORT=8000', 'DB_1_PORT_8000_TCP_PROTO=tcp',
    'DB_1_PORT_8001_TCP=tcp://10.0.0.5:8001', 'DB_1_PORT_8001_TCP_ADDR=10.0.0.5', 'DB_1_PORT_8001_TCP_PORT=8001', 'DB_1_PORT_8001_TCP_PROTO=tcp',
    'DB_1_PORT_8002_TCP=tcp://10.0.0.5:8002', 'DB_1_PORT_8002_TCP_ADDR=10.0.0.5', 'DB_1_PORT_8002_TCP_PORT=8002', 'DB_1_PORT_8002_TCP_PROTO=tcp',
    'DB_1_NAME=/web/db-1',
    'DB_1_ENV_A=b=c',
  ]);
  assert.deepEqual(linkEnv('/p/x', '10.0.0.9', [], []), ['X_NAME=/p/x']);
});

test('parseLink: name, name:alias, and the /name:/parent/alias form inspect shows', () => {
  assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
  assert.deepEqual(parseLink('db:d'), { name: 'db', alias: 'd' });
  assert.deepEqual(parseLink('/db:/web/d'), { name: 'db', alias: 'd' });
  assert.throws(() => parseLink('a:b:c'), { message: 'bad format for links: a:b:c' });
  assert.throws(() => parseLink(''), { message: 'empty string specified for links' });
});

test('planLinks: HostConfig.Links on a user-defined network are kept for inspect only, as dockerd registerLinks does', () => {
  // docker-compose v1 `run` sends links to its own service's containers on the project network;
  // refusing them broke `docker-compose run`. Nothing is resolved, so a missing child is no error.
  const store = { resolve: () => { throw new Error('resolve called'); } } as unknown as ContainerStore;
  assert.equal(planLinks(store, ['proj_app_1:app', 'ghost:g'], 'proj_front'), undefined);
  assert.equal(planLinks(store, [], 'bridge'), undefined);
  assert.throws(() => planLinks(store, ['x'], 'none'), { message: 'berth supports links on the default bridge network only' });
  assert.throws(() => planLinks(store, ['x'], 'bridge'), { message: 'resolve called' });
});
