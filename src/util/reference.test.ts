// The grammar both the daemon (image/reference.ts, whose test ports distribution's cases) and
// the CLI (cli/reference.ts) use; here the points where the CLI's old copy differed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DOMAIN, familiarString, fullName, parseNormalizedNamed } from './reference.js';

test('a digest is checked as go-digest checks it, as distribution\'s Parse does', () => {
  const r = parseNormalizedNamed(`busybox@sha256:${'a'.repeat(64)}`);
  assert.deepEqual(r, { domain: DEFAULT_DOMAIN, path: 'library/busybox', digest: `sha256:${'a'.repeat(64)}` });
  assert.equal(familiarString(r), `busybox@sha256:${'a'.repeat(64)}`);
  assert.throws(() => parseNormalizedNamed(`busybox@sha256:${'a'.repeat(32)}`), { status: 400, message: 'invalid checksum digest length' });
  assert.throws(() => parseNormalizedNamed(`busybox@md5:${'a'.repeat(32)}`), { status: 400, message: 'unsupported digest algorithm' });
});

test('the 255-character limit counts the path only (distribution v0.6.0)', () => {
  const path = `a/${'b'.repeat(253)}`;
  assert.equal(fullName(parseNormalizedNamed(`registry.example.com/${path}`)), `registry.example.com/${path}`);
  assert.throws(() => parseNormalizedNamed(`registry.example.com/${path}b`), { status: 400, message: 'repository name must not be more than 255 characters' });
});
