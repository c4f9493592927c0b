// config.json fields as dockerd 28 writes them for `docker run` flags (moby daemon/oci_linux.go
// createSpec and its tests in oci_linux_test.go), field by field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import type { ContainerConfig, HostConfig, OciMount, OciSpec } from '../../types/container.js';
import { defaultCapabilities, defaultMaskedPaths, defaultReadonlyPaths, knownCapabilities } from './defaults.js';
import { generateSpec } from './generate.js';
import type { SpecInput } from './input.js';
import { specToJson } from './serialize.js';

const ID = 'c0ffee0123456789c0ffee0123456789c0ffee0123456789c0ffee0123456789';

function input(over: { config?: ContainerConfig; hostConfig?: HostConfig } & Partial<Omit<SpecInput, 'config' | 'hostConfig'>> = {}): SpecInput {
  const { config, hostConfig, ...rest } = over;
  return {
    id: ID,
    config: { Hostname: 'c0ffee012345', Image: 'busybox', ...config },
    hostConfig: { NetworkMode: 'bridge', ...hostConfig },
    rootfsPath: `/var/lib/berth/containers/${ID}/merged`,
    args: ['sh', '-c', 'echo hi'],
    user: { uid: 0, gid: 0, additionalGids: [0, 0, 10], home: '/root' },
    hostsPath: `/var/lib/berth/containers/${ID}/hosts`,
    hostnamePath: `/var/lib/berth/containers/${ID}/hostname`,
    resolvConfPath: `/var/lib/berth/containers/${ID}/resolv.conf`,
    networkMode: 'default',
    netnsPath: '/run/berth/netns/c0ffee012345',
    isCgroup2: false,
    kernelRelease: '6.1.0-18-amd64',
    arch: 'amd64',
    ...rest,
  };
}

function gen(over: Parameters<typeof input>[0] = {}): OciSpec {
  return generateSpec(input(over)).spec;
}

function mount(spec: OciSpec, destination: string): OciMount | undefined {
  return spec.mounts!.find((m) => m.destination === destination);
}

const etc = (name: string) => `/var/lib/berth/containers/${ID}/${name}`;

test('defaults: process, root, hostname, namespaces, cgroups path', () => {
  const spec = gen();
  assert.equal(spec.ociVersion, '1.1.0');
  assert.deepEqual(spec.process, {
    user: { uid: 0, gid: 0, additionalGids: [0, 0, 10] },
    args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=c0ffee012345'],
    cwd: '/',
    capabilities: { bounding: defaultCapabilities(), effective: defaultCapabilities(), permitted: defaultCapabilities() },
    oomScoreAdj: 0,
  });
  assert.deepEqual(spec.root, { path: `/var/lib/berth/containers/${ID}/merged` });
  assert.equal(spec.hostname, 'c0ffee012345');
  assert.equal(spec.annotations, undefined);
  assert.deepEqual(spec.linux!.namespaces, [
    { type: 'mount' }, { type: 'network', path: '/run/berth/netns/c0ffee012345' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' },
  ]);
  assert.equal(spec.linux!.cgroupsPath, `/berth/${ID}`);
  assert.deepEqual(spec.linux!.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647', 'net.ipv4.ip_unprivileged_port_start': '0' });
  assert.deepEqual(spec.linux!.maskedPaths, defaultMaskedPaths());
  assert.deepEqual(spec.linux!.readonlyPaths, defaultReadonlyPaths());
  assert.equal(spec.linux!.seccomp!.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(spec.linux!.devices, undefined);
});

test('default mounts, then the network files, in Docker\'s order and options', () => {
  assert.deepEqual(gen().mounts, [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: etc('resolv.conf'), options: ['rbind', 'rprivate'] },
    { destination: '/etc/hostname', type: 'bind', source: etc('hostname'), options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: etc('hosts'), options: ['rbind', 'rprivate'] },
  ]);
});

test('caller mounts replace the default at their destination and sort by depth', () => {
  const volumes: OciMount[] = [
    { destination: '/data/cache', type: 'bind', source: '/v/cache', options: ['rbind', 'rprivate'] },
    { destination: '/dev/mqueue', type: 'bind', source: '/host/mq', options: ['rbind', 'ro', 'rprivate'] },
    { destination: '/data', type: 'bind', source: '/v/data', options: ['rbind', 'rprivate'] },
  ];
  const spec = gen({ mounts: volumes, hostConfig: { Tmpfs: { '/run': 'size=1m,exec' } } });
  assert.deepEqual(spec.mounts!.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/shm',
    '/run', '/data', '/data/cache', '/dev/mqueue', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts',
  ]);
  assert.deepEqual(mount(spec, '/dev/mqueue'), volumes[1]);
  assert.deepEqual(mount(spec, '/run'), { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'size=1m', 'exec'] });
});

