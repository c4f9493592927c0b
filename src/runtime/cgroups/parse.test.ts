import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBlkioV1, parseIoStatV2 } from './blkio.js';
import { parseCount, parseKeyValues } from './files.js';
import { parseProcStat } from './proc-stat.js';

test('parseCount reads cgroup counters as containerd does', () => {
  assert.equal(parseCount('4096\n'), 4096);
  assert.equal(parseCount('max\n'), undefined, 'no limit');
  assert.equal(parseCount('-1'), 0, 'v1 writes -1 for unlimited in some files');
  assert.equal(parseCount(''), undefined);
  assert.equal(parseCount(undefined), undefined);
  assert.equal(parseCount('12abc'), undefined);
  assert.equal(parseCount('9223372036854771712'), 9223372036854771712);
});

test('parseCount keeps u64::MAX below 2^64 so a Go client can still decode it', () => {
  const v = parseCount('18446744073709551615');
  assert.ok(v !== undefined && v < 2 ** 64);
  const wire = JSON.stringify(v);
  assert.ok(BigInt(wire) <= 18446744073709551615n, `${wire} fits a uint64`);
});

test('parseKeyValues reads flat-keyed files and skips nested ones', () => {
  const kv = parseKeyValues('anon 10\nfile 20\n\nbad line here\nsome.key max\n');
  assert.deepEqual([...(kv ?? [])], [['anon', 10], ['file', 20]]);
  assert.equal(parseKeyValues(undefined), undefined);
});

test('parseProcStat sums the first seven fields of the cpu line, as dockerd', () => {
  const text = [
    'cpu  29713 0 4867 231135 655 0 237 40 0 0',
    'cpu0 13659 0 1959 117545 35 0 92 23 0 0',
    'cpu1 16053 0 2908 113589 620 0 144 16 0 0',
    'intr 1 2 3',
    'cpu9 this line is past the cpu block and ignored',
    '',
  ].join('\n');
  // user+nice+system+idle+iowait+irq+softirq = 266607 ticks of 10 ms; steal (40) is left out.
  assert.deepEqual(parseProcStat(text), { systemCpuNs: 266607 * 1e7, onlineCpus: 2 });
  assert.throws(() => parseProcStat('cpu  1 2 3\n'), /invalid number of cpu fields/);
});

test('parseBlkioV1 reads op lines, op-less lines, and skips the Total line', () => {
  assert.deepEqual(parseBlkioV1('8:0 Read 10\n8:0 Total 10\n253:1 42\nTotal 52\n'), [
    { major: 8, minor: 0, op: 'Read', value: 10 },
    { major: 8, minor: 0, op: 'Total', value: 10 },
    { major: 253, minor: 1, op: '', value: 42 },
  ]);
  assert.equal(parseBlkioV1(undefined), undefined);
});

test('parseIoStatV2 gives a read and a write entry per device', () => {
  assert.deepEqual(parseIoStatV2('8:16 rbytes=5 wbytes=6 rios=1 wios=1 dbytes=0 dios=0\n'), [
    { major: 8, minor: 16, op: 'read', value: 5 },
    { major: 8, minor: 16, op: 'write', value: 6 },
  ]);
  assert.deepEqual(parseIoStatV2(''), []);
});
