import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Filters } from './filters.js';

describe('filters', () => {
  it('encodes as the API map of name to values', () => {
    const f = new Filters();
    for (const arg of ['dangling=true', 'label=a=b', 'label=c', ' Reference = busybox* ', 'label=c']) f.add(...Filters.parseArg(arg));
    assert.equal(f.toQuery(), '{"dangling":["true"],"label":["a=b","c"],"reference":["busybox*"]}');
  });

  it('is absent from the query when empty', () => {
    assert.equal(new Filters().toQuery(), undefined);
  });

  it('needs name=value', () => {
    assert.throws(() => Filters.parseArg('dangling'), { message: 'bad format of filter (expected name=value)' });
  });

  it('clones without sharing', () => {
    const a = new Filters().add('x', '1');
    const b = a.clone().add('y', '2');
    assert.equal(a.toQuery(), '{"x":["1"]}');
    assert.equal(b.toQuery(), '{"x":["1"],"y":["2"]}');
  });
});
