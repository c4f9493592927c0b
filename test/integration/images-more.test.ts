import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { exec } from '../../src/util/index.js';
import { mountsUnder, needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { layerTar, writeDockerArchive } from '../helpers/archive.js';
import { busyboxRootfsTar, umociImage } from '../helpers/fixtures.js';

/** berth's own CLI against a real berthd, image filters, and what rmi refuses. */
describe('images: berth CLI, filters, conflicts', needsDocker, () => {
  let d: TestDaemon;
  before(async () => { d = await startDaemon('images-more'); });
  after(async () => {
    const left = mountsUnder(d.dataRoot);
    await d?.stop();
    assert.deepEqual(left, [], 'no mounts left under the data-root');
  });

  test('berth load, images, inspect, history, tag, save and rmi', async () => {
    const { dockerArchive } = await umociImage();
    const load = await d.berth(['load', '-i', dockerArchive]);
    assert.match(load.stdout.toString(), /^Loaded image: umoci\/busybox:v1$/m);
    const images = await d.berth(['images']);
    assert.match(images.stdout.toString(), /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
    assert.match(images.stdout.toString(), /^umoci\/busybox\s+v1\s+[0-9a-f]{12}\s+/m);
    assert.equal((await d.berth(['image', 'inspect', '--format', '{{len .RootFS.Layers}}', 'umoci/busybox:v1'])).stdout.toString().trim(), '2');
    const hist = await d.berth(['history', '-q', 'umoci/busybox:v1']);
    assert.match(hist.stdout.toString().split('\n')[0]!, /^[0-9a-f]{12}$/);
    await d.berth(['tag', 'umoci/busybox:v1', 'berth/copy:1']);
    const saved = path.join(d.dir, 'berth-saved.tar');
    await d.berth(['save', '-o', saved, 'berth/copy:1']);
    const manifest = JSON.parse((await exec('tar', ['-xOf', saved, 'manifest.json'])).stdout.toString()) as Array<{ RepoTags: string[] }>;
    assert.deepEqual(manifest[0]!.RepoTags, ['berth/copy:1']);
    const rmi = await d.berth(['rmi', 'berth/copy:1']);
    assert.equal(rmi.stdout.toString().trim(), 'Untagged: berth/copy:1');
    const missing = await d.berth(['rmi', 'berth/copy:1'], { allowFailure: true });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim(), 'Error response from daemon: No such image: berth/copy:1');
  });

  test('berth import from stdin with --change', async () => {
    const rootfs = await busyboxRootfsTar();
    const r = await d.berth(['import', '-c', 'ENV X=1', '-', 'berth/imported:1'], { input: await fsp.readFile(rootfs) });
    assert.match(r.stdout.toString().trim(), /^sha256:[0-9a-f]{64}$/);
    assert.equal((await d.docker(['image', 'inspect', '-f', '{{json .Config.Env}}', 'berth/imported:1'])).stdout.toString().trim(), '["X=1"]');
  });

  test('images filters: reference, label, before, since, dangling', async () => {
    const mk = async (tag: string, label: string) => {
      const file = path.join(d.dir, `${tag.replace(/[/:]/g, '_')}.tar`);
      await writeDockerArchive(file, [await layerTar([{ name: `f-${tag}`, content: tag }])], { repoTags: [tag] });
      await d.docker(['load', '-q', '-i', file]);
      await d.docker(['tag', tag, `${tag}-${label}`]);
    };
    await mk('filt/a:1', 'x');
    await mk('filt/b:1', 'y');
    const ref = await d.docker(['images', '--filter', 'reference=filt/*', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.deepEqual(ref.stdout.toString().trim().split('\n').sort(), ['filt/a:1', 'filt/a:1-x', 'filt/b:1', 'filt/b:1-y']);
    const refTag = await d.docker(['images', '--filter', 'reference=filt/a:1-*', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.equal(refTag.stdout.toString().trim(), 'filt/a:1-x');
    const rootfs = await busyboxRootfsTar();
    await d.docker(['import', '-c', 'LABEL tier=front', rootfs, 'filt/labelled:1']);
    const label = await d.docker(['images', '--filter', 'label=tier=front', '--format', '{{.Repository}}']);
    assert.equal(label.stdout.toString().trim(), 'filt/labelled');
    const noLabel = await d.docker(['images', '--filter', 'label=tier=back', '-q']);
    assert.equal(noLabel.stdout.toString().trim(), '');
    const since = await d.docker(['images', '--filter', 'since=filt/a:1', '--format', '{{.Repository}}']);
    assert.ok(since.stdout.toString().includes('filt/labelled'), since.stdout.toString());
    const before = await d.docker(['images', '--filter', 'before=filt/labelled:1', '--format', '{{.Repository}}']);
    assert.ok(!before.stdout.toString().includes('filt/labelled'));
    const bad = await d.docker(['images', '--filter', 'nosuch=1'], { allowFailure: true });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid filter 'nosuch'/);
  });

  test('an unknown layer media type in an OCI layout is refused', async () => {
    const { layout } = await umociImage();
    const copy = path.join(d.dir, 'weird-layout');
    await exec('cp', ['-a', layout, copy]);
    const index = JSON.parse(await fsp.readFile(path.join(copy, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const mPath = path.join(copy, 'blobs/sha256', index.manifests[0]!.digest.slice(7));
    const manifest = JSON.parse(await fsp.readFile(mPath, 'utf8')) as { layers: Array<{ mediaType: string }> };
    manifest.layers[0]!.mediaType = 'application/x-unknown-layer';
    const bytes = Buffer.from(JSON.stringify(manifest));
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(bytes).digest('hex');
    await fsp.writeFile(path.join(copy, 'blobs/sha256', digest), bytes);
    index.manifests[0]!.digest = `sha256:${digest}`;
    (index.manifests[0] as unknown as { size: number }).size = bytes.length;
    await fsp.writeFile(path.join(copy, 'index.json'), JSON.stringify(index));
    const tarFile = path.join(d.dir, 'weird.tar');
    await exec('tar', ['-cf', tarFile, '-C', copy, '.']);
    const r = await d.docker(['load', '-i', tarFile], { allowFailure: true });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout.toString(), /unknown layer media type application\/x-unknown-layer/);
  });

  test('rmi refuses an image a container uses until the container is removed', async () => {
    const rootfs = await busyboxRootfsTar();
    await d.docker(['import', '-c', 'CMD ["sh"]', rootfs, 'inuse:1']);
    const cid = (await d.docker(['create', 'inuse:1', 'true'])).stdout.toString().trim();
    const r = await d.docker(['rmi', 'inuse:1'], { allowFailure: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`conflict: unable to remove repository reference "inuse:1" \\(must force\\) - container ${cid.slice(0, 12)} is using its referenced image`));
    const byId = (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'inuse:1'])).stdout.toString().trim();
    const r2 = await d.docker(['rmi', byId.slice(7, 19)], { allowFailure: true });
    assert.match(r2.stderr, /image is being used by stopped container/);
    await d.docker(['rm', cid]);
    await d.docker(['rmi', 'inuse:1']);
  });
});
