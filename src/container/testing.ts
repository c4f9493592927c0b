// A ContainerService over a real ContainerStore in a temp dir, a FakeDriver and a fake
// preparer: the state machine and the container routes, tested in-process without root.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventBus } from '../events/index.js';
import { ContentStore, ImageStore } from '../image/index.js';
import { FakeDriver } from '../runtime/driver/index.js';
import { SnapshotStore } from '../snapshot/index.js';
import { fakeSysInfo } from '../sysinfo/index.js';
import type { HostConfig } from '../types/container.js';
import { silentLogger } from '../util/index.js';
import { VolumeService } from '../volume/index.js';
import type { Preparer } from './prepare/index.js';
import { initialState, type ContainerRecord } from './record.js';
import { ContainerService } from './service.js';
import { ContainerStore } from './store.js';

export interface Harness {
  svc: ContainerService;
  store: ContainerStore;
  driver: FakeDriver;
  /** `Action name` of every event published. */
  events: string[];
  preparer: { log: string[]; failPrepare?: Error };
  /** A created container (as `POST /containers/create` leaves it), by name; returns its id. */
  add(name: string, hostConfig?: Partial<HostConfig>): Promise<string>;
  /** Removes the temp dir. */
  close(): void;
}

export async function containerHarness(): Promise<Harness> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'berth-lifecycle-'));
  const logger = silentLogger();
  const exitDir = path.join(root, 'exec', 'exits');
  const driver = new FakeDriver(exitDir);
  const store = new ContainerStore(path.join(root, 'containers'), path.join(root, 'exec'), logger);
  await store.init();
  const content = new ContentStore(path.join(root, 'blobs'), path.join(root, 'ingest'));
  const bus = new EventBus();
  const events: string[] = [];
  bus.subscribe((e) => events.push(`${e.Action} ${e.Actor.Attributes.name ?? ''}`));
  const preparer: Harness['preparer'] = { log: [] };
  const fake: Preparer = {
    name: 'fake',
    async prepare(ctx) {
      preparer.log.push(`prepare ${ctx.rec.name}`);
      if (preparer.failPrepare) { const e = preparer.failPrepare; preparer.failPrepare = undefined; throw e; }
    },
    async release(rec) { preparer.log.push(`release ${rec.name}`); },
  };
  const svc = new ContainerService({
    store, driver, events: bus, logger, exitDir,
    volumes: new VolumeService({ root: path.join(root, 'volumes'), events: bus, logger, users: (n) => store.volumeUsers(n) }),
    content, images: new ImageStore(path.join(root, 'images'), content, logger), snapshots: new SnapshotStore({ root: path.join(root, 'snapshots'), logger }),
    cgroups: { version: 1, root: path.join(root, 'cgroup') }, initPath: '/usr/bin/tini-static', kernelRelease: os.release(),
    runtimeNames: ['runc'], defaultRuntime: 'runc', preparers: [[fake]], sysInfo: fakeSysInfo(),
  });
  driver.onExit = (id, code, at) => { void svc.handleExit(id, code, at); };
  const add = async (name: string, hostConfig: Partial<HostConfig> = {}): Promise<string> => {
    const id = randomBytes(32).toString('hex');
    const rec: ContainerRecord = {
      id, name: `/${name}`, created: new Date().toISOString(), path: 'sh', args: ['-c', 'true'],
      config: { Image: 'busybox', Cmd: ['sh', '-c', 'true'], Env: [] },
      hostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, LogConfig: { Type: 'none', Config: {} }, ...hostConfig } as HostConfig,
      imageId: 'sha256:' + '0'.repeat(64), runtime: 'runc', state: initialState(), restartCount: 0, imageChainId: undefined, platform: 'linux',
    };
    store.names.reserve(rec.name, id);
    mkdirSync(store.paths(id).dir, { recursive: true });
    await store.add(rec);
    return id;
  };
  return { svc, store, driver, events, preparer, add, close: () => rmSync(root, { recursive: true, force: true }) };
}

