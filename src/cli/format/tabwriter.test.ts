import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tabulate } from './tabwriter.js';

describe('tabwriter (minwidth 10, padding 3, as docker tables)', () => {
  it('pads every column but the last to its widest cell plus 3, at least 10', () => {
    const out = tabulate('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\nbusybox\tlatest\t3f57d9401f8d\t2 weeks ago\t4.26MB\n');
    assert.equal(out, [
      'REPOSITORY   TAG       IMAGE ID       CREATED       SIZE',
      'busybox      latest    3f57d9401f8d   2 weeks ago   4.26MB',
      '',
    ].join('\n'));
  });

  it('prints a header alone when there are no rows', () => {
    assert.equal(tabulate('REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\n'), 'REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n');
  });

  it('starts a new block after a line without tabs', () => {
    const out = tabulate('a\tb\nlonger-cell\tx\nplain line\nc\td\n', 20, 1);
    assert.equal(out, 'a                   b\nlonger-cell         x\nplain line\nc                   d\n');
  });

  it('aligns a column only over the run of lines that have it', () => {
    const out = tabulate('a\tbbbbbbbbbbbbbb\tc\nx\ty\nl\tz\tw\n');
    assert.equal(out, 'a         bbbbbbbbbbbbbb   c\nx         y\nl         z         w\n');
  });

  it('counts wide characters as two columns', () => {
    assert.equal(tabulate('名前\tx\nab\ty\n'), '名前      x\nab        y\n');
  });
});
