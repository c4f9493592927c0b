import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import tar from 'tar-stream';
import { receiveContext } from './context.js';
import { ContextTree, nodeDigest, openNode } from './context-tree.js';
import { planCopy } from './copy.js';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; mode?: number; body?: string | Buffer; linkname?: string; uid?: number; mtime?: Date };

async function tarOf(entries: Entry[]): Promise<Readable> {
  const pack = tar.pack();
  for (const e of entries) {
    const body = typeof e.body === 'string' ? Buffer.from(e.body) : e.body;
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: 0, mtime: e.mtime ?? new Date(1000), ...(e.linkname ? { linkname: e.linkname } : {}), ...(e.type === 'file' || !e.type ? { size: body?.length ?? 0 } : {}) }, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  return Readable.from(await buffer(pack as unknown as Readable));
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

function tmp(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctx-tree-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a context is read into memory up to the bound, the rest into spill files, each file hashed as it arrives', async (t) => {
  const dir = tmp(t);
  const big = Buffer.alloc(3000, 7);
  const tree = new ContextTree({ tmpDir: dir, memoryBytes: 1024 });
  await receiveContext(await tarOf([
    { name: 'Dockerfile', body: 'FROM x\n' },
    { name: 'src/', type: 'directory', mode: 0o750 },
    { name: 'src/big.bin', body: big, mode: 0o600 },
    { name: 'src/small.txt', body: 'small\n' },
    { name: 'deep/er/file', body: 'implicit parents\n' },
  ]), tree);
  const df = tree.get('Dockerfile')!;
  assert.ok(df.data, 'a small file stays in memory');
  assert.equal(df.digest, sha('FROM x\n'));
  const bigNode = tree.get('src/big.bin')!;
  assert.equal(bigNode.data, undefined, 'a file past the bound is not held in memory');
  assert.ok(bigNode.file && existsSync(bigNode.file), 'it is in a spill file');
  assert.equal(bigNode.digest, sha(big));
  assert.deepEqual(await buffer(openNode(bigNode)), big);
  assert.equal(bigNode.mode, 0o600);
  assert.equal(tree.get('src')!.mode, 0o750);
  assert.deepEqual(tree.list('src'), ['big.bin', 'small.txt']);
  assert.equal(tree.get('deep/er')!.type, 'directory');
  assert.ok(tree.memoryUsed <= 1024);
  const spilled = path.dirname(bigNode.file);
  await tree.dispose();
  assert.equal(existsSync(spilled), false, 'dispose removes the spill directory');
});

