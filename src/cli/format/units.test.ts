import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatG, formatFloatV } from './go-float.js';
import { bytesSize, ellipsis, humanDuration, humanSize, humanSizeWithPrecision, truncateId } from './units.js';

describe('go-units sizes', () => {
  it('HumanSizeWithPrecision(x, 3) as docker images prints it', () => {
    const cases: Array<[number, string]> = [
      [0, '0B'], [1, '1B'], [999, '999B'], [1000, '1kB'], [4261550, '4.26MB'], [4125, '4.12kB'], [4135, '4.13kB'],
      [999900, '1e+03kB'], [77800000, '77.8MB'], [1_240_000_000, '1.24GB'], [5_000_000, '5MB'], [120500, '120kB'], [-1, '-1B'],
    ];
    for (const [size, want] of cases) assert.equal(humanSizeWithPrecision(size, 3), want, String(size));
  });

  it('HumanSize (4 digits) and BytesSize', () => {
    assert.equal(humanSize(16_430_000), '16.43MB');
    assert.equal(humanSize(212), '212B');
    assert.equal(bytesSize(16_700_000_000), '15.55GiB');
    assert.equal(bytesSize(1024), '1KiB');
  });

  it('formats floats as Go fmt does', () => {
    assert.equal(formatG(4.0, 3), '4');
    assert.equal(formatG(0.000012345, 3), '1.23e-05');
    assert.equal(formatG(123456, 3), '1.23e+05');
    assert.equal(formatFloatV(1.5), '1.5');
    assert.equal(formatFloatV(1e6), '1e+06');
    assert.equal(formatFloatV(123456.5), '123456.5');
  });
});

describe('go-units HumanDuration', () => {
  const s = 1000;
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'], [1 * s, '1 second'], [59 * s, '59 seconds'], [60 * s, 'About a minute'], [59 * 60 * s, '59 minutes'],
    [60 * 60 * s, 'About an hour'], [47 * 3600 * s, '47 hours'], [48 * 3600 * s, '2 days'], [14 * 86400 * s, '2 weeks'],
    [60 * 86400 * s, '2 months'], [365 * 2 * 86400 * s, '2 years'], [24 * 3600 * s, '24 hours'],
  ];
  for (const [ms, want] of cases) it(want, () => assert.equal(humanDuration(ms), want));
});

describe('ids and ellipsis', () => {
  it('truncates IDs to 12 characters without the algorithm', () => {
    assert.equal(truncateId('sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741'), '3f57d9401f8d');
    assert.equal(truncateId('<missing>'), '<missing>');
  });
  it('cuts to a display width with …', () => {
    assert.equal(ellipsis('/bin/sh -c #(nop) ADD file:abcdef0123456789 in / ', 45), '/bin/sh -c #(nop) ADD file:abcdef0123456789 …');
    assert.equal(ellipsis('short', 45), 'short');
    assert.equal(ellipsis('你好世界', 5), '你好…');
  });
});
