import assert from 'node:assert/strict';
import { promises as fsp, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createUserNamespace, idmappedBindMount, mountIdmappedOverlay, type UserNamespace } from './idmap.js';
import { unmount, type SysError } from './index.js';

const REMAP = [{ containerID: 0, hostID: 100000, size: 65536 }];
const KERNEL_REFUSALS = new Set(['EINVAL', 'EPERM', 'ENOSYS', 'EOPNOTSUPP', 'ENOTSUP']);

function rootSkip(t: TestContext): boolean {
  if (process.getuid?.() !== 0) {
    t.skip('needs root: idmapped mounts and writing uid_map for an arbitrary range');
    return true;
  }
  return false;
}

/** This process's children (of every thread): a helper left running would show here. */
function children(): string[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${process.pid}/task/${tid}/children`, 'utf8').split(' ').filter((s) => s.trim() !== ''));
}

function mountedAt(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === target);
}

/** Everything a test made, undone in reverse order whatever happened: mounts, the userns fd, the temp dir. */
async function scratch(t: TestContext): Promise<{ dir: string; mounted: (target: string) => void; userns: () => Promise<UserNamespace> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-idmap-'));
  const mounts: string[] = [];
  let ns: UserNamespace | undefined;
  t.after(async () => {
    for (const target of mounts.reverse()) {
      if (!mountedAt(target)) continue;
      try { unmount(target); } catch { unmount(target, true); }
    }
    ns?.close();
    await fsp.rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    mounted: (target) => { mounts.push(target); },
    userns: async () => (ns = await createUserNamespace(REMAP)),
  };
}

/** Runs an idmapping step; a kernel or filesystem that refuses idmapped mounts skips the test. */
function orSkip(t: TestContext, what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    const code = (err as SysError).code;
    if ((err as SysError).syscall !== undefined && KERNEL_REFUSALS.has(code)) {
      t.skip(`${what}: the kernel refused (${(err as Error).message}); idmapped mounts need Linux >= 5.12 and a filesystem that supports them`);
      return false;
    }
    throw err;
  }
}

test('createUserNamespace holds a user namespace with the mapping, by fd, with no process left in it', async (t) => {
  if (rootSkip(t)) return;
  const s = await scratch(t);
  const ns = await s.userns();
  assert.match(readlinkSync(ns.path), /^user:\[\d+\]$/);
  assert.notEqual(readlinkSync(ns.path), readlinkSync('/proc/self/ns/user'));
  assert.deepEqual(ns.uidMappings, REMAP);
  const link = readlinkSync(ns.path);
  const inside = readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try { return readlinkSync(`/proc/${pid}/ns/user`) === link; } catch { return false; }
  });
  assert.deepEqual(inside, []);
  assert.deepEqual(children(), []);
});

test('a mapping the kernel rejects fails createUserNamespace and leaves no helper process behind', async (t) => {
  if (rootSkip(t)) return;
  await assert.rejects(createUserNamespace([{ containerID: 0, hostID: 100000, size: 0 }]), { code: 'EINVAL' });
  assert.deepEqual(children(), []);
});

test('an idmapped bind mount shows a file owned by 0 as 100000 (mapping 0 -> 100000, 65536 ids)', async (t) => {
  if (rootSkip(t)) return;
  const s = await scratch(t);
  const src = path.join(s.dir, 'src');
  const target = path.join(s.dir, 'mapped');
  await fsp.mkdir(src);
  await fsp.mkdir(target);
  await fsp.writeFile(path.join(src, 'file'), 'owned by root');
  await fsp.chown(path.join(src, 'file'), 0, 0);
  await fsp.writeFile(path.join(src, 'by1000'), '');
  await fsp.chown(path.join(src, 'by1000'), 1000, 1000);
  const ns = await s.userns();

  s.mounted(target);
  if (!orSkip(t, 'idmapped bind mount', () => idmappedBindMount(src, target, ns.fd))) return;
  assert.ok(mountedAt(target));
  const st = await fsp.stat(path.join(target, 'file'));
  assert.equal(st.uid, 100000);
  assert.equal(st.gid, 100000);
  assert.equal((await fsp.stat(path.join(target, 'by1000'))).uid, 101000);
  assert.equal(await fsp.readFile(path.join(target, 'file'), 'utf8'), 'owned by root');
  // The source itself is unchanged: nothing was chowned.
  assert.equal((await fsp.stat(path.join(src, 'file'))).uid, 0);
  // Host root (uid 0) has no id inside the mapping, so it cannot create files through the mount.
  await assert.rejects(fsp.writeFile(path.join(target, 'new'), 'x'), { code: 'EOVERFLOW' });

  unmount(target);
  assert.ok(!mountedAt(target));
});

test('an overlay of idmapped detached layers shows layer files as 100000; the upper dir is not remapped', async (t) => {
  if (rootSkip(t)) return;
  const s = await scratch(t);
  const [l1, l2, upper, work, merged] = ['l1', 'l2', 'upper', 'work', 'merged'].map((n) => path.join(s.dir, n)) as [string, string, string, string, string];
  for (const d of [l1, l2, upper, work, merged]) await fsp.mkdir(d);
  await fsp.writeFile(path.join(l1, 'top'), 'layer 1');
  await fsp.writeFile(path.join(l2, 'bottom'), 'layer 2');
  await fsp.chown(upper, 100000, 100000);
  const ns = await s.userns();

  s.mounted(merged);
  if (!orSkip(t, 'overlay on idmapped layers', () => mountIdmappedOverlay([l1, l2], merged, ns.fd, { upperDir: upper, workDir: work }))) return;
  assert.equal((await fsp.stat(path.join(merged, 'top'))).uid, 100000);
  assert.equal((await fsp.stat(path.join(merged, 'bottom'))).uid, 100000);
  assert.equal((await fsp.stat(merged)).uid, 100000);
  // Copy-up keeps the ownership seen through the idmapped lower: the upper copy is 100000 on disk.
  await fsp.appendFile(path.join(merged, 'bottom'), '+');
  assert.equal((await fsp.stat(path.join(upper, 'bottom'))).uid, 100000);
  assert.equal((await fsp.stat(path.join(l2, 'bottom'))).uid, 0);
  // No mount point for the idmapped layers themselves: only the overlay is in the table.
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(s.dir));
  assert.equal(lines.length, 1);

  unmount(merged);
  assert.ok(!mountedAt(merged));
});