test('a user /dev removes every default under /dev; a user /etc/hosts replaces berth\'s', () => {
  const spec = gen({ mounts: [
    { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: '/my/hosts', options: ['rbind', 'ro', 'rprivate'] },
  ] });
  assert.deepEqual(spec.mounts!.map((m) => `${m.destination}=${m.source}`), [
    '/proc=proc', '/sys=sysfs', '/sys/fs/cgroup=cgroup',
    '/dev=/dev', '/etc/hosts=/my/hosts', `/etc/resolv.conf=${etc('resolv.conf')}`, `/etc/hostname=${etc('hostname')}`,
  ]);
});

test('/dev/shm: ShmSize, shareable IPC binds the shm directory, --ipc none drops it', () => {
  assert.deepEqual(mount(gen({ hostConfig: { ShmSize: 128 * 1024 * 1024 } }), '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=134217728']);
  const shareable = gen({ hostConfig: { IpcMode: 'shareable' }, shmPath: '/var/lib/berth/containers/x/shm' });
  assert.deepEqual(mount(shareable, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/var/lib/berth/containers/x/shm', options: ['rbind', 'rprivate'] });
  assert.equal(shareable.mounts!.filter((m) => m.destination === '/dev/shm').length, 1);
  // Private IPC (the default) keeps its own tmpfs even if a shm directory is offered.
  assert.equal(mount(gen({ shmPath: '/x/shm' }), '/dev/shm')!.type, 'tmpfs');
  assert.equal(mount(gen({ hostConfig: { IpcMode: 'none' } }), '/dev/shm'), undefined);
});

test('--init wraps the command in /sbin/docker-init, only in a private pid namespace', () => {
  const spec = gen({ hostConfig: { Init: true }, initPath: '/usr/bin/tini-static' });
  assert.deepEqual(spec.process!.args, ['/sbin/docker-init', '--', 'sh', '-c', 'echo hi']);
  assert.deepEqual(spec.mounts![7], { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] });
  const hostPid = gen({ hostConfig: { Init: true, PidMode: 'host' }, initPath: '/usr/bin/tini-static' });
  assert.deepEqual(hostPid.process!.args, ['sh', '-c', 'echo hi']);
  assert.equal(mount(hostPid, '/sbin/docker-init'), undefined);
  assert.deepEqual(gen({ defaultInit: true, initPath: '/t' }).process!.args!.slice(0, 2), ['/sbin/docker-init', '--']);
  assert.deepEqual(gen({ hostConfig: { Init: false }, defaultInit: true, initPath: '/t' }).process!.args, ['sh', '-c', 'echo hi']);
});

test('env: PATH and HOSTNAME defaults, TERM with a TTY, image/user Env on top', () => {
  const spec = gen({ config: { Tty: true, Env: ['PATH=/opt/bin:/bin', 'A=1', 'HOSTNAME', 'A=2'] }, hostConfig: { ConsoleSize: [40, 120] } });
  assert.deepEqual(spec.process!.env, ['PATH=/opt/bin:/bin', 'TERM=xterm', 'A=1', 'A=2']);
  assert.equal(spec.process!.terminal, true);
  assert.deepEqual(spec.process!.consoleSize, { height: 40, width: 120 });
  assert.equal(gen({ config: { WorkingDir: '/srv/app' } }).process!.cwd, '/srv/app');
});

test('capabilities: --cap-add/--cap-drop and privileged', () => {
  const caps = gen({ hostConfig: { CapAdd: ['NET_ADMIN'], CapDrop: ['cap_mknod'] } }).process!.capabilities!;
  const want = [...defaultCapabilities().filter((c) => c !== 'CAP_MKNOD'), 'CAP_NET_ADMIN'];
  assert.deepEqual(caps, { bounding: want, effective: want, permitted: want });
  assert.throws(() => gen({ hostConfig: { CapAdd: ['CAP_FOO'] } }), { message: 'unknown capability: "CAP_FOO"' });
});

test('privileged: all caps, host devices, writable /sys and cgroups, no masks, no seccomp', () => {
  const hostDevices = [{ path: '/dev/sda', type: 'b' as const, major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6, permissions: 'rwm' }];
  const spec = gen({ hostConfig: { Privileged: true }, hostDevices });
  assert.deepEqual(spec.process!.capabilities!.bounding, knownCapabilities());
  assert.deepEqual(mount(spec, '/sys')!.options, ['nosuid', 'noexec', 'nodev']);
  assert.deepEqual(mount(spec, '/sys/fs/cgroup')!.options, ['nosuid', 'noexec', 'nodev']);
  assert.equal(spec.linux!.maskedPaths, undefined);
  assert.equal(spec.linux!.readonlyPaths, undefined);
  assert.equal(spec.linux!.seccomp, undefined);
  assert.deepEqual(spec.linux!.devices, [{ path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 }]);
  assert.deepEqual(spec.linux!.resources!.devices!.at(-1), { allow: true, access: 'rwm' });
  // cgroup v1: a privileged container keeps the host's cgroup namespace.
  assert.ok(!spec.linux!.namespaces!.some((n) => n.type === 'cgroup'));
  // Paths named in the request apply even to a privileged container.
  assert.deepEqual(gen({ hostConfig: { Privileged: true, MaskedPaths: ['/proc/kcore'] } }).linux!.maskedPaths, ['/proc/kcore']);
});

test('masked and read-only paths from HostConfig replace the defaults; [] means none', () => {
  const spec = gen({ hostConfig: { MaskedPaths: ['/proc/x'], ReadonlyPaths: [] } });
  assert.deepEqual(spec.linux!.maskedPaths, ['/proc/x']);
  assert.equal(spec.linux!.readonlyPaths, undefined);
  assert.deepEqual(gen({ hostMaskedPaths: ['/sys/devices/system/cpu/cpu0/thermal_throttle'] }).linux!.maskedPaths!.at(-1),
    '/sys/devices/system/cpu/cpu0/thermal_throttle');
});

test('read-only rootfs: root readonly, network files ro, defaults untouched', () => {
  const spec = gen({ hostConfig: { ReadonlyRootfs: true } });
  assert.deepEqual(spec.root, { path: `/var/lib/berth/containers/${ID}/merged`, readonly: true });
  assert.deepEqual(mount(spec, '/etc/hosts')!.options, ['rbind', 'ro', 'rprivate']);
  assert.deepEqual(mount(spec, '/dev/shm')!.options, ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864']);
});

test('resources: memory, swap -1, NanoCpus, pids-limit 0, blkio', () => {
  const r = gen({
    hostConfig: {
      Memory: 512 * 1024 * 1024, MemorySwap: -1, MemoryReservation: 256 * 1024 * 1024, MemorySwappiness: 10,
      NanoCpus: 1_500_000_000, CpuShares: 512, CpusetCpus: '0-1', PidsLimit: 0,
      BlkioWeight: 300, BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1048576 }],
      BlkioWeightDevice: [{ Path: '/dev/sda', Weight: 200 }],
    },
    blkioDeviceNumbers: { '/dev/sda': { major: 8, minor: 0 } },
  }).linux!.resources!;
  assert.deepEqual(r.memory, { limit: 536870912, reservation: 268435456, swappiness: 10, disableOOMKiller: false });
  assert.deepEqual(r.cpu, { shares: 512, cpus: '0-1', period: 100000, quota: 150000 });
  assert.deepEqual(r.pids, { limit: -1 });
  assert.deepEqual(r.blockIO, {
    weight: 300,
    weightDevice: [{ major: 8, minor: 0, weight: 200 }],
    throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
  });
});

