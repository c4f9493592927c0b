import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { familiarName, familiarString, parseNormalizedNamed } from './reference.js';

describe('image references', () => {
  it('normalizes as docker does', () => {
    assert.deepEqual(parseNormalizedNamed('busybox'), { name: 'docker.io/library/busybox', domain: 'docker.io', path: 'library/busybox' });
    assert.equal(parseNormalizedNamed('busybox:1.36').tag, '1.36');
    assert.equal(parseNormalizedNamed('localhost:5000/x/y:z').domain, 'localhost:5000');
    assert.equal(parseNormalizedNamed('index.docker.io/foo/bar').name, 'docker.io/foo/bar');
    const d = parseNormalizedNamed(`busybox@sha256:${'a'.repeat(64)}`);
    assert.equal(d.digest, `sha256:${'a'.repeat(64)}`);
  });

  it('prints familiar names', () => {
    assert.equal(familiarName(parseNormalizedNamed('docker.io/library/busybox:latest')), 'busybox');
    assert.equal(familiarName(parseNormalizedNamed('docker.io/foo/bar')), 'foo/bar');
    assert.equal(familiarString(parseNormalizedNamed('quay.io/a/b:c')), 'quay.io/a/b:c');
  });

  it("rejects what docker rejects, in docker's words", () => {
    assert.throws(() => parseNormalizedNamed('Busybox'), { message: 'invalid reference format: repository name (library/Busybox) must be lowercase' });
    assert.throws(() => parseNormalizedNamed('a'.repeat(64)), { message: `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings` });
    assert.throws(() => parseNormalizedNamed('busybox:'), { message: 'invalid reference format' });
    assert.throws(() => parseNormalizedNamed(''), { message: 'invalid reference format' });
  });
});