test('paths resolve inside the tree: links are followed from its root, .. stops there, entries land inside', async (t) => {
  const tree = new ContextTree({ tmpDir: tmp(t), memoryBytes: 1 << 20 });
  await receiveContext(await tarOf([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/passwd', body: 'ctx passwd\n' },
    { name: 'abs', type: 'symlink', linkname: '/etc' },
    { name: 'up', type: 'symlink', linkname: '../../../..' },
    { name: 'rel', type: 'symlink', linkname: 'etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'etc/passwd' },
    { name: 'abs/through-link', body: 'written through a link\n' },
  ]), tree);
  assert.equal(tree.resolve('abs/passwd'), 'etc/passwd');
  assert.equal(tree.resolve('up/etc/passwd'), 'etc/passwd');
  assert.equal(tree.resolve('../../etc/passwd'), 'etc/passwd');
  assert.equal(tree.resolve('rel'), 'etc/passwd');
  assert.equal(tree.resolve('rel', false), 'rel');
  assert.equal(tree.get('etc/through-link')!.data!.toString(), 'written through a link\n', 'a parent that is a link resolves inside the tree');
  assert.equal(tree.get('hard')!.digest, sha('ctx passwd\n'), 'a hard link is a copy');
  await assert.rejects(receiveContext(await tarOf([{ name: '../escape', body: 'x' }]), tree), /points outside the context/);
});

test('an archive read below a prefix (COPY --from\'s getArchive) keeps its hard links inside the prefix', async (t) => {
  const tree = new ContextTree({ tmpDir: tmp(t), memoryBytes: 1 << 20 });
  const into = tree.ensureDir(tree.resolve('/usr'));
  await receiveContext(await tarOf([
    { name: 'bin/', type: 'directory' },
    { name: 'bin/busybox', body: 'the binary', mode: 0o755 },
    { name: 'bin/sh', type: 'link', linkname: 'bin/busybox' },
  ]), tree, { prefix: into });
  assert.deepEqual(tree.list('usr/bin'), ['busybox', 'sh']);
  assert.equal(tree.get('usr/bin/sh')!.digest, sha('the binary'));
  assert.equal(tree.get('usr/bin/sh')!.mode, 0o755);
});

test('COPY checksums: contents, modes and link targets count, mtimes do not; memory and spill agree', async (t) => {
  const dir = tmp(t);
  const sum = async (entries: Entry[], memoryBytes = 1 << 20): Promise<string> => {
    const tree = new ContextTree({ tmpDir: dir, memoryBytes });
    try {
      await receiveContext(await tarOf(entries), tree);
      const plan = await planCopy({ context: tree, sources: ['app'], dest: '/app/', workdir: '/', isIgnored: () => false, destIsDir: async () => true, cmd: 'COPY' });
      for (const e of plan.entries) if (e.node.type === 'file') assert.equal(await nodeDigest(e.node), sha(await buffer(openNode(e.node))));
      return plan.sourceWord;
    } finally { await tree.dispose(); }
  };
  const base: Entry[] = [
    { name: 'app/', type: 'directory', mode: 0o755 },
    { name: 'app/a.txt', body: 'aaaa\n' },
    { name: 'app/link', type: 'symlink', linkname: 'a.txt' },
  ];
  const word = await sum(base);
  assert.match(word, /^dir:[0-9a-f]{64}$/);
  assert.equal(await sum(base, 0), word, 'a spilled context gives the same checksum');
  assert.equal(await sum(base.map((e) => ({ ...e, mtime: new Date(5e12) }))), word, 'mtimes are not part of it');
  assert.notEqual(await sum(base.map((e) => e.name === 'app/a.txt' ? { ...e, body: 'aaab\n' } : e)), word, 'one changed byte (same size) misses');
  assert.notEqual(await sum(base.map((e) => e.name === 'app/a.txt' ? { ...e, body: 'aaab\n' } : e), 0), word, 'also when spilled');
  assert.notEqual(await sum(base.map((e) => e.name === 'app/a.txt' ? { ...e, mode: 0o755 } : e)), word, 'a mode misses');
  assert.notEqual(await sum(base.map((e) => e.name === 'app/a.txt' ? { ...e, uid: 1000 } : e)), word, 'an owner misses');
  assert.notEqual(await sum(base.map((e) => e.name === 'app/link' ? { ...e, linkname: 'b.txt' } : e)), word, 'a link target misses');
  assert.notEqual(await sum([...base, { name: 'app/new', body: '' }]), word, 'a new file misses');
});

test('a directory on disk (a cloned git context) reads as a tree of its files', async (t) => {
  const dir = tmp(t);
  const src = path.join(dir, 'repo');
  await fsp.mkdir(path.join(src, 'sub'), { recursive: true });
  await fsp.writeFile(path.join(src, 'sub', 'f.txt'), 'on disk\n');
  await fsp.symlink('sub/f.txt', path.join(src, 'l'));
  const tree = await ContextTree.fromDirectory(src, { tmpDir: dir, memoryBytes: 0 });
  assert.deepEqual(tree.list(''), ['l', 'sub']);
  const f = tree.get(tree.resolve('l'))!;
  assert.equal(await nodeDigest(f), sha('on disk\n'));
  assert.equal(tree.get('l')!.linkname, 'sub/f.txt');
});
