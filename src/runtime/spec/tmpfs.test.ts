// Cases from moby/sys/mount's TestMergeTmpfsOptions and the docker --tmpfs documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeTmpfsOptions, tmpfsMount } from './tmpfs.js';

test('mergeTmpfsOptions keeps the last of each flag and data key, in order', () => {
  const options = ['noatime', 'ro', 'size=10k', 'defaults', 'atime', 'defaults', 'rw', 'rprivate', 'size=1024k', 'slave'];
  assert.deepEqual(mergeTmpfsOptions(options), ['atime', 'rw', 'size=1024k', 'slave']);
});

test('an unknown tmpfs option is refused with Go\'s %q of the split option', () => {
  assert.throws(() => mergeTmpfsOptions(['bogus']), { message: 'invalid tmpfs option ["bogus"]' });
  assert.throws(() => mergeTmpfsOptions(['color=red']), { message: 'invalid tmpfs option ["color" "red"]' });
});

test('--tmpfs /run:exec,size=1m starts from noexec,nosuid,nodev,rprivate', () => {
  assert.deepEqual(tmpfsMount('/run', 'exec,size=1m'), {
    destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'exec', 'size=1m'],
  });
  assert.deepEqual(tmpfsMount('/tmp', '').options, ['noexec', 'nosuid', 'nodev', 'rprivate']);
});
