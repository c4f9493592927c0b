/**
 * For this folder's tests only: a temp root with a shared read-only busybox rootfs, runc and
 * conmon driven by a RuntimeDriver, and bundles whose cleanup is registered as they are made.
 */
import { access, copyFile, mkdir, mkdtemp, readdir, readFile, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { isErrno } from '../../errors/index.js';
import { exec, silentLogger, waitFor } from '../../util/index.js';
import { ConmonDriver } from './driver.js';
import { isProcessAlive } from '../../sys/index.js';
import { killQuietly, readPidFile } from './proc.js';
import { waitExitFile } from './exit-watcher.js';
import type { Created, CreateOptions, ExitInfo } from './types.js';

export const RUNC = '/usr/sbin/runc';
export const CRUN = '/usr/bin/crun';
export const CONMON = '/usr/bin/conmon';
const CGROUP_PARENT = 'berth-test';

/** Why the driver's integration tests cannot run here, or undefined when they can. */
export async function skipReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (runc creates namespaces and cgroups)';
  for (const bin of [RUNC, CONMON, '/bin/busybox']) {
    try {
      await access(bin);
    } catch {
      return `${bin} is not installed`;
    }
  }
  return undefined;
}

export interface Bundle {
  id: string;
  bundleDir: string;
  logPath: string;
  persistDir: string;
}

export interface BundleOptions {
  hasTty?: boolean;
  bundleDir?: string;
  /** OCI linux.resources. */
  resources?: object;
}

export interface Fixture {
  dir: string;
  exitDir: string;
  runcRoot: string;
  driver: ConmonDriver;
  /** A bundle running `args` (tty off unless asked); removed with its container after the test. */
  bundle(args: string[], opts?: BundleOptions): Promise<Bundle>;
  /** bundle() then create(). */
  create(args: string[], opts?: Partial<CreateOptions> & BundleOptions): Promise<Bundle & Created>;
  waitExit(id: string): Promise<ExitInfo>;
}

let counter = 0;

export async function makeFixture(t: TestContext): Promise<Fixture> {
  // One undo stack run in reverse: node:test runs after-hooks in the order they were added,
  // which would remove the runtime's root before the containers recorded in it.
  const undo: (() => Promise<void>)[] = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const step of undo.reverse()) await step().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  });
  const dir = await mkdtemp(join(tmpdir(), 'berth-drv-'));
  undo.push(() => rm(dir, { recursive: true, force: true }));
  const rootfs = await makeRootfs(dir);
  const template = await specTemplate(dir, rootfs);
  const exitDir = join(dir, 'exits');
  const runcRoot = join(dir, 'runc');
  const driver = new ConmonDriver({
    runtimes: {
      runc: { name: 'runc', path: RUNC, runtimeArgs: [], root: runcRoot },
      crun: { name: 'crun', path: CRUN, runtimeArgs: [], root: join(dir, 'crun') },
    },
    conmonPath: CONMON,
    exitDir,
    logger: silentLogger(),
  });

  const bundle: Fixture['bundle'] = async (args, opts = {}) => {
    const id = `drv-${process.pid}-${++counter}`;
    const bundleDir = opts.bundleDir ?? join(dir, id);
    await mkdir(bundleDir, { recursive: true });
    const spec = structuredClone(template) as Spec;
    spec.process.args = args;
    spec.process.terminal = opts.hasTty ?? false;
    spec.hostname = id;
    spec.linux.cgroupsPath = `/${CGROUP_PARENT}/${id}`;
    if (opts.resources) spec.linux.resources = opts.resources;
    await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec));
    undo.push(() => removeContainer(driver, id, bundleDir));
    return { id, bundleDir, logPath: join(bundleDir, 'ctr.log'), persistDir: bundleDir };
  };

  const create: Fixture['create'] = async (args, opts = {}) => {
    const { bundleDir, resources, ...createOpts } = opts;
    const b = await bundle(args, { hasTty: opts.hasTty, bundleDir, resources });
    const created = await driver.create({ id: b.id, bundleDir: b.bundleDir, runtime: 'runc', logPath: b.logPath, persistDir: b.persistDir, ...createOpts });
    return { ...b, ...created };
  };

  const waitExit = (id: string) => waitExitFile(join(exitDir, id), { signal: AbortSignal.timeout(20_000) });
  return { dir, exitDir, runcRoot, driver, bundle, create, waitExit };
}

interface Spec {
  hostname: string;
  root: { path: string; readonly: boolean };
  process: { args: string[]; terminal: boolean };
  linux: { cgroupsPath: string; resources?: object };
}

/** Debian's static busybox and its applet links, as scripts/make-busybox-rootfs.sh lays them out. */
async function makeRootfs(dir: string): Promise<string> {
  const rootfs = join(dir, 'rootfs');
  for (const sub of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'proc', 'sys', 'dev']) {
    await mkdir(join(rootfs, sub), { recursive: true });
  }
  await copyFile('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  const applets = (await exec('/bin/busybox', ['--list-full'])).stdout.toString('utf8').split('\n').filter((a) => a && a !== 'bin/busybox');
  await Promise.all(applets.map((a) => symlink('/bin/busybox', join(rootfs, a))));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  // docker run --init's init: the static build, since the dynamic tini fails in busybox.
  await copyFile('/usr/bin/tini-static', join(rootfs, 'sbin', 'tini')).catch((err: unknown) => {
    if (!isErrno(err, 'ENOENT')) throw err;
  });
  return rootfs;
}

/** `runc spec`, with the shared rootfs read-only. */
async function specTemplate(dir: string, rootfs: string): Promise<Spec> {
  const specDir = join(dir, 'spec');
  await mkdir(specDir);
  await exec(RUNC, ['spec', '--bundle', specDir]);
  const spec = JSON.parse(await readFile(join(specDir, 'config.json'), 'utf8')) as Spec;
  spec.root = { path: rootfs, readonly: true };
  return spec;
}

/** Container, conmon and cgroups gone, even when the test failed half-way. */
async function removeContainer(driver: ConmonDriver, id: string, bundleDir: string): Promise<void> {
  const conmonPid = await readPidFile(join(bundleDir, 'conmon.pid'));
  await driver.delete(id, 'runc', { force: true });
  if (conmonPid !== undefined && (await isProcessAlive(conmonPid))) killQuietly(conmonPid);
  for (const controller of await readdir('/sys/fs/cgroup')) {
    const parent = join('/sys/fs/cgroup', controller, CGROUP_PARENT);
    // EBUSY until the killed processes have left the cgroup.
    await waitFor(`removal of ${parent}/${id}`, () => rmdirIfThere(join(parent, id)), { timeoutMs: 10_000 });
    // Shared by concurrent tests: removed only once empty (ENOTEMPTY/EBUSY otherwise).
    await rmdirIfThere(parent).catch(() => undefined);
  }
}

async function rmdirIfThere(path: string): Promise<true> {
  try {
    await rmdir(path);
  } catch (err) {
    if (!isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
  }
  return true;
}
