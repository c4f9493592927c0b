import os from 'node:os';
import type { Config } from '../config/index.js';
import { MAX_API, MIN_API, BERTH_VERSION } from './versions.js';
import type { HostFacts } from './host.js';
import { infoWarnings, type SysInfo } from '../sysinfo/index.js';

export { readHostFacts, isCgroup2Unified, type HostFacts } from './host.js';
export { MAX_API, MIN_API, BERTH_VERSION } from './versions.js';

/** Counts that `/info` reports; supplied by the services that own them. */
export interface Counts {
  images: number;
  containers: number;
  running: number;
  paused: number;
  stopped: number;
  eventListeners: number;
}

/** `/info` and `/version`. Pure assembly of facts gathered elsewhere. */
export class SystemService {
  constructor(
    private readonly config: Readonly<Config>,
    private readonly host: HostFacts,
    private readonly sysInfo: SysInfo,
    private readonly engineId: string,
    private readonly counts: () => Counts,
  ) {}

  version(): Record<string, unknown> {
    const details = { ApiVersion: MAX_API, Arch: goArch(), BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node${process.versions.node}`, KernelVersion: this.host.kernelVersion, MinAPIVersion: MIN_API, Os: 'linux' };
    return {
      Platform: { Name: 'berth' },
      Components: [
        { Name: 'Engine', Version: BERTH_VERSION, Details: details },
        ...Object.entries(this.config.runtimes).filter(([n]) => n === this.config.defaultRuntime).map(([n, r]) => ({ Name: n, Version: this.host.runtimeCommits[n] ?? 'N/A', Details: { GitCommit: this.host.runtimeCommits[n] ?? '', Path: r.path } })),
        { Name: 'tini', Version: this.host.initVersion, Details: { GitCommit: this.host.initVersion } },
      ],
      Version: BERTH_VERSION,
      ApiVersion: MAX_API,
      MinAPIVersion: MIN_API,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: goArch(),
      KernelVersion: this.host.kernelVersion,
      BuildTime: '',
    };
  }

  info(): Record<string, unknown> {
    const c = this.counts();
    const h = this.host;
    const s = this.sysInfo;
    const cfg = this.config;
    const warnings = infoWarnings(s);
    return {
      ID: this.engineId,
      Containers: c.containers,
      ContainersRunning: c.running,
      ContainersPaused: c.paused,
      ContainersStopped: c.stopped,
      Images: c.images,
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', h.backingFilesystem], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file', 'local', 'none'] },
      MemoryLimit: s.memoryLimit,
      SwapLimit: s.swapLimit,
      KernelMemory: s.kernelMemory,
      KernelMemoryTCP: s.kernelMemoryTCP,
      CpuCfsPeriod: s.cpuCfs,
      CpuCfsQuota: s.cpuCfs,
      CPUShares: s.cpuShares,
      CPUSet: s.cpuset,
      PidsLimit: s.pidsLimit,
      OomKillDisable: s.oomKillDisable,
      IPv4Forwarding: s.ipv4Forwarding,
      BridgeNfIptables: s.bridgeNfIptables,
      BridgeNfIp6tables: s.bridgeNfIp6tables,
      Debug: cfg.debug,
      NFd: 0,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: cfg.logDriver,
      CgroupDriver: 'cgroupfs',
      CgroupVersion: h.cgroupVersion,
      NEventsListener: c.eventListeners,
      KernelVersion: h.kernelVersion,
      OperatingSystem: h.operatingSystem,
      OSVersion: h.osVersion,
      OSType: 'linux',
      Architecture: os.machine(),
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: {
        InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'],
        IndexConfigs: {
          'docker.io': { Name: 'docker.io', Mirrors: cfg.registryMirrors, Secure: true, Official: true },
          ...Object.fromEntries(cfg.insecureRegistries.filter((r) => !r.includes('/')).map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }])),
        },
        Mirrors: cfg.registryMirrors,
      },
      NCPU: h.ncpu,
      MemTotal: h.memTotal,
      GenericResources: null,
      DockerRootDir: cfg.dataRoot,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: os.hostname(),
      Labels: cfg.labels,
      ExperimentalBuild: false,
      ServerVersion: BERTH_VERSION,
      Runtimes: Object.fromEntries(Object.entries(cfg.runtimes).map(([n, r]) => [n, { path: r.path, ...(r.runtimeArgs.length ? { runtimeArgs: r.runtimeArgs } : {}) }])),
      DefaultRuntime: cfg.defaultRuntime,
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: 'tini',
      ContainerdCommit: { ID: '' },
      RuncCommit: { ID: h.runtimeCommits[cfg.defaultRuntime] ?? 'N/A' },
      InitCommit: { ID: h.initVersion },
      // dockerd lists only what the kernel has (daemon/info.go `fillSecurityOptions`).
      SecurityOptions: [
        ...(s.appArmor ? ['name=apparmor'] : []),
        ...(s.seccomp ? ['name=seccomp,profile=builtin'] : []),
        ...(h.cgroupVersion === '2' && s.cgroupNamespaces ? ['name=cgroupns'] : []),
      ],
      CDISpecDirs: [],
      // Go's nil slice: null when there is nothing to warn about.
      Warnings: warnings.length > 0 ? warnings : null,
    };
  }
}

function goArch(): string {
  const a = os.arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}
