import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cacheKey, checkPlatform, parseChmod, splitTag } from './builder.js';
import { ignoreMatcher } from './context.js';

test('the cache key depends on the parent image, the instruction and the extra (checksum/config)', () => {
  const k = cacheKey('sha256:a', '/bin/sh -c echo hi', '{}');
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(cacheKey('sha256:a', '/bin/sh -c echo hi', '{}'), k);
  assert.notEqual(cacheKey('sha256:b', '/bin/sh -c echo hi', '{}'), k);
  assert.notEqual(cacheKey('sha256:a', '/bin/sh -c echo ho', '{}'), k);
  assert.notEqual(cacheKey('sha256:a', '/bin/sh -c echo hi', '{"Env":["A=1"]}'), k);
  assert.notEqual(cacheKey(undefined, '/bin/sh -c echo hi', '{}'), k);
});

test('.dockerignore: globs, ** and ! exceptions, the last match wins, parents exclude children', () => {
  const ign = ignoreMatcher('# comment\n*.key\n**/*.log\nbuild\n!build/keep.txt\n/tmp/*\n');
  const cases: Array<[string, boolean]> = [
    ['a.key', true], ['sub/a.key', false], ['x.log', true], ['a/b/c.log', true],
    ['build', true], ['build/out.o', true], ['build/keep.txt', false], ['tmp/x', true], ['tmp', false], ['src/main.c', false],
  ];
  for (const [p, want] of cases) assert.equal(ign(p), want, p);
});

test('-t name[:tag] splits at the last colon after the last slash', () => {
  assert.deepEqual(splitTag('x'), { repo: 'x', tag: undefined });
  assert.deepEqual(splitTag('x:1'), { repo: 'x', tag: '1' });
  assert.deepEqual(splitTag('reg:5000/x'), { repo: 'reg:5000/x', tag: undefined });
  assert.deepEqual(splitTag('reg:5000/x:2'), { repo: 'reg:5000/x', tag: '2' });
});

test('--chmod is an octal mode up to 7777; anything else is refused as dockerd does', () => {
  assert.equal(parseChmod('0755'), 0o755);
  assert.equal(parseChmod('4711'), 0o4711);
  assert.throws(() => parseChmod('u+x'), { message: 'invalid chmod parameter u+x: strconv.ParseUint: parsing "u+x": invalid syntax' });
  assert.throws(() => parseChmod('99'), { name: 'InvalidArgumentError' });
});

test('FROM --platform reads os/arch[/variant] with the usual aliases', () => {
  assert.deepEqual(checkPlatform('linux/amd64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(checkPlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.deepEqual(checkPlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' });
  assert.throws(() => checkPlatform('linux/amd64/v1/x'), { name: 'InvalidArgumentError' });
});
