/**
 * The container flags `run` and `create` share (docker/cli container/opts.go addFlags), with
 * docker's texts. Windows-only flags are hidden, as docker hides them for a Linux daemon.
 */
import type { FlagSpec } from '../framework/flags.js';
import {
  bytesFlag, cpusFlag, durationFlag, mapFlag, parsedListFlag, swapBytesFlag, uint16Flag, uint64Flag, ulimitFlag,
} from './flag-values.js';
import { parseMount } from './mounts.js';
import { parseGpuRequest, parseNetworkOpt } from './network.js';
import {
  validateAttach, validateDeviceCgroupRule, validateDnsSearch, validateEnv, validateExtraHost, validateIpAddress, validateLabel, validateLink, validateSysctl,
} from './validators.js';
import { parseThrottleBps, parseThrottleIops, parseWeightDevice } from './values.js';

const list = (name: string, usage: string, validate?: (raw: string) => string, short?: string, hidden?: boolean): FlagSpec => ({ name, short, type: 'list', usage, validate, hidden });
const str = (name: string, usage: string, short?: string, def?: string): FlagSpec => ({ name, short, type: 'string', usage, default: def });
const bool = (name: string, usage: string, short?: string): FlagSpec => ({ name, short, type: 'bool', usage });
const int = (name: string, usage: string, short?: string, def?: number, hidden?: boolean): FlagSpec => ({ name, short, type: 'int', usage, default: def, hidden });

const CGROUPNS_USAGE = `Cgroup namespace to use (host|private)
'host':    Run the container in the Docker host's cgroup namespace
'private': Run the container in its own private cgroup namespace
'':        Use the cgroup namespace as configured by the
           default-cgroupns-mode option on the daemon (default)`;

