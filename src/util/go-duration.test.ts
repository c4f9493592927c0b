import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, parseGoDuration } from './go-duration.js';

test('parseGoDuration is time.ParseDuration in nanoseconds, with its messages', () => {
  const cases: Array<[string, number]> = [
    ['0', 0], ['+0', 0], ['-0', 0], ['1ns', 1], ['1.5s', 1.5e9], ['1h30m', 5400e9], ['-2ms', -2e6], ['.5us', 500],
    ['1µs', 1000], ['1μs', 1000], ['1.s', 1e9], ['2562047h', 2562047 * 3600e9],
  ];
  for (const [s, ns] of cases) assert.equal(parseGoDuration(s), ns, s);
  const bad: Array<[string, string]> = [
    ['', 'time: invalid duration ""'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['.s', 'time: invalid duration ".s"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
  ];
  for (const [s, message] of bad) assert.throws(() => parseGoDuration(s), { status: 400, message }, s);
});

test('formatGoDuration prints what Go\'s Duration.String prints, and reads back', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'], [1, '1ns'], [1500, '1.5µs'], [2e6, '2ms'], [1.5e9, '1.5s'], [90e9, '1m30s'], [3600e9, '1h0m0s'],
    [7205e9, '2h0m5s'], [-90e9, '-1m30s'], [30e9 + 1, '30.000000001s'],
  ];
  for (const [ns, s] of cases) {
    assert.equal(formatGoDuration(ns), s, String(ns));
    assert.equal(parseGoDuration(s), ns, s);
  }
});
