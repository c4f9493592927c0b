import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ESCAPE_KEYS, detachKeysToBytes, DetachError, EscapeProxy } from './escape.js';

describe('detach keys', () => {
  it('parses --detach-keys as term.ToBytes', () => {
    assert.deepEqual([...detachKeysToBytes('ctrl-p,ctrl-q')], [16, 17]);
    assert.deepEqual([...detachKeysToBytes('a,ctrl-@,ctrl-\\,DEL')], [97, 0, 28, 127]);
    assert.throws(() => detachKeysToBytes('ctrl-1'), { message: "Unknown character: 'ctrl-1'" });
  });

  it('detaches on the sequence typed key by key, and passes other input through', () => {
    const p = new EscapeProxy(DEFAULT_ESCAPE_KEYS);
    assert.equal(p.filter(Buffer.from('ls\r')).toString(), 'ls\r');
    assert.equal(p.filter(Buffer.from([16])).length, 0);
    assert.throws(() => p.filter(Buffer.from([17])), (e: unknown) => e instanceof DetachError && e.message === 'read escape sequence');
  });

  it('gives back a held key when the sequence is broken', () => {
    const p = new EscapeProxy(DEFAULT_ESCAPE_KEYS);
    assert.equal(p.filter(Buffer.from([16])).length, 0);
    assert.deepEqual([...p.filter(Buffer.from('x'))], [16, 120]);
    assert.deepEqual([...p.filter(Buffer.from([120, 16, 17]))], [120, 16, 17]);
  });
});