export function containerFlags(): FlagSpec[] {
  return [
    // General purpose
    list('attach', 'Attach to STDIN, STDOUT or STDERR', validateAttach, 'a'),
    list('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list', validateDeviceCgroupRule),
    list('device', 'Add a host device to the container'),
    parsedListFlag({ name: 'gpus', usage: "GPU devices to add to the container ('all' to pass all GPUs)" }, 'gpu-request', parseGpuRequest),
    list('env', 'Set environment variables', validateEnv, 'e'),
    list('env-file', 'Read in a file of environment variables'),
    str('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
    list('group-add', 'Add additional groups to join'),
    str('hostname', 'Container host name', 'h'),
    str('domainname', 'Container NIS domain name'),
    bool('interactive', 'Keep STDIN open even if not attached', 'i'),
    list('label', 'Set meta data on a container', validateLabel, 'l'),
    list('label-file', 'Read in a line delimited file of labels'),
    bool('read-only', "Mount the container's root filesystem as read only"),
    str('restart', 'Restart policy to apply when a container exits', undefined, 'no'),
    str('stop-signal', 'Signal to stop the container'),
    int('stop-timeout', 'Timeout (in seconds) to stop a container'),
    mapFlag({ name: 'sysctl', usage: 'Sysctl options' }, validateSysctl),
    bool('tty', 'Allocate a pseudo-TTY', 't'),
    ulimitFlag({ name: 'ulimit', usage: 'Ulimit options' }),
    str('user', 'Username or UID (format: <name|uid>[:<group|gid>])', 'u'),
    str('workdir', 'Working directory inside the container', 'w'),
    bool('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
    // Security
    list('cap-add', 'Add Linux capabilities'),
    list('cap-drop', 'Drop Linux capabilities'),
    bool('privileged', 'Give extended privileges to this container'),
    list('security-opt', 'Security Options'),
    str('userns', 'User namespace to use'),
    str('cgroupns', CGROUPNS_USAGE),
    // Network and ports
    list('add-host', 'Add a custom host-to-IP mapping (host:ip)', validateExtraHost),
    list('dns', 'Set custom DNS servers', validateIpAddress),
    { ...list('dns-opt', 'Set DNS options', undefined, undefined, true), storeAs: 'dns-option' },
    list('dns-option', 'Set DNS options'),
    list('dns-search', 'Set custom DNS search domains', validateDnsSearch),
    list('expose', 'Expose a port or a range of ports'),
    str('ip', 'IPv4 address (e.g., 172.30.100.104)'),
    str('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
    list('link', 'Add link to another container', validateLink),
    list('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
    str('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
    list('publish', "Publish a container's port(s) to the host", undefined, 'p'),
    bool('publish-all', 'Publish all exposed ports to random ports', 'P'),
    { ...parsedListFlag({ name: 'net', usage: 'Connect a container to a network' }, 'network', parseNetworkOpt), hidden: true, storeAs: 'network' },
    parsedListFlag({ name: 'network', usage: 'Connect a container to a network' }, 'network', parseNetworkOpt),
    { ...list('net-alias', 'Add network-scoped alias for the container', undefined, undefined, true), storeAs: 'network-alias' },
    list('network-alias', 'Add network-scoped alias for the container'),
    // Logging and storage
    str('log-driver', 'Logging driver for the container'),
    str('volume-driver', 'Optional volume driver for the container'),
    list('log-opt', 'Log driver options'),
    list('storage-opt', 'Storage driver options for the container'),
    list('tmpfs', 'Mount a tmpfs directory'),
    list('volumes-from', 'Mount volumes from the specified container(s)'),
    list('volume', 'Bind mount a volume', undefined, 'v'),
    parsedListFlag({ name: 'mount', usage: 'Attach a filesystem mount to the container' }, 'mount', parseMount),
    // Health checks
    str('health-cmd', 'Command to run to check health'),
    durationFlag({ name: 'health-interval', usage: 'Time between running the check (ms|s|m|h) (default 0s)' }),
    int('health-retries', 'Consecutive failures needed to report unhealthy'),
    durationFlag({ name: 'health-timeout', usage: 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)' }),
    durationFlag({ name: 'health-start-period', usage: 'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)' }),
    durationFlag({ name: 'health-start-interval', usage: 'Time between running the check during the start period (ms|s|m|h) (default 0s)' }),
    bool('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
    // Resources
    uint16Flag({ name: 'blkio-weight', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' }),
    parsedListFlag({ name: 'blkio-weight-device', usage: 'Block IO weight (relative device weight)' }, 'list', parseWeightDevice, '[]'),
    str('cidfile', 'Write the container ID to the file'),
    str('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
    str('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
    int('cpu-count', 'CPU count (Windows only)', undefined, undefined, true),
    int('cpu-percent', 'CPU percent (Windows only)', undefined, undefined, true),
    int('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
    int('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    int('cpu-rt-period', 'Limit CPU real-time period in microseconds'),
    int('cpu-rt-runtime', 'Limit CPU real-time runtime in microseconds'),
    int('cpu-shares', 'CPU shares (relative weight)', 'c'),
    cpusFlag({ name: 'cpus', usage: 'Number of CPUs' }),
    parsedListFlag({ name: 'device-read-bps', usage: 'Limit read rate (bytes per second) from a device' }, 'list', parseThrottleBps, '[]'),
    parsedListFlag({ name: 'device-read-iops', usage: 'Limit read rate (IO per second) from a device' }, 'list', parseThrottleIops, '[]'),
    parsedListFlag({ name: 'device-write-bps', usage: 'Limit write rate (bytes per second) to a device' }, 'list', parseThrottleBps, '[]'),
    parsedListFlag({ name: 'device-write-iops', usage: 'Limit write rate (IO per second) to a device' }, 'list', parseThrottleIops, '[]'),
    bytesFlag({ name: 'io-maxbandwidth', usage: 'Maximum IO bandwidth limit for the system drive (Windows only)', hidden: true }),
    uint64Flag({ name: 'io-maxiops', usage: 'Maximum IOps limit for the system drive (Windows only)', hidden: true }),
    bytesFlag({ name: 'kernel-memory', usage: 'Kernel memory limit' }),
    bytesFlag({ name: 'memory', short: 'm', usage: 'Memory limit' }),
    bytesFlag({ name: 'memory-reservation', usage: 'Memory soft limit' }),
    swapBytesFlag({ name: 'memory-swap', usage: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" }),
    int('memory-swappiness', 'Tune container memory swappiness (0 to 100)', undefined, -1),
    bool('oom-kill-disable', 'Disable OOM Killer'),
    int('oom-score-adj', "Tune host's OOM preferences (-1000 to 1000)"),
    int('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
    // Low-level execution
    str('cgroup-parent', 'Optional parent cgroup for the container'),
    str('ipc', 'IPC mode to use'),
    str('isolation', 'Container isolation technology'),
    str('pid', 'PID namespace to use'),
    bytesFlag({ name: 'shm-size', usage: 'Size of /dev/shm' }),
    str('uts', 'UTS namespace to use'),
    str('runtime', 'Runtime to use for this container'),
    bool('init', 'Run an init inside the container that forwards signals and reaps processes'),
    mapFlag({ name: 'annotation', usage: 'Add an annotation to the container (passed through to the OCI runtime)' }),
  ];
}

/** The flags `run` and `create` add before the container flags (run.go, create.go). */
export function createFlags(command: 'run' | 'create'): FlagSpec[] {
  const pullUsage = command === 'run'
    ? 'Pull image before running ("always", "missing", "never")'
    : 'Pull image before creating ("always", "|missing", "never")';
  const flags: FlagSpec[] = [
    str('name', 'Assign a name to the container'),
    str('pull', pullUsage, undefined, 'missing'),
    bool('quiet', 'Suppress the pull output', 'q'),
    bool('use-api-socket', 'Bind mount Docker API socket and required auth'),
    { name: 'help', type: 'bool', usage: 'Print usage' },
    str('platform', 'Set platform if server is multi-platform capable'),
    { name: 'disable-content-trust', type: 'bool', usage: 'Skip image verification', default: true },
  ];
  if (command === 'run') {
    flags.unshift(
      bool('detach', 'Run container in background and print container ID', 'd'),
      { name: 'sig-proxy', type: 'bool', usage: 'Proxy received signals to the process', default: true },
      str('detach-keys', 'Override the key sequence for detaching a container'),
    );
  }
  return [...flags, ...containerFlags()];
}
