import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitShellWords } from './shellwords.js';
import { parseBytes, toBool, toInt } from './units.js';

describe('command strings split as Compose does (go-shellwords)', () => {
  it('splits on blanks and keeps quoted words whole', () => {
    assert.deepEqual(splitShellWords('nginx -g "daemon off;"'), ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(splitShellWords("sh -c 'echo $HOME && exit 1'"), ['sh', '-c', 'echo $HOME && exit 1']);
    assert.deepEqual(splitShellWords('  a \t b\nc  '), ['a', 'b', 'c']);
    assert.deepEqual(splitShellWords('echo "" \'\''), ['echo', '', '']);
    assert.deepEqual(splitShellWords('a"b c"d'), ['ab cd']);
  });

  it('reads backslashes: any character outside quotes, \\" \\\\ \\$ inside double quotes', () => {
    assert.deepEqual(splitShellWords('echo a\\ b'), ['echo', 'a b']);
    assert.deepEqual(splitShellWords('echo "a\\"b" "c\\d"'), ['echo', 'a"b', 'c\\d']);
    assert.deepEqual(splitShellWords("echo 'a\\b'"), ['echo', 'a\\b']);
  });

  it('refuses an unterminated quote', () => {
    assert.throws(() => splitShellWords('echo "open'), { message: 'invalid command line string: echo "open' });
  });
});

describe('sizes and casts', () => {
  it('reads sizes as docker/go-units RAMInBytes', () => {
    assert.equal(parseBytes('64m', 'x'), 64 * 1024 * 1024);
    assert.equal(parseBytes('1g', 'x'), 1024 ** 3);
    assert.equal(parseBytes('512kb', 'x'), 512 * 1024);
    assert.equal(parseBytes('1.5G', 'x'), 1.5 * 1024 ** 3);
    assert.equal(parseBytes('100', 'x'), 100);
    assert.equal(parseBytes(4096, 'x'), 4096);
    assert.throws(() => parseBytes('lots', 'services.web.shm_size'), { message: "services.web.shm_size: invalid size: 'lots'" });
  });

  it('casts interpolated strings', () => {
    assert.equal(toInt('3', 'x'), 3);
    assert.throws(() => toInt('3.5', 'services.web.scale'), { message: 'services.web.scale must be an integer' });
    assert.equal(toBool('yes', 'x'), true);
    assert.equal(toBool('off', 'x'), false);
    assert.throws(() => toBool('maybe', 'x'));
  });
});
