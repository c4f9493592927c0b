import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boolFilter, checkFilterNames, globMatch, matchLabels, parseFilters } from './filters.js';

test('parseFilters reads both the list and the legacy set form', () => {
  assert.deepEqual([...parseFilters('{"label":["a=b","c"],"dangling":{"true":true,"false":false}}')], [['label', ['a=b', 'c']], ['dangling', ['true']]]);
  assert.equal(parseFilters('').size, 0);
  assert.equal(parseFilters(undefined).size, 0);
  assert.throws(() => parseFilters('{nope'), { status: 400, message: /^invalid filter: / });
  assert.throws(() => parseFilters('[1]'), { status: 400, message: 'invalid filter: filters must be a JSON object' });
  assert.throws(() => parseFilters('{"a":[1]}'), { status: 400, message: "invalid filter: the values of 'a' must be a list of strings" });
});

test('checkFilterNames and boolFilter use docker\'s messages', () => {
  assert.throws(() => checkFilterNames(new Map([['nope', ['x']]]), ['label']), { status: 400, message: "invalid filter 'nope'" });
  assert.equal(boolFilter(new Map([['dangling', ['true']]]), 'dangling'), true);
  assert.equal(boolFilter(new Map([['dangling', ['0']]]), 'dangling'), false);
  assert.equal(boolFilter(new Map(), 'dangling'), undefined);
  assert.throws(() => boolFilter(new Map([['dangling', ['maybe']]]), 'dangling'), { message: "invalid filter 'dangling=maybe'" });
});

test('matchLabels requires every key or key=value', () => {
  assert.equal(matchLabels(['a'], { a: '1' }), true);
  assert.equal(matchLabels(['a=1', 'b'], { a: '1' }), false);
  assert.equal(matchLabels(['a=2'], { a: '1' }), false);
  assert.equal(matchLabels([], null), true);
});

test('globMatch follows Go path.Match', () => {
  assert.equal(globMatch('busy*', 'busybox'), true);
  assert.equal(globMatch('*', 'user/app'), false, '* does not cross /');
  assert.equal(globMatch('user/*', 'user/app'), true);
  assert.equal(globMatch('b?sybox', 'busybox'), true);
  assert.equal(globMatch('[a-c]usybox', 'busybox'), true);
  assert.equal(globMatch('a.b', 'axb'), false);
});
