import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderRows, TABLE } from './formatter.js';
import { HISTORY_HEADER, historyFormat, historyRow } from './history.js';
import { IMAGE_HEADER, imageFormat, imageRows } from './image.js';
import { renderDiskUsage } from './disk-usage.js';
import type { ImageSummary } from '../../client/index.js';

// docker's own tests pin the zone the same way: times print in the local zone.
process.env.TZ = 'UTC';

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0);
const DAY = 86400;
const DIGEST = 'sha256:cbbf2f9a99b47fc460d422812b6a5adff7dfee951d8fa2e4a98caa0382cfbdbf';

// docker's formatter/image_test.go fixtures.
const images: ImageSummary[] = [
  { Id: 'imageID1', RepoTags: ['image:tag1'], RepoDigests: [`image@${DIGEST}`], Created: NOW / 1000 - DAY, Size: 0 },
  { Id: 'imageID2', RepoTags: ['image:tag2'], Created: -62135596800, Size: 0 },
  { Id: 'imageID3', RepoTags: [], RepoDigests: [], Created: NOW / 1000 - DAY, Size: 0 },
];

function list(format: string, quiet: boolean, digests: boolean): string {
  const source = imageFormat(format, quiet, digests);
  const needDigest = digests || source.includes('{{.Digest}}');
  const rows = images.flatMap((i) => imageRows(i, { trunc: true, nowMs: NOW, showDigests: digests, needDigest }));
  return renderRows(source, rows, IMAGE_HEADER);
}

describe('images rows (docker formatter/image_test.go)', () => {
  it('default table', () => {
    assert.equal(list(TABLE, false, false), `REPOSITORY   TAG       IMAGE ID   CREATED        SIZE
image        tag1      imageID1   24 hours ago   0B
image        tag2      imageID2   N/A            0B
<none>       <none>    imageID3   24 hours ago   0B
`);
  });

  it('table with digests', () => {
    assert.equal(list(TABLE, false, true), `REPOSITORY   TAG       DIGEST                                                                    IMAGE ID   CREATED        SIZE
image        tag1      ${DIGEST}   imageID1   24 hours ago   0B
image        tag2      <none>                                                                    imageID2   N/A            0B
<none>       <none>    <none>                                                                    imageID3   24 hours ago   0B
`);
  });

  it('custom tables and quiet', () => {
    assert.equal(list('table {{.Repository}}', false, false), 'REPOSITORY\nimage\nimage\n<none>\n');
    assert.equal(list('table {{.Repository}}', false, true), `REPOSITORY   DIGEST\nimage        ${DIGEST}\nimage        <none>\n<none>       <none>\n`);
    assert.equal(list('table {{.Digest}}', true, false), `DIGEST\n${DIGEST}\n<none>\n<none>\n`);
    assert.equal(list(TABLE, true, false), 'imageID1\nimageID2\nimageID3\n');
    assert.equal(list('{{.Repository}}:{{.Tag}}', false, false), 'image:tag1\nimage:tag2\n<none>:<none>\n');
  });

  it('json rows print every field, keys sorted, HTML escaped', () => {
    const out = list('json', false, false).split('\n')[2]!;
    assert.equal(out, '{"Containers":"0","CreatedAt":' + JSON.stringify(new Date(NOW - DAY * 1000).toISOString().replace('T', ' ').replace('.000Z', ' +0000 UTC'))
      + ',"CreatedSince":"24 hours ago","Digest":"\\u003cnone\\u003e","ID":"imageID3","Repository":"\\u003cnone\\u003e","SharedSize":"0B","Size":"0B","Tag":"\\u003cnone\\u003e","UniqueSize":"0B","VirtualSize":"0B"}');
  });

  it('headers follow the template, functions included', () => {
    assert.equal(list('table {{upper .Repository}}\t{{.Tag | lower}}', false, false).split('\n')[0], 'REPOSITORY   TAG');
  });

  it('a bad field fails the whole command', () => {
    assert.throws(() => list('{{.Nope}}', false, false), { message: `template parsing error: template: :1:2: executing "" at <.Nope>: can't evaluate field Nope in type *formatter.imageContext` });
  });
});

describe('history rows (docker history goldens)', () => {
  it('human', () => {
    const rows = [historyRow({ Id: '1234567890123456789', Created: NOW / 1000, CreatedBy: '', Size: 0, Comment: 'none' }, { trunc: true, human: true, nowMs: NOW })];
    assert.equal(renderRows(historyFormat(TABLE, false, true), rows, HISTORY_HEADER), `IMAGE          CREATED                  CREATED BY   SIZE      COMMENT
123456789012   Less than a second ago                0B        none
`);
  });

  it('non-human', () => {
    const created = Date.UTC(2017, 0, 1, 12, 0, 3) / 1000;
    const rows = [historyRow({ Id: 'abcdef', Created: created, CreatedBy: 'rose', Size: 0, Comment: 'new history item!' }, { trunc: true, human: false })];
    assert.equal(renderRows(historyFormat(TABLE, false, false), rows, HISTORY_HEADER), `IMAGE     CREATED AT             CREATED BY   SIZE      COMMENT
abcdef    2017-01-01T12:00:03Z   rose         0         new history item!
`);
  });
});

describe('system df', () => {
  it('summary table', () => {
    const du = {
      LayersSize: 16_430_000,
      Images: [{ Id: 'a', Created: 0, Size: 11_000_000, SharedSize: 0, Containers: 1 }, { Id: 'b', Created: 0, Size: 5_430_000, SharedSize: 0, Containers: 0 }],
      Containers: [{ Id: 'c', State: 'exited', SizeRw: 212 }],
      Volumes: [],
      BuildCache: [],
    };
    assert.equal(renderDiskUsage(du, TABLE, false, NOW), `TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
Images          2         1         16.43MB   5.43MB (33%)
Containers      1         0         212B      212B (100%)
Local Volumes   0         0         0B        0B
Build Cache     0         0         0B        0B
`);
  });
});