test('resources: defaults and Docker\'s adjustments', () => {
  const plain = gen().linux!.resources!;
  assert.deepEqual(plain.memory, { disableOOMKiller: false });
  assert.equal(plain.cpu, undefined);
  assert.equal(plain.pids, undefined);
  assert.deepEqual(plain.blockIO, {});
  // Memory alone gets twice as much memory+swap; an explicit period/quota beats --cpus.
  const r = gen({ hostConfig: { Memory: 100 * 1024 * 1024, NanoCpus: 500_000_000, CpuQuota: 20000, PidsLimit: 100 } }).linux!.resources!;
  assert.deepEqual(r.memory, { limit: 104857600, swap: 209715200, disableOOMKiller: false });
  assert.deepEqual(r.cpu, { period: 100000, quota: 20000 });
  assert.deepEqual(r.pids, { limit: 100 });
  assert.deepEqual(gen({ hostConfig: { PidsLimit: -1 } }).linux!.resources!.pids, { limit: -1 });
  // cgroup v2 has no swappiness: dropped with Docker's warning.
  const v2 = generateSpec(input({ isCgroup2: true, hostConfig: { MemorySwappiness: 60 } }));
  assert.deepEqual(v2.spec.linux!.resources!.memory, undefined);
  assert.deepEqual(v2.warnings, ['Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.']);
  assert.throws(() => gen({ hostConfig: { BlkioDeviceWriteIOps: [{ Path: '/dev/nope', Rate: 5 }] } }), { message: 'stat /dev/nope: no such file or directory' });
});

