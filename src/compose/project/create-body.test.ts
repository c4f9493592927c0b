import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBody, serviceNetworks } from './create-body.js';
import { dependencyOrder } from './engine.js';
import { configHash, containerName, LABEL } from './labels.js';
import { testProject, testService } from './testing.js';

test('a service becomes a create body with Compose\'s labels, name and the service name as an alias', () => {
  const web = testService('web', {
    image: 'busybox', command: ['httpd', '-f'], environment: { A: '1', UNSET: null }, labels: { 'x.y': 'z' },
    ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp', mode: 'ingress' }], expose: ['90'],
    networks: { default: { aliases: ['www'] } }, restart: 'on-failure:3', init: true, user: '1000', working_dir: '/w',
    depends_on: { db: { condition: 'service_healthy', restart: true, required: true } },
  });
  const p = testProject('shop', [web, testService('db', { image: 'busybox' })]);
  const b = createBody({ project: p, service: web, number: 2, name: containerName('shop', web, 2), imageId: 'sha256:abc' });
  assert.equal(containerName('shop', web, 2), 'shop-web-2');
  assert.equal(b.Image, 'busybox');
  assert.deepEqual(b.Cmd, ['httpd', '-f']);
  assert.deepEqual(b.Env, ['A=1']);
  const labels = b.Labels as Record<string, string>;
  assert.equal(labels[LABEL.project], 'shop');
  assert.equal(labels[LABEL.service], 'web');
  assert.equal(labels[LABEL.number], '2');
  assert.equal(labels[LABEL.oneoff], 'False');
  assert.equal(labels[LABEL.configHash], configHash(web));
  assert.equal(labels[LABEL.workingDir], '/srv/app');
  assert.equal(labels[LABEL.configFiles], '/srv/app/compose.yaml');
  assert.equal(labels[LABEL.dependsOn], 'db:service_healthy:true');
  assert.equal(labels[LABEL.image], 'sha256:abc');
  assert.equal(labels['x.y'], 'z');
  assert.deepEqual(b.ExposedPorts, { '80/tcp': {}, '90/tcp': {} });
  assert.deepEqual(b.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(b.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
  assert.equal(b.HostConfig.NetworkMode, 'shop_default');
  assert.equal(b.HostConfig.Init, true);
  assert.deepEqual(b.NetworkingConfig.EndpointsConfig, { shop_default: { Aliases: ['web', 'www'] } });
});

test('volumes, secrets, configs, tmpfs, limits and host settings reach HostConfig', () => {
  const s = testService('app', {
    image: 'busybox',
    volumes: [
      { type: 'volume', source: 'data', target: '/data' },
      { type: 'volume', target: '/anon' },
      { type: 'bind', source: '/host/dir', target: '/mnt', read_only: true, bind: { create_host_path: true } },
      { type: 'tmpfs', target: '/scratch', tmpfs: { size: 1048576 } },
    ],
    secrets: [{ source: 'pw', target: 'pw' }], configs: [{ source: 'conf', target: '/etc/app.conf' }],
    tmpfs: ['/run:size=64k'], ulimits: { nofile: { soft: 1024, hard: 2048 } }, sysctls: { 'net.core.somaxconn': '1024' },
    devices: ['/dev/null:/dev/mynull:r'], extra_hosts: ['db.local=10.0.0.5', 'x:1.2.3.4'], dns: ['9.9.9.9'],
    logging: { driver: 'json-file', options: { 'max-size': '1m' } }, cap_add: ['NET_ADMIN'], read_only: true, shm_size: 1048576,
    deploy: { resources: { limits: { memory: 67108864, cpus: 0.5, pids: 100 } } },
    healthcheck: { test: ['CMD-SHELL', 'true'], interval: '2s', timeout: '1s', retries: 3, start_period: '1m30s' },
    stop_grace_period: '1m', stop_signal: 'SIGUSR1', tty: true, hostname: 'h',
  });
  const p = testProject('p', [s], {
    volumes: { data: { name: 'p_data', driver_opts: {}, external: false, labels: {} } },
    secrets: { pw: { name: 'p_pw', file: '/srv/app/pw.txt', external: false } },
    configs: { conf: { name: 'p_conf', file: '/srv/app/app.conf', external: false } },
  });
  const b = createBody({ project: p, service: s, number: 1, name: 'p-app-1', inherited: { '/anon': 'a'.repeat(64), '/image-vol': 'b'.repeat(64) } });
  const h = b.HostConfig;
  assert.deepEqual(h.Binds, ['/host/dir:/mnt:ro']);
  assert.deepEqual(h.Mounts, [
    { Type: 'volume', Source: 'p_data', Target: '/data', ReadOnly: false, VolumeOptions: undefined },
    { Type: 'volume', Source: 'a'.repeat(64), Target: '/anon', ReadOnly: false, VolumeOptions: undefined },
    { Type: 'tmpfs', Target: '/scratch', ReadOnly: false, TmpfsOptions: { SizeBytes: 1048576, Mode: undefined } },
    { Type: 'volume', Source: 'b'.repeat(64), Target: '/image-vol' },
    { Type: 'bind', Source: '/srv/app/pw.txt', Target: '/run/secrets/pw', ReadOnly: true },
    { Type: 'bind', Source: '/srv/app/app.conf', Target: '/etc/app.conf', ReadOnly: true },
  ]);
  assert.deepEqual(h.Tmpfs, { '/run': 'size=64k' });
  assert.deepEqual(h.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.deepEqual(h.Sysctls, { 'net.core.somaxconn': '1024' });
  assert.deepEqual(h.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/mynull', CgroupPermissions: 'r' }]);
  assert.deepEqual(h.ExtraHosts, ['db.local:10.0.0.5', 'x:1.2.3.4']);
  assert.deepEqual(h.Dns, ['9.9.9.9']);
  assert.deepEqual(h.LogConfig, { Type: 'json-file', Config: { 'max-size': '1m' } });
  assert.equal(h.Memory, 67108864);
  assert.equal(h.NanoCpus, 500000000);
  assert.equal(h.PidsLimit, 100);
  assert.equal(h.ReadonlyRootfs, true);
  assert.equal(h.ShmSize, 1048576);
  assert.deepEqual(h.CapAdd, ['NET_ADMIN']);
  assert.deepEqual(b.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 2e9, Timeout: 1e9, StartPeriod: 90e9, StartInterval: undefined, Retries: 3 });
  assert.equal(b.StopTimeout, 60);
  assert.equal(b.StopSignal, 'SIGUSR1');
  assert.equal(b.Tty, true);
  assert.equal(b.Hostname, 'h');
});

test('network_mode service:x joins that container; one-off containers get no service alias and no restart policy', () => {
  const s = testService('side', { image: 'busybox', network_mode: 'service:web', networks: {}, restart: 'always' });
  const p = testProject('p', [s]);
  const b = createBody({ project: p, service: s, number: 1, name: 'n', networkModeContainer: 'abc123' });
  assert.equal(b.HostConfig.NetworkMode, 'container:abc123');
  assert.deepEqual(b.NetworkingConfig.EndpointsConfig, {});
  const web = testService('web', { image: 'busybox', restart: 'always' });
  const one = createBody({ project: testProject('p', [web]), service: web, number: 1, name: 'n', oneoff: true });
  assert.deepEqual(one.NetworkingConfig.EndpointsConfig, { p_default: { Aliases: [] } });
  assert.equal((one.Labels as Record<string, string>)[LABEL.oneoff], 'True');
  assert.deepEqual(one.HostConfig.RestartPolicy, { Name: '' });
});

test('the config hash ignores scale and build but changes with the command', () => {
  const a = testService('a', { image: 'x', command: ['one'] });
  assert.equal(configHash(a), configHash({ ...a, scale: 3 }));
  assert.equal(configHash(a), configHash({ ...a, build: { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {}, cache_from: [] } }));
  assert.notEqual(configHash(a), configHash({ ...a, command: ['two'] }));
});

test('dependency order puts dependencies first and names a cycle; networks by priority then name', () => {
  const dep = (n: string) => ({ [n]: { condition: 'service_started' as const, restart: false, required: true } });
  const p = testProject('p', [testService('web', { depends_on: dep('app') }), testService('app', { depends_on: dep('db') }), testService('db')]);
  assert.deepEqual(dependencyOrder(p).map((s) => s.name), ['db', 'app', 'web']);
  const cyc = testProject('p', [testService('a', { depends_on: dep('b') }), testService('b', { depends_on: dep('a') })]);
  assert.throws(() => dependencyOrder(cyc), { message: 'dependency cycle detected: a -> b -> a' });
  assert.deepEqual(serviceNetworks(testService('s', { networks: { b: null, a: null, z: { priority: 10 } } })), ['z', 'a', 'b']);
});
