import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizePlatform, parseManifest, parsePlatform, selectManifest, type ManifestIndex } from './manifest.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;

test('schema1 manifests are refused with docker\'s deprecation notice', () => {
  const body = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }));
  assert.throws(() => parseManifest(body, 'application/vnd.docker.distribution.manifest.v1+prettyjws', 'x:latest'), /Docker Image manifest version 2, schema 1 support has been removed/);
});

test('docker schema2, OCI manifests and indexes parse; a bad descriptor is refused', () => {
  const m = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { digest: D('a'), size: 2, mediaType: 'x' }, layers: [{ digest: D('b'), size: 3, mediaType: 'y' }] })), '', 'n');
  assert.equal(m.kind, 'manifest');
  const oci = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: D('a'), size: 2 }, layers: [] })), 'application/vnd.oci.image.manifest.v1+json', 'n');
  assert.equal(oci.kind, 'manifest');
  const idx = parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ digest: D('c'), size: 1, platform: { os: 'linux', architecture: 'amd64' } }] })), 'application/vnd.oci.image.index.v1+json', 'n');
  assert.equal(idx.kind, 'index');
  assert.throws(() => parseManifest(Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: 'sha256:zz', size: 1 }, layers: [] })), '', 'n'), /bad config descriptor/);
});

test('platform selection prefers the exact variant and skips attestation entries', () => {
  const idx: ManifestIndex = {
    kind: 'index', mediaType: 'x', manifests: [
      { mediaType: 'm', digest: D('1'), size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      { mediaType: 'm', digest: D('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
      { mediaType: 'm', digest: D('3'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
      { mediaType: 'm', digest: D('4'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'm', digest: D('5'), size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  };
  assert.equal(selectManifest(idx, { os: 'linux', architecture: 'amd64' }).digest, D('4'));
  assert.equal(selectManifest(idx, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest, D('3'));
  assert.equal(selectManifest(idx, { os: 'linux', architecture: 'arm', variant: 'v8' }).digest, D('3'));
  assert.equal(selectManifest(idx, parsePlatform('linux/arm64')).digest, D('5'));
  assert.throws(() => selectManifest(idx, { os: 'linux', architecture: 's390x' }), /no matching manifest for linux\/s390x in the manifest list entries/);
});

test('platform strings normalise as containerd does', () => {
  assert.deepEqual(normalizePlatform({ os: 'Linux', architecture: 'aarch64' }), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
  assert.throws(() => parsePlatform('linux//'), /unknown operating system or architecture/);
});
