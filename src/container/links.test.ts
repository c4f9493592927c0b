import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkEnv, parseLink } from './links.js';

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