test('devices: --device nodes with their cgroup rule, then --device-cgroup-rule', () => {
  const spec = gen({
    devices: [{ path: '/dev/fuse', pathOnHost: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0, permissions: 'rwm' }],
    hostConfig: { DeviceCgroupRules: ['c 42:* rmw', 'b *:* m'] },
  });
  assert.deepEqual(spec.linux!.devices, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }]);
  assert.deepEqual(spec.linux!.resources!.devices, [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'c', major: 42, minor: -1, access: 'rmw' },
    { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  ]);
  assert.throws(() => gen({ hostConfig: { DeviceCgroupRules: ['c 1:2'] } }), { message: "invalid device cgroup rule format: 'c 1:2'" });
  assert.throws(() => gen({ hostConfig: { DeviceRequests: [{ Count: -1, Capabilities: [['gpu']] }] } }),
    { message: 'could not select device driver "" with capabilities: [[gpu]]' });
});

test('namespaces: host and container modes, cgroupns, NetworkDisabled', () => {
  const spec = gen({
    networkMode: 'host', netnsPath: undefined,
    hostConfig: { PidMode: 'container:abc', IpcMode: 'host', UTSMode: 'host', CgroupnsMode: 'private' },
    peerNamespacePaths: { pid: '/proc/4242/ns/pid' },
  });
  assert.deepEqual(spec.linux!.namespaces, [{ type: 'mount' }, { type: 'pid', path: '/proc/4242/ns/pid' }, { type: 'cgroup' }]);
  assert.equal(spec.hostname, undefined);
  assert.equal(spec.linux!.sysctl, undefined);
  const joined = gen({ networkMode: 'container', netnsPath: '/proc/77/ns/net', hostConfig: { IpcMode: 'container:abc' }, peerNamespacePaths: { ipc: '/proc/77/ns/ipc' } });
  assert.deepEqual(joined.linux!.namespaces!.slice(0, 2), [{ type: 'mount' }, { type: 'network', path: '/proc/77/ns/net' }]);
  assert.deepEqual(joined.linux!.namespaces!.at(-1), { type: 'ipc', path: '/proc/77/ns/ipc' });
  assert.equal(joined.linux!.sysctl, undefined);
  assert.deepEqual(gen({ networkMode: 'none', netnsPath: undefined }).linux!.namespaces![1], { type: 'network' });
  assert.deepEqual(gen({ config: { NetworkDisabled: true } }).linux!.namespaces![1], { type: 'network' });
  assert.deepEqual(gen({ isCgroup2: true }).linux!.namespaces!.at(-1), { type: 'cgroup' });
  assert.throws(() => gen({ hostConfig: { IpcMode: 'bogus' } }), { message: 'invalid IPC mode: bogus' });
  assert.throws(() => gen({ hostConfig: { PidMode: 'bogus' } }), { message: 'invalid PID mode: bogus' });
});

