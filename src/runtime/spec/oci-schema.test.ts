// Generated specs checked against the OCI runtime-spec's own schema (v1.3.0, a copy in
// ../shared/reference beside the repository, as CI lays it out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateSpec } from './generate.js';
import { SchemaSet } from './json-schema.js';
import type { SpecInput } from './input.js';

// From dist/src/runtime/spec/ (or src/runtime/spec/) up to the directory holding the repository.
const schemaDir = fileURLToPath(new URL('../../../../../shared/reference/oci-runtime-schema/', import.meta.url));
const skip = existsSync(schemaDir) ? false : `no OCI schema at ${schemaDir} (shared/ is not beside the repository)`;

const base: SpecInput = {
  id: 'abc', config: { Hostname: 'abc', Tty: true, Env: ['A=1'] }, hostConfig: {}, rootfsPath: '/r', args: ['sh'],
  user: { uid: 1000, gid: 1000, additionalGids: [1000, 27], home: '/home/u' },
  hostsPath: '/c/hosts', hostnamePath: '/c/hostname', resolvConfPath: '/c/resolv.conf',
  networkMode: 'default', netnsPath: '/run/netns/abc', isCgroup2: false, kernelRelease: '6.1.0', arch: 'amd64',
};

const variants: Array<[string, Partial<SpecInput>]> = [
  ['defaults', {}],
  ['resources, ulimits, init, devices, sysctls, tmpfs', {
    hostConfig: {
      Init: true, Memory: 1 << 28, MemorySwappiness: 0, NanoCpus: 2e9, PidsLimit: 10, BlkioWeight: 500, OomScoreAdj: -500,
      Ulimits: [{ Name: 'core', Soft: -1, Hard: -1 }], Sysctls: { 'net.core.somaxconn': '1024' }, Tmpfs: { '/run': 'size=1m' },
      DeviceCgroupRules: ['c *:* m'], CapAdd: ['ALL'], SecurityOpt: ['no-new-privileges'], Annotations: { a: 'b' },
      BlkioDeviceReadIOps: [{ Path: '/dev/sda', Rate: 100 }],
    },
    blkioDeviceNumbers: { '/dev/sda': { major: 8, minor: 0 } },
    initPath: '/usr/bin/tini-static',
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0, permissions: 'rwm' }],
  }],
  ['privileged on host namespaces', {
    networkMode: 'host', netnsPath: undefined, hostConfig: { Privileged: true, PidMode: 'host', IpcMode: 'host', UTSMode: 'host' },
    hostDevices: [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0, permissions: 'rwm' }],
  }],
];

for (const [name, over] of variants) {
  test(`config.json conforms to the OCI schema: ${name}`, { skip }, () => {
    const { spec } = generateSpec({ ...base, ...over });
    assert.deepEqual(new SchemaSet(schemaDir).validate(spec, 'config-schema.json'), []);
  });
}

test('the schema check does catch a broken spec', { skip }, () => {
  const { spec } = generateSpec(base);
  const broken = { ...spec, process: { ...spec.process!, cwd: undefined }, mounts: [{ type: 'bind' }] };
  const errors = new SchemaSet(schemaDir).validate(JSON.parse(JSON.stringify(broken)), 'config-schema.json');
  assert.deepEqual(errors, ['$.process: missing cwd', '$.mounts[0]: missing destination']);
});
