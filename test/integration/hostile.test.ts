import assert from 'node:assert/strict';
import { existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needsDocker, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { layerTar, writeDockerArchive, type LayerEntry } from '../helpers/archive.js';

/**
 * Hostile layers loaded through the real docker CLI: nothing may be written outside the
 * layer directory, a refused image leaves no trace, and the daemon stays healthy.
 */
describe('hostile layer tarballs', needsDocker, () => {
  let d: TestDaemon;
  let outside: string;
  before(async () => {
    d = await startDaemon('hostile');
    outside = path.join(d.dir, 'outside');
    await fsp.mkdir(outside);
  });
  after(async () => { await d?.stop(); });

  const refused: Array<[string, LayerEntry[]]> = [
    ['a name climbing out with ..', [{ name: '../../../../../../../../../tmp/evil-dotdot', content: 'x' }]],
    ['a name climbing out in the middle', [{ name: 'a/../../../../../../../../../evil-mid', content: 'x' }]],
    ['a hardlink to a file outside', [{ name: 'link', type: 'link', linkname: '../../../../../../../../etc/passwd' }]],
  ];
  for (const [what, entries] of refused) {
    test(`refuses ${what}`, async () => {
      const file = path.join(d.dir, 'h.tar');
      await writeDockerArchive(file, [await layerTar(entries)], { repoTags: ['hostile:refused'] });
      const r = await d.docker(['load', '-i', file], { allowFailure: true });
      assert.notEqual(r.code, 0, r.stdout.toString());
      assert.equal((await d.docker(['image', 'inspect', 'hostile:refused'], { allowFailure: true })).code, 1);
      assert.equal(existsSync('/tmp/evil-dotdot'), false);
      assert.equal(existsSync('/evil-mid'), false);
      assert.equal((await d.request('GET', '/_ping')).status, 200);
    });
  }

  test('symlinks pointing out cannot redirect later writes', async () => {
    const layer = await layerTar([
      { name: 'abs', type: 'symlink', linkname: outside },
      { name: 'abs/evil-abs', content: 'x' },
      { name: 'rel', type: 'symlink', linkname: '../../../../../../../../../..' + outside },
      { name: 'rel/evil-rel', content: 'x' },
      { name: '/etc/absolute-name', content: 'inside' },
    ]);
    const file = path.join(d.dir, 'sym.tar');
    await writeDockerArchive(file, [layer], { repoTags: ['hostile:symlinks'] });
    const r = await d.docker(['load', '-i', file], { allowFailure: true });
    assert.deepEqual(await fsp.readdir(outside), [], `nothing written outside; load said: ${r.stdout} ${r.stderr}`);
    if (r.code === 0) {
      const info = JSON.parse((await d.request('GET', '/images/hostile:symlinks/json')).body) as { GraphDriver: { Data: { UpperDir: string } } };
      const upper = info.GraphDriver.Data.UpperDir;
      assert.ok(upper.startsWith(d.dataRoot));
      assert.equal(await fsp.readlink(path.join(upper, 'abs')), outside, 'the symlink itself is data');
      assert.equal(await fsp.readFile(path.join(upper, 'etc', 'absolute-name'), 'utf8'), 'inside');
    }
  });

  test('a 110-layer image loads and lists all its layers', async () => {
    const layers: Buffer[] = [];
    for (let i = 0; i < 110; i++) layers.push(await layerTar([{ name: `layer-${i}`, content: String(i) }]));
    const file = path.join(d.dir, 'many.tar');
    await writeDockerArchive(file, layers, { repoTags: ['many:layers'] });
    await d.docker(['load', '-i', file]);
    const info = JSON.parse((await d.request('GET', '/images/many:layers/json')).body) as { RootFS: { Layers: string[] }; GraphDriver: { Data: { LowerDir: string } } };
    assert.equal(info.RootFS.Layers.length, 110);
    assert.equal(info.GraphDriver.Data.LowerDir.split(':').length, 109);
  });
});