test('sysctls: namespaced ones pass, others fail with runc\'s message', () => {
  const spec = gen({ config: { Domainname: 'example.org' }, hostConfig: { Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1024', 'fs.mqueue.msg_max': '64', 'net.ipv4.ping_group_range': '0 0' } } });
  assert.deepEqual(spec.linux!.sysctl, {
    'net.ipv4.ping_group_range': '0 0', 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.domainname': 'example.org',
    'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1024', 'fs.mqueue.msg_max': '64',
  });
  const refused: Array<[Parameters<typeof gen>[0], string]> = [
    [{ hostConfig: { Sysctls: { 'kernel.pid_max': '1' } } }, 'sysctl "kernel.pid_max" is not in a separate kernel namespace'],
    [{ hostConfig: { Sysctls: { 'vm.swappiness': '1' } } }, 'sysctl "vm.swappiness" is not in a separate kernel namespace'],
    [{ networkMode: 'host', netnsPath: undefined, hostConfig: { Sysctls: { 'net.core.somaxconn': '1' } } }, 'sysctl "net.core.somaxconn" not allowed in host network namespace'],
    [{ hostConfig: { IpcMode: 'host', Sysctls: { 'kernel.sem': '1 2 3 4' } } }, 'sysctl "kernel.sem" is not allowed in the hosts ipc namespace'],
    [{ hostConfig: { Sysctls: { 'kernel.hostname': 'x' } } }, 'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'],
  ];
  for (const [over, message] of refused) {
    assert.throws(() => gen(over), (err: unknown) => err instanceof InvalidArgumentError && err.message === message);
  }
});

test('rlimits: --ulimit over the daemon defaults; -1 is 2^64-1 in config.json', () => {
  const spec = gen({
    hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }, { Name: 'core', Soft: -1, Hard: -1 }] },
    defaultUlimits: [{ Name: 'nofile', Soft: 65536, Hard: 65536 }, { Name: 'nproc', Soft: 4096, Hard: 8192 }],
  });
  assert.deepEqual(spec.process!.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 2048 },
    { type: 'RLIMIT_CORE', soft: 18446744073709551615n, hard: 18446744073709551615n },
    { type: 'RLIMIT_NPROC', soft: 4096, hard: 8192 },
  ]);
  assert.match(specToJson(spec), /"type":"RLIMIT_CORE","soft":18446744073709551615,"hard":18446744073709551615\}/);
  assert.equal(gen().process!.rlimits, undefined);
});

test('security options: no-new-privileges, seccomp unconfined/custom, LSM warnings', () => {
  assert.equal(gen({ hostConfig: { SecurityOpt: ['no-new-privileges'] } }).process!.noNewPrivileges, true);
  assert.equal(gen({ hostConfig: { SecurityOpt: ['no-new-privileges=false'] }, defaultNoNewPrivileges: true }).process!.noNewPrivileges, undefined);
  assert.equal(gen({ hostConfig: { SecurityOpt: ['seccomp=unconfined'] } }).linux!.seccomp, undefined);
  const custom = gen({ hostConfig: { SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["chmod"],"action":"SCMP_ACT_ERRNO"}]}'] } });
  assert.deepEqual(custom.linux!.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['chmod'], action: 'SCMP_ACT_ERRNO' }] });
  const privCustom = gen({ hostConfig: { Privileged: true, SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_LOG"}'] } });
  assert.deepEqual(privCustom.linux!.seccomp, { defaultAction: 'SCMP_ACT_LOG' });
  const { warnings } = generateSpec(input({ hostConfig: { SecurityOpt: ['apparmor=docker-default', 'label=type:svirt_t'] } }));
  assert.deepEqual(warnings, [
    'AppArmor is not supported on this host: --security-opt apparmor is ignored',
    'SELinux is not supported on this host: --security-opt label is ignored',
  ]);
  assert.throws(() => gen({ hostConfig: { SecurityOpt: ['bogus=1'] } }), { message: 'invalid --security-opt 2: "bogus=1"' });
  assert.throws(() => gen({ hostConfig: { SecurityOpt: ['bogus'] } }), { message: 'invalid --security-opt 1: "bogus"' });
});

test('annotations, OomScoreAdj, cgroup parent, writable-cgroups', () => {
  const spec = gen({ hostConfig: { Annotations: { 'io.example/a': 'b' }, OomScoreAdj: 500, CgroupParent: '/mine' } });
  assert.deepEqual(spec.annotations, { 'io.example/a': 'b' });
  assert.equal(spec.process!.oomScoreAdj, 500);
  assert.equal(spec.linux!.cgroupsPath, `/mine/${ID}`);
  assert.equal(gen({ cgroupsPath: '/given/x' }).linux!.cgroupsPath, '/given/x');
  assert.deepEqual(mount(gen({ hostConfig: { SecurityOpt: ['writable-cgroups=true'] } }), '/sys/fs/cgroup')!.options, ['nosuid', 'noexec', 'nodev']);
});

test('the generated JSON is what was built, bigints aside', () => {
  const spec = gen({ hostConfig: { Privileged: false } });
  assert.deepEqual(JSON.parse(specToJson(spec, 2)), spec);
});
