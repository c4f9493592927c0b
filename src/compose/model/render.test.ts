import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { renderConfig, serviceNames, volumeNames } from './render.js';
import { fixture, load } from './test-fixtures.js';

describe('config: the resolved project printed as docker compose config does', () => {
  it('prints name, services with keys sorted and empty keys left out, then the resources', async (t) => {
    const f = fixture({
      'compose.yaml': `
x-common: &common
  restart: always
services:
  web:
    <<: *common
    image: "nginx:\${TAG:-1}"
    x-note: dropped
    ports: ["8080:80"]
    depends_on: [db]
  db:
    image: postgres
    volumes: ["data:/var/lib/postgresql/data"]
volumes:
  data:
`,
    });
    t.after(f.cleanup);
    const p = await load(f.dir, { projectName: 'demo' });
    const text = renderConfig(p, { format: 'yaml' });
    assert.equal(text, `name: demo
services:
  db:
    image: postgres
    networks:
      default: null
    volumes:
      - source: data
        target: /var/lib/postgresql/data
        type: volume
  web:
    depends_on:
      db:
        condition: service_started
        required: true
        restart: false
    image: nginx:1
    networks:
      default: null
    ports:
      - mode: ingress
        protocol: tcp
        published: "8080"
        target: 80
    restart: always
networks:
  default:
    name: demo_default
volumes:
  data:
    name: demo_data
`);
    assert.deepEqual(JSON.parse(renderConfig(p, { format: 'json' })), YAML.parse(text));
    assert.deepEqual(serviceNames(p), ['db', 'web']);
    assert.deepEqual(volumeNames(p), ['data']);
  });

  it('what it prints loads again to the same project', async (t) => {
    const f = fixture({
      'compose.yaml': 'services:\n  web:\n    image: x\n    command: echo "a b"\n    environment: [A=1]\n    ulimits: {nofile: 10}\n    scale: 2\n',
    });
    t.after(f.cleanup);
    const p = await load(f.dir, { projectName: 'rt' });
    const again = fixture({ 'compose.yaml': renderConfig(p, { format: 'yaml' }) });
    t.after(again.cleanup);
    const q = await load(again.dir);
    assert.deepEqual(q.services, p.services);
    assert.equal(q.name, 'rt');
  });
});
