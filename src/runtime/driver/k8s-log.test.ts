import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineJoiner, parseLogLine, parseTimeNs, type LogRecord } from './k8s-log.js';

test('parseTimeNs keeps all nine fraction digits and honours the offset', () => {
  assert.equal(parseTimeNs('2024-01-01T00:00:00.123456789+00:00'), 1704067200123456789n);
  assert.equal(parseTimeNs('2024-01-01T02:00:00.5+02:00'), 1704067200500000000n);
  assert.equal(parseTimeNs('2024-01-01T00:00:00Z'), 1704067200000000000n);
  assert.equal(parseTimeNs('yesterday'), undefined);
});

test('parseTimeNs reuses a second it has seen only for exactly that second and offset; bad forms stay refused', () => {
  // Same second and offset in a row (the cached path), then each part changing.
  assert.equal(parseTimeNs('2024-01-01T00:00:00.1+00:00'), 1704067200100000000n);
  assert.equal(parseTimeNs('2024-01-01T00:00:00.000000002+00:00'), 1704067200000000002n);
  assert.equal(parseTimeNs('2024-01-01T00:00:00+00:00'), 1704067200000000000n);
  assert.equal(parseTimeNs('2024-01-01T00:00:00.25+01:00'), 1704063600250000000n);
  assert.equal(parseTimeNs('2024-01-01T00:00:01.25+01:00'), 1704063601250000000n);
  // After a valid line has primed the cache, malformed variants of it are still refused.
  for (const bad of ['2024-01-01T00:00:01.+01:00', '2024-01-01T00:00:01.1234567891+01:00', '2024-01-01T00:00:01.12x+01:00', '2024-01-01T00:00:01.1+01:0', '2024-01-01T00:00:01.1+01:00 ', '2024-01-01T00:00:01']) {
    assert.equal(parseTimeNs('2024-01-01T00:00:01.25+01:00'), 1704063601250000000n);
    assert.equal(parseTimeNs(bad), undefined, bad);
  }
});

test('parseLogLine: the stream is exactly stdout or stderr, followed by F or P and a space', () => {
  for (const bad of ['stdoot', 'stderx', 'stdin ', 'Stdout', 'stdout_']) {
    assert.equal(parseLogLine(Buffer.from(`2024-01-01T00:00:00.000000001+00:00 ${bad} F x`)), undefined, bad);
  }
  assert.equal(parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stdout X x')), undefined);
  assert.equal(parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stdout Fx')), undefined);
  assert.equal(parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stdout F')), undefined);
  assert.equal(parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stderr P '))?.stream, 'stderr');
});

test('parseLogLine reads conmon lines, including empty and partial ones', () => {
  const full = parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stderr F a b c'));
  assert.deepEqual(full && { ...full, content: full.content.toString() }, {
    time: '2024-01-01T00:00:00.000000001+00:00', timeNs: 1704067200000000001n, stream: 'stderr', isPartial: false, content: 'a b c',
  });
  const empty = parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stdout F '));
  assert.equal(empty?.content.length, 0);
  assert.equal(parseLogLine(Buffer.from('2024-01-01T00:00:00.000000001+00:00 stdout P x'))?.isPartial, true);
  for (const bad of ['', 'garbage', '2024-01-01T00:00:00Z stdin F x', '2024-01-01T00:00:00Z stdout X x', 'nodate stdout F x']) {
    assert.equal(parseLogLine(Buffer.from(bad)), undefined, bad);
  }
});

function rec(stream: 'stdout' | 'stderr', isPartial: boolean, content: string, ns = 1n): LogRecord {
  return { time: 't', timeNs: ns, stream, isPartial, content: Buffer.from(content) };
}

test('LineJoiner joins pieces per stream even when the streams interleave', () => {
  const j = new LineJoiner();
  assert.equal(j.add(rec('stdout', true, 'hel', 1n)), undefined);
  const err = j.add(rec('stderr', false, 'oops', 2n));
  assert.equal(err?.line.toString(), 'oops\n');
  const out = j.add(rec('stdout', false, 'lo', 3n));
  assert.deepEqual(out && { stream: out.stream, timeNs: out.timeNs, line: out.line.toString() }, { stream: 'stdout', timeNs: 1n, line: 'hello\n' });
  assert.equal(j.add(rec('stdout', true, 'no newline yet', 4n)), undefined);
  assert.deepEqual(j.flush().map((e) => e.line.toString()), ['no newline yet']);
  assert.deepEqual(j.flush(), []);
});
