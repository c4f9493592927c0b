/**
 * run/create option parsing against docker 28's behaviour: value tables for each parser,
 * pflag-wrapped errors with docker's words, and the create body compared byte for byte with
 * the one docker 28.2.2 sent for the same flags (captured on the wire).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FlagError, parseFlags } from '../framework/flags.js';
import { buildContainerSpec, parseDevice, parseSecurityOpts, resolveEnv } from './container-config.js';
import { createFlags } from './container-flags.js';
import { formatGoDuration, parseGoDurationNs } from './go-parse.js';
import { parseKeyValueFile, parseKeyValueText } from './kvfile.js';
import { parseMount, parseVolumeSpec, readCsvRecord } from './mounts.js';
import { parseGpuRequest, parseNetworkOpt } from './network.js';
import { parsePorts } from './ports.js';
import { validateDnsSearch, validateExtraHost, validateIpAddress } from './validators.js';
import { parseCpus, parseRestartPolicy, parseThrottleBps, parseThrottleIops, parseUlimit, parseWeightDevice, ramInBytes } from './values.js';

const throwsMessage = (fn: () => unknown, message: string): void => {
  assert.throws(fn, (e: unknown) => (e as Error).message === message, message);
};

describe('value parsers', () => {
  it('ramInBytes reads go-units sizes (binary units, optional b, spaces)', () => {
    const cases: Array<[string, number]> = [
      ['42', 42], ['1k', 1024], ['1kb', 1024], ['1KiB', 1024], ['512m', 512 * 1024 ** 2], ['1.5g', 1.5 * 1024 ** 3],
      ['1 GB', 1024 ** 3], ['10b', 10], ['1.9', 1], ['1e3', 1000], ['2t', 2 * 1024 ** 4],
    ];
    for (const [s, n] of cases) assert.equal(ramInBytes(s), n, s);
    throwsMessage(() => ramInBytes('abc'), "invalid size: 'abc'");
    throwsMessage(() => ramInBytes('-1'), "invalid size: '-1'");
    throwsMessage(() => ramInBytes('1.5x'), "invalid suffix: 'x'");
    throwsMessage(() => ramInBytes('1kk'), "invalid suffix: 'kk'");
    throwsMessage(() => ramInBytes('1bytes'), "invalid suffix: 'bytes'");
    throwsMessage(() => ramInBytes('1.2.3m'), 'strconv.ParseFloat: parsing "1.2.3": invalid syntax');
  });

  it('parseCpus turns a rational number of CPUs into nano-CPUs', () => {
    assert.equal(parseCpus('1.5'), 1_500_000_000);
    assert.equal(parseCpus('3/2'), 1_500_000_000);
    assert.equal(parseCpus('0.000000001'), 1);
    assert.equal(parseCpus('2e-1'), 200_000_000);
    throwsMessage(() => parseCpus('abc'), 'failed to parse abc as a rational number');
    throwsMessage(() => parseCpus('0.0000000001'), 'value is too precise');
  });

  it('parseUlimit reads name=soft[:hard]', () => {
    assert.deepEqual(parseUlimit('nofile=10:20'), { Name: 'nofile', Soft: 10, Hard: 20 });
    assert.deepEqual(parseUlimit('nproc=5'), { Name: 'nproc', Soft: 5, Hard: 5 });
    assert.deepEqual(parseUlimit('core=-1'), { Name: 'core', Soft: -1, Hard: -1 });
    throwsMessage(() => parseUlimit('nofile'), 'invalid ulimit argument: nofile');
    throwsMessage(() => parseUlimit('as=1'), 'invalid ulimit type: as');
    throwsMessage(() => parseUlimit('nofile=2:1'), 'ulimit soft limit must be less than or equal to hard limit: 2 > 1');
    throwsMessage(() => parseUlimit('nofile=-1:5'), 'ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 5');
    throwsMessage(() => parseUlimit('nofile=a'), 'strconv.ParseInt: parsing "a": invalid syntax');
    throwsMessage(() => parseUlimit('nofile=1:2:3'), 'too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`');
  });

  it('parseRestartPolicy leaves the name to the daemon', () => {
    assert.deepEqual(parseRestartPolicy('no'), { Name: 'no', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy('on-failure:3'), { Name: 'on-failure', MaximumRetryCount: 3 });
    assert.deepEqual(parseRestartPolicy('bogus'), { Name: 'bogus', MaximumRetryCount: 0 });
    assert.deepEqual(parseRestartPolicy(''), {});
    throwsMessage(() => parseRestartPolicy(':1'), 'invalid restart policy format: no policy provided before colon');
    throwsMessage(() => parseRestartPolicy('always:x'), 'invalid restart policy format: maximum retry count must be an integer');
  });

  it('parses block-IO device limits', () => {
    assert.deepEqual(parseThrottleBps('/dev/sda:1mb'), { Path: '/dev/sda', Rate: 1048576 });
    assert.deepEqual(parseThrottleIops('/dev/sda:100'), { Path: '/dev/sda', Rate: 100 });
    assert.deepEqual(parseWeightDevice('/dev/sda:200'), { Path: '/dev/sda', Weight: 200 });
    throwsMessage(() => parseThrottleBps('foo'), 'bad format: foo');
    throwsMessage(() => parseThrottleBps('sda:1'), 'bad format for device path: sda:1');
    throwsMessage(() => parseThrottleIops('/dev/sda:1k'), 'invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer');
    throwsMessage(() => parseWeightDevice('/dev/sda:5'), 'invalid weight for device: /dev/sda:5');
  });

  it('parses Go durations and prints them back', () => {
    assert.equal(parseGoDurationNs('1m30s'), 90e9);
    assert.equal(parseGoDurationNs('1.5s'), 1.5e9);
    assert.equal(parseGoDurationNs('500ms'), 5e8);
    assert.equal(parseGoDurationNs('-2h'), -7200e9);
    throwsMessage(() => parseGoDurationNs('5'), 'time: missing unit in duration "5"');
    throwsMessage(() => parseGoDurationNs('abc'), 'time: invalid duration "abc"');
    throwsMessage(() => parseGoDurationNs('5x'), 'time: unknown unit "x" in duration "5x"');
    assert.equal(formatGoDuration(90e9), '1m30s');
    assert.equal(formatGoDuration(5e8), '500ms');
  });
});

describe('files and specs', () => {
  it('reads env files as kvfile does: comments, BOM, kept values, lookups', () => {
    const text = Buffer.from('\ufeffA=1\n# comment\n\n  B=two words \r\nHOME\nUNSET\n');
    assert.deepEqual(parseKeyValueText(text, (k) => (k === 'HOME' ? '/root' : undefined)), ['A=1', 'B=two words ', 'HOME=/root']);
    assert.deepEqual(parseKeyValueText(Buffer.from('HOME\n')), []);
    throwsMessage(() => parseKeyValueText(Buffer.from('=x\n')), "no variable name on line '=x'");
    throwsMessage(() => parseKeyValueText(Buffer.from('A B=1\n')), "variable 'A B' contains whitespaces");
    throwsMessage(() => parseKeyValueText(Buffer.from([0x41, 0x3d, 0xff, 0x0a])), 'invalid utf8 bytes at line 1: [65 61 255]');
    throwsMessage(() => parseKeyValueFile('/nonexistent/env'), 'open /nonexistent/env: no such file or directory');
  });

  it('parses --device like docker (paths, modes, errors)', () => {
    assert.deepEqual(parseDevice('/dev/null'), { PathOnHost: '/dev/null', PathInContainer: '/dev/null', CgroupPermissions: 'rwm' });
    assert.deepEqual(parseDevice('/dev/zero:/dev/z:r'), { PathOnHost: '/dev/zero', PathInContainer: '/dev/z', CgroupPermissions: 'r' });
    assert.deepEqual(parseDevice('/dev/zero:rw'), { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rw' });
    throwsMessage(() => parseDevice('a:b:c:d'), 'bad format for path: a:b:c:d');
    throwsMessage(() => parseDevice('/dev/null:rwx'), 'rwx is not an absolute path');
    throwsMessage(() => parseDevice('/dev/null:/x:q'), 'bad mode specified: q');
  });

  it('parses ports and --expose as nat does', () => {
    const r = parsePorts(['80', '8080:80/udp', '127.0.0.1:9000-9001:90-91', 'published=5000,target=50'], ['7000-7001', '53/udp']);
    assert.deepEqual(r.exposed, ['80/tcp', '80/udp', '90/tcp', '91/tcp', '50/tcp', '7000/tcp', '7001/tcp', '53/udp']);
    assert.deepEqual(r.bindings['90/tcp'], [{ HostIp: '127.0.0.1', HostPort: '9000' }]);
    assert.deepEqual(r.bindings['80/tcp'], [{ HostIp: '', HostPort: '' }]);
    throwsMessage(() => parsePorts(['abc'], []), 'invalid containerPort: abc');
    throwsMessage(() => parsePorts(['80/xyz'], []), 'invalid proto: xyz');
    throwsMessage(() => parsePorts(['1.2.3:80'], []), 'invalid hostPort: 1.2.3');
    throwsMessage(() => parsePorts(['1.2.3:80:80'], []), 'invalid IP address: 1.2.3');
    throwsMessage(() => parsePorts([], ['1:2']), 'invalid port format for --expose: 1:2');
    throwsMessage(() => parsePorts([], ['abc']), 'invalid range format for --expose: abc, error: strconv.ParseUint: parsing "abc": invalid syntax');
  });

  it('passes --mount and -v through as docker does', () => {
    assert.deepEqual(parseMount('type=bind,src=/tmp,dst=/x,readonly'), { Type: 'bind', Source: '/tmp', Target: '/x', ReadOnly: true });
    assert.deepEqual(parseMount('type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1777'), { Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } });
    throwsMessage(() => parseMount('foo'), "invalid field 'foo' must be a key=value pair");
    throwsMessage(() => parseMount('type=bind'), 'target is required');
    throwsMessage(() => parseMount('target=/x,bind-propagation=rshared'), "cannot mix 'bind-*' options with mount type 'volume'");
    throwsMessage(() => parseMount('type=tmpfs,target=/x,tmpfs-size=abc'), 'invalid value for tmpfs-size: abc');
    assert.deepEqual(readCsvRecord('a,"b,c",d'), ['a', 'b,c', 'd']);
    assert.deepEqual(parseVolumeSpec('/tmp:/x:ro'), { type: 'bind', source: '/tmp', target: '/x' });
    assert.deepEqual(parseVolumeSpec('vol:/w'), { type: 'volume', source: 'vol', target: '/w' });
    assert.deepEqual(parseVolumeSpec('/y'), { type: 'volume', source: '', target: '/y' });
    throwsMessage(() => parseVolumeSpec('ab::c'), 'invalid spec: ab::c: empty section between colons');
    throwsMessage(() => parseVolumeSpec('/x:/y:ro:z'), 'invalid spec: /x:/y:ro:z: too many colons');
  });

  it('parses --network, --gpus and the address validators', () => {
    assert.deepEqual(parseNetworkOpt('container:web'), { target: 'container:web' });
    assert.deepEqual(parseNetworkOpt('name=net1,alias=a,ip=10.0.0.2'), { target: 'net1', aliases: ['a'], ipv4Address: '10.0.0.2' });
    throwsMessage(() => parseNetworkOpt('alias=a'), 'network name/id is not specified');
    assert.deepEqual(parseGpuRequest('all'), { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} });
    throwsMessage(() => parseGpuRequest('x'), 'invalid count (x): value must be either "all" or an integer: invalid syntax');
    assert.equal(validateIpAddress('0:0:0:0:0:0:0:1'), '::1');
    throwsMessage(() => validateIpAddress('abc'), 'IP address is not correctly formatted: abc');
    assert.equal(validateExtraHost('b=[::1]'), 'b:::1');
    throwsMessage(() => validateExtraHost('foo'), 'bad format for add-host: "foo"');
    throwsMessage(() => validateDnsSearch('-bad'), '-bad is not a valid domain');
  });

  it('reads a seccomp profile file and sends it compacted', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-opts-'));
    try {
      const file = path.join(dir, 'p.json');
      writeFileSync(file, '{ "defaultAction": "SCMP_ACT_ALLOW" }\n');
      assert.deepEqual(parseSecurityOpts([`seccomp=${file}`, 'no-new-privileges', 'seccomp=unconfined']), ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'no-new-privileges', 'seccomp=unconfined']);
      throwsMessage(() => parseSecurityOpts(['foo']), 'Invalid --security-opt: "foo"');
      throwsMessage(() => parseSecurityOpts(['seccomp=/nonexist']), 'opening seccomp profile (/nonexist) failed: open /nonexist: no such file or directory');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves -e like ValidateEnv and ParseProxyConfig: last value wins, names read the environment', () => {
    assert.deepEqual(resolveEnv(['A=1', 'B', 'HOME', 'A=2'], { HOME: '/root' }), ['A=2', 'B', 'HOME=/root']);
    assert.deepEqual(resolveEnv(['X=1'], {}, { httpProxy: 'http://p:3128' }), ['X=1', 'HTTP_PROXY=http://p:3128', 'http_proxy=http://p:3128']);
  });
});

describe('run/create flags', () => {
  const specs = createFlags('run');
  const parse = (argv: string[]) => parseFlags(specs, argv, false);
  const flagError = (argv: string[], message: string): void => {
    assert.throws(() => parse(argv), (e: unknown) => e instanceof FlagError && e.message === message, argv.join(' '));
  };

  it("fails on bad values with pflag's wrapping of docker's reasons", () => {
    flagError(['-m', 'abc'], 'invalid argument "abc" for "-m, --memory" flag: invalid size: \'abc\'');
    flagError(['--cpu-shares', 'abc'], 'invalid argument "abc" for "-c, --cpu-shares" flag: strconv.ParseInt: parsing "abc": invalid syntax');
    flagError(['--blkio-weight', '70000'], 'invalid argument "70000" for "--blkio-weight" flag: strconv.ParseUint: parsing "70000": value out of range');
    flagError(['--cpus', 'abc'], 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number');
    flagError(['--ulimit', 'foo=1'], 'invalid argument "foo=1" for "--ulimit" flag: invalid ulimit type: foo');
    flagError(['--health-interval', '5'], 'invalid argument "5" for "--health-interval" flag: time: missing unit in duration "5"');
    flagError(['--sysctl', 'kernel.foo=1'], 'invalid argument "kernel.foo=1" for "--sysctl" flag: sysctl \'kernel.foo=1\' is not allowed');
    flagError(['-e', '=x'], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x');
    flagError(['-l', '=x'], 'invalid argument "=x" for "-l, --label" flag: invalid label \'=x\': empty name');
    flagError(['--dns', 'abc'], 'invalid argument "abc" for "--dns" flag: IP address is not correctly formatted: abc');
    flagError(['--attach', 'foo'], 'invalid argument "foo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR');
    flagError(['--device-read-bps', '/dev/sda:abc'], 'invalid argument "/dev/sda:abc" for "--device-read-bps" flag: invalid rate for device: /dev/sda:abc. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb');
    flagError(['--mount', 'foo'], 'invalid argument "foo" for "--mount" flag: invalid field \'foo\' must be a key=value pair');
    flagError(['--link', 'a:b:c'], 'invalid argument "a:b:c" for "--link" flag: bad format for links: a:b:c');
  });

  it('stops at the image: the command keeps its own flags; -h is --hostname', () => {
    const r = parse(['-h', 'box', '--rm', 'busybox', 'ls', '-l', '--rm']);
    assert.deepEqual(r.args, ['busybox', 'ls', '-l', '--rm']);
    assert.equal(r.flags.string('hostname'), 'box');
    assert.equal(r.help, false);
  });

  it('builds the body docker 28.2.2 sends, byte for byte', () => {
    const argv = ['-e', 'A=1', '-l', 'x=y', '-m', '512m', '--cpus', '1.5', '--ulimit', 'nofile=10:20', '--restart', 'on-failure:3', '--cap-add', 'net_admin',
      '-p', '127.0.0.1:8080:80/udp', '--expose', '90', '--tmpfs', '/run:size=1m', '--device', '/dev/null:/dev/n:r', '--dns', '8.8.8.8',
      '--add-host', 'h:1.2.3.4', '--mount', 'type=tmpfs,target=/t,tmpfs-size=1m', '--health-cmd', 'true', '--health-interval', '1s', '--init',
      '--stop-timeout', '3', '--network', 'none', 'busybox', 'sh', '-c', 'echo hi'];
    const r = parse(argv);
    const spec = buildContainerSpec(r.flags, { image: r.args[0]!, args: r.args.slice(1), env: {}, consoleSize: [0, 0] });
    spec.body.MacAddress = undefined;
    (spec.body.HostConfig as Record<string, unknown>).KernelMemory = undefined;
    const docker = '{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"ExposedPorts":{"80/udp":{},"90/tcp":{}},"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],"Cmd":["sh","-c","echo hi"],"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000},"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"x":"y"},"StopTimeout":3,"HostConfig":{"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},"NetworkMode":"none","PortBindings":{"80/udp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":["CAP_NET_ADMIN"],"CapDrop":null,"CgroupnsMode":"","Dns":["8.8.8.8"],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":["h:1.2.3.4"],"GroupAdd":null,"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"Tmpfs":{"/run":"size=1m"},"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"","CpuShares":0,"Memory":536870912,"NanoCpus":1500000000,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[{"PathOnHost":"/dev/null","PathInContainer":"/dev/n","CgroupPermissions":"r"}],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[{"Name":"nofile","Hard":20,"Soft":10}],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"SizeBytes":1048576}}],"MaskedPaths":null,"ReadonlyPaths":null,"Init":true},"NetworkingConfig":{"EndpointsConfig":{}}}';
    assert.equal(JSON.stringify(spec.body), docker);
  });

  it('keeps the default endpoint, entrypoint reset and attach streams as docker does', () => {
    const r = parse(['-i', '--entrypoint', '', 'busybox']);
    const spec = buildContainerSpec(r.flags, { image: 'busybox', args: [], env: {}, consoleSize: [24, 80] });
    assert.deepEqual([spec.attachStdin, spec.attachStdout, spec.attachStderr, spec.body.StdinOnce], [true, true, true, true]);
    assert.deepEqual(spec.body.Entrypoint, ['']);
    assert.deepEqual((spec.body.HostConfig as Record<string, unknown>).ConsoleSize, [24, 80]);
    const ep = (spec.body.NetworkingConfig as { EndpointsConfig: Record<string, unknown> }).EndpointsConfig;
    assert.deepEqual(Object.keys(ep), ['default']);
    const a = parse(['-a', 'stdout', 'busybox']);
    const s2 = buildContainerSpec(a.flags, { image: 'busybox', args: [], env: {}, consoleSize: [0, 0] });
    assert.deepEqual([s2.attachStdin, s2.attachStdout, s2.attachStderr], [false, true, false]);
  });

  it("rejects what docker's parse rejects, in docker's words", () => {
    const fails: Array<[string[], string]> = [
      [['--memory-swappiness', '101'], 'invalid value: 101. Valid memory swappiness range is 0-100'],
      [['--rm', '--restart', 'always'], 'conflicting options: cannot specify both --restart and --rm'],
      [['--no-healthcheck', '--health-cmd', 'x'], '--no-healthcheck conflicts with --health-* options'],
      [['--log-driver', 'none', '--log-opt', 'a=b'], 'invalid logging opts for driver none'],
      [['--pid', 'foo'], '--pid: invalid PID mode'],
      [['--cgroupns', 'foo'], '--cgroupns: invalid CGROUP mode'],
      [['--mac-address', 'xx'], 'xx is not a valid mac address'],
      [['--storage-opt', 'x'], 'invalid storage option'],
      [['--env-file', '/nonexistent/e'], 'open /nonexistent/e: no such file or directory'],
    ];
    for (const [argv, message] of fails) {
      const r = parse([...argv, 'busybox']);
      throwsMessage(() => buildContainerSpec(r.flags, { image: 'busybox', args: [], env: {}, consoleSize: [0, 0] }), message);
    }
  });
});
