import { InvalidArgumentError } from '../errors/index.js';
import type { ContainerConfig, HostConfig, NetworkingConfig } from '../types/container.js';

type Kind = 'string' | 'number' | 'boolean' | 'strings' | 'strslice' | 'object' | 'stringMap' | 'array';

const CONFIG_FIELDS: Record<string, Kind> = {
  Hostname: 'string', Domainname: 'string', User: 'string', AttachStdin: 'boolean', AttachStdout: 'boolean', AttachStderr: 'boolean',
  ExposedPorts: 'object', Tty: 'boolean', OpenStdin: 'boolean', StdinOnce: 'boolean', Env: 'strings', Cmd: 'strslice', Healthcheck: 'object',
  ArgsEscaped: 'boolean', Image: 'string', Volumes: 'object', WorkingDir: 'string', Entrypoint: 'strslice', NetworkDisabled: 'boolean',
  MacAddress: 'string', OnBuild: 'strings', Labels: 'stringMap', StopSignal: 'string', StopTimeout: 'number', Shell: 'strslice',
};

const HOST_FIELDS: Record<string, Kind> = {
  Binds: 'strings', ContainerIDFile: 'string', LogConfig: 'object', NetworkMode: 'string', PortBindings: 'object', RestartPolicy: 'object',
  AutoRemove: 'boolean', VolumeDriver: 'string', VolumesFrom: 'strings', Mounts: 'array', ConsoleSize: 'array', Annotations: 'stringMap',
  CapAdd: 'strslice', CapDrop: 'strslice', CgroupnsMode: 'string', Dns: 'strings', DnsOptions: 'strings', DnsSearch: 'strings', ExtraHosts: 'strings',
  GroupAdd: 'strings', IpcMode: 'string', Cgroup: 'string', Links: 'strings', OomScoreAdj: 'number', PidMode: 'string', Privileged: 'boolean',
  PublishAllPorts: 'boolean', ReadonlyRootfs: 'boolean', SecurityOpt: 'strings', StorageOpt: 'stringMap', Tmpfs: 'stringMap', UTSMode: 'string',
  UsernsMode: 'string', ShmSize: 'number', Sysctls: 'stringMap', Runtime: 'string', Isolation: 'string', MaskedPaths: 'strings', ReadonlyPaths: 'strings',
  CpuShares: 'number', Memory: 'number', CgroupParent: 'string', BlkioWeight: 'number', BlkioWeightDevice: 'array', BlkioDeviceReadBps: 'array',
  BlkioDeviceWriteBps: 'array', BlkioDeviceReadIOps: 'array', BlkioDeviceWriteIOps: 'array', CpuPeriod: 'number', CpuQuota: 'number',
  CpuRealtimePeriod: 'number', CpuRealtimeRuntime: 'number', CpusetCpus: 'string', CpusetMems: 'string', Devices: 'array', DeviceCgroupRules: 'strings',
  DeviceRequests: 'array', KernelMemory: 'number', KernelMemoryTCP: 'number', MemoryReservation: 'number', MemorySwap: 'number', MemorySwappiness: 'number',
  NanoCpus: 'number', OomKillDisable: 'boolean', Init: 'boolean', PidsLimit: 'number', Ulimits: 'array', CpuCount: 'number', CpuPercent: 'number',
  IOMaximumIOps: 'number', IOMaximumBandwidth: 'number',
};

function check(where: string, obj: Record<string, unknown>, fields: Record<string, Kind>): void {
  for (const [key, kind] of Object.entries(fields)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    const bad = () => new InvalidArgumentError(`invalid ${where}.${key}: expected ${describe(kind)}, got ${JSON.stringify(v).slice(0, 80)}`);
    switch (kind) {
      case 'string': if (typeof v !== 'string') throw bad(); break;
      case 'number': if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(); break;
      case 'boolean': if (typeof v !== 'boolean') throw bad(); break;
      case 'strings': if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad(); break;
      // Docker's strslice also takes a single string for these.
      case 'strslice':
        if (typeof v === 'string') obj[key] = [v];
        else if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw bad();
        break;
      case 'object': if (typeof v !== 'object' || Array.isArray(v)) throw bad(); break;
      case 'stringMap':
        if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((s) => typeof s === 'string')) throw bad();
        break;
      case 'array': if (!Array.isArray(v)) throw bad(); break;
    }
  }
}

function describe(kind: Kind): string {
  return { string: 'a string', number: 'a number', boolean: 'a boolean', strings: 'a list of strings', strslice: 'a string or a list of strings', object: 'an object', stringMap: 'an object of strings', array: 'a list' }[kind];
}

/** Checks the shape of a `POST /containers/create` body; a wrong type is a 400 naming the field. */
export function decodeCreateBody(body: unknown): { config: ContainerConfig; hostConfig: HostConfig; networking: NetworkingConfig } {
  if (body === undefined || body === null) throw new InvalidArgumentError('Config cannot be empty in order to create a container');
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidArgumentError('invalid request body: expected a JSON object');
  const { HostConfig: hc, NetworkingConfig: nc, ...rest } = body as Record<string, unknown>;
  check('Config', rest, CONFIG_FIELDS);
  const host = (hc ?? {}) as Record<string, unknown>;
  if (typeof host !== 'object' || Array.isArray(host)) throw new InvalidArgumentError('invalid HostConfig: expected an object');
  check('HostConfig', host, HOST_FIELDS);
  const rp = host.RestartPolicy as Record<string, unknown> | undefined;
  if (rp && (rp.Name !== undefined && typeof rp.Name !== 'string' || rp.MaximumRetryCount !== undefined && typeof rp.MaximumRetryCount !== 'number')) {
    throw new InvalidArgumentError('invalid HostConfig.RestartPolicy: expected {"Name": string, "MaximumRetryCount": number}');
  }
  if (!rest.Image || typeof rest.Image !== 'string') throw new InvalidArgumentError('Config.Image is required');
  return { config: rest as ContainerConfig, hostConfig: host as HostConfig, networking: checkNetworking(nc) };
}

/** NetworkingConfig's shape: EndpointsConfig maps network names to objects (or null). */
function checkNetworking(nc: unknown): NetworkingConfig {
  if (nc === undefined || nc === null) return {};
  if (typeof nc !== 'object' || Array.isArray(nc)) throw new InvalidArgumentError('invalid NetworkingConfig: expected an object');
  const eps = (nc as Record<string, unknown>).EndpointsConfig;
  if (eps !== undefined && eps !== null && (typeof eps !== 'object' || Array.isArray(eps) || !Object.values(eps).every((e) => e === null || (typeof e === 'object' && !Array.isArray(e))))) {
    throw new InvalidArgumentError('invalid NetworkingConfig.EndpointsConfig: expected an object of objects');
  }
  return nc as NetworkingConfig;
}
