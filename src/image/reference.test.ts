// Cases ported from distribution/reference's reference_test.go and normalize_test.go,
// run through ParseNormalizedNamed as the daemon does, plus go-digest's messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../errors/index.js';
import {
  familiarName, familiarString, fullName, isDigest, looksLikeIdPrefix, parseDigest,
  parseNormalizedNamed, parseRepositoryTag, parseTag, toString, withDefaultTag, type Reference,
} from './reference.js';

const sha256 = `sha256:${'f'.repeat(64)}`;
const sha384 = `sha384:${'a'.repeat(96)}`;
const sha512 = `sha512:${'f'.repeat(128)}`;
const busyboxDigest = 'sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa';
const hex64 = '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a';

/** Keeps test titles readable for the long inputs. */
function title(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);
}

function assertInvalid(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, 400);
    return true;
  });
}

interface ValidCase { input: string; domain: string; path: string; tag?: string; digest?: string; familiar: string }

const valid: ValidCase[] = [
  // Official images, in every spelling Docker Hub accepts.
  { input: 'busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'busybox:latest', domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest' },
  { input: 'library/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'docker.io/busybox', domain: 'docker.io', path: 'library/busybox', familiar: 'busybox' },
  { input: 'docker.io/library/busybox:latest', domain: 'docker.io', path: 'library/busybox', tag: 'latest', familiar: 'busybox:latest' },
  { input: 'index.docker.io/foo', domain: 'docker.io', path: 'library/foo', familiar: 'foo' },
  { input: 'index.docker.io/library/ubuntu-12.04-base', domain: 'docker.io', path: 'library/ubuntu-12.04-base', familiar: 'ubuntu-12.04-base' },
  { input: 'docker.io/library/foo/bar', domain: 'docker.io', path: 'library/foo/bar', familiar: 'library/foo/bar' },
  // User images on Docker Hub.
  { input: 'user/app', domain: 'docker.io', path: 'user/app', familiar: 'user/app' },
  { input: 'docker.io/user/app', domain: 'docker.io', path: 'user/app', familiar: 'user/app' },
  { input: 'index.docker.io/fooo/bar', domain: 'docker.io', path: 'fooo/bar', familiar: 'fooo/bar' },
  { input: 'store/foo/bar', domain: 'docker.io', path: 'store/foo/bar', familiar: 'store/foo/bar' },
  { input: 'other/library', domain: 'docker.io', path: 'other/library', familiar: 'other/library' },
  { input: 'docker---rules/docker', domain: 'docker.io', path: 'docker---rules/docker', familiar: 'docker---rules/docker' },
  { input: 'dock__er/docker', domain: 'docker.io', path: 'dock__er/docker', familiar: 'dock__er/docker' },
  { input: 'd/docker', domain: 'docker.io', path: 'd/docker', familiar: 'd/docker' },
  { input: 'foo/foo_bar.com:8080', domain: 'docker.io', path: 'foo/foo_bar.com', tag: '8080', familiar: 'foo/foo_bar.com:8080' },
  // Without a "." or ":" the first component is a name, so these are Hub images with tags.
  { input: 'foo_bar.com:8080', domain: 'docker.io', path: 'library/foo_bar.com', tag: '8080', familiar: 'foo_bar.com:8080' },
  { input: '192.168.1.1', domain: 'docker.io', path: 'library/192.168.1.1', familiar: '192.168.1.1' },
  { input: '192.168.1.1:5000', domain: 'docker.io', path: 'library/192.168.1.1', tag: '5000', familiar: '192.168.1.1:5000' },
  { input: 'lowercase:Uppercase', domain: 'docker.io', path: 'library/lowercase', tag: 'Uppercase', familiar: 'lowercase:Uppercase' },
  { input: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', domain: 'docker.io', path: 'library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', familiar: 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev' },
  // 64 hex is refused bare, but a domain removes the ambiguity with an image ID.
  { input: `docker.io/${hex64}`, domain: 'docker.io', path: `library/${hex64}`, familiar: hex64 },
  // Registries: localhost, hostnames, IPv4 and IPv6 with ports; upper case marks a domain.
  { input: 'localhost/fooo', domain: 'localhost', path: 'fooo', familiar: 'localhost/fooo' },
  { input: 'localhost/fooo/bar', domain: 'localhost', path: 'fooo/bar', familiar: 'localhost/fooo/bar' },
  { input: 'localhost:5000/x', domain: 'localhost:5000', path: 'x', familiar: 'localhost:5000/x' },
  { input: 'LOCALDOMAIN/fooo', domain: 'LOCALDOMAIN', path: 'fooo', familiar: 'LOCALDOMAIN/fooo' },
  { input: 'Foo/bar', domain: 'Foo', path: 'bar', familiar: 'Foo/bar' },
  { input: 'example.com/privatebase', domain: 'example.com', path: 'privatebase', familiar: 'example.com/privatebase' },
  { input: 'example.com:8000/private/moonbase', domain: 'example.com:8000', path: 'private/moonbase', familiar: 'example.com:8000/private/moonbase' },
  { input: 'test:5000/repo:tag', domain: 'test:5000', path: 'repo', tag: 'tag', familiar: 'test:5000/repo:tag' },
  { input: '127.0.0.1:8000/private/moonbase', domain: '127.0.0.1:8000', path: 'private/moonbase', familiar: '127.0.0.1:8000/private/moonbase' },
  { input: '192.168.1.1:5000/repo:5050', domain: '192.168.1.1:5000', path: 'repo', tag: '5050', familiar: '192.168.1.1:5000/repo:5050' },
  { input: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', domain: 'sub-dom1.foo.com', path: 'bar/baz/quux', tag: 'some-long-tag', familiar: 'sub-dom1.foo.com/bar/baz/quux:some-long-tag' },
  { input: 'b.gcr.io/test.example.com/my-app:test.example.com', domain: 'b.gcr.io', path: 'test.example.com/my-app', tag: 'test.example.com', familiar: 'b.gcr.io/test.example.com/my-app:test.example.com' },
  { input: 'xn--n3h.com/myimage:xn--n3h.com', domain: 'xn--n3h.com', path: 'myimage', tag: 'xn--n3h.com', familiar: 'xn--n3h.com/myimage:xn--n3h.com' },
  { input: '[::1]:5000/a', domain: '[::1]:5000', path: 'a', familiar: '[::1]:5000/a' },
  { input: '[2001:db8::1]/repo', domain: '[2001:db8::1]', path: 'repo', familiar: '[2001:db8::1]/repo' },
  { input: '[2001:db8::]:5000/repo', domain: '[2001:db8::]:5000', path: 'repo', familiar: '[2001:db8::]:5000/repo' },
  { input: '[2001:db8:1:2:3:4:5:6]/repo:tag', domain: '[2001:db8:1:2:3:4:5:6]', path: 'repo', tag: 'tag', familiar: '[2001:db8:1:2:3:4:5:6]/repo:tag' },
  { input: '[fc00:1:2:3:4:5:6:7]:5000/library/debian', domain: '[fc00:1:2:3:4:5:6:7]:5000', path: 'library/debian', familiar: '[fc00:1:2:3:4:5:6:7]:5000/library/debian' },
  // Digests, and tag plus digest.
  { input: `busybox@${busyboxDigest}`, domain: 'docker.io', path: 'library/busybox', digest: busyboxDigest, familiar: `busybox@${busyboxDigest}` },
  { input: `busybox:latest@${busyboxDigest}`, domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: busyboxDigest, familiar: `busybox:latest@${busyboxDigest}` },
  { input: `test:5000/repo@${sha256}`, domain: 'test:5000', path: 'repo', digest: sha256, familiar: `test:5000/repo@${sha256}` },
  { input: `[2001:db8::1]:5000/repo:tag@${sha256}`, domain: '[2001:db8::1]:5000', path: 'repo', tag: 'tag', digest: sha256, familiar: `[2001:db8::1]:5000/repo:tag@${sha256}` },
  { input: `xn--7o8h.com/myimage:xn--7o8h.com@${sha512}`, domain: 'xn--7o8h.com', path: 'myimage', tag: 'xn--7o8h.com', digest: sha512, familiar: `xn--7o8h.com/myimage:xn--7o8h.com@${sha512}` },
  { input: `user/app@${sha384}`, domain: 'docker.io', path: 'user/app', digest: sha384, familiar: `user/app@${sha384}` },
  // The 255-character limit applies to the path ("library/" included), not the domain.
  { input: 'a'.repeat(247), domain: 'docker.io', path: `library/${'a'.repeat(247)}`, familiar: 'a'.repeat(247) },
  { input: `example.com/${'a'.repeat(255)}:tag`, domain: 'example.com', path: 'a'.repeat(255), tag: 'tag', familiar: `example.com/${'a'.repeat(255)}:tag` },
];

for (const c of valid) {
  test(`parseNormalizedNamed ${title(c.input)}`, () => {
    const ref = parseNormalizedNamed(c.input);
    const expected: Reference = { domain: c.domain, path: c.path };
    if (c.tag !== undefined) expected.tag = c.tag;
    if (c.digest !== undefined) expected.digest = parseDigest(c.digest);
    assert.deepEqual(ref, expected);
    assert.equal(fullName(ref), `${c.domain}/${c.path}`);
    const suffix = (c.tag !== undefined ? `:${c.tag}` : '') + (c.digest !== undefined ? `@${c.digest}` : '');
    assert.equal(toString(ref), `${c.domain}/${c.path}${suffix}`);
    assert.equal(familiarString(ref), c.familiar);
    // Both strings read back as the same reference; a familiar 64-hex name cannot,
    // since bare it is an image ID (distribution behaves the same).
    assert.deepEqual(parseNormalizedNamed(toString(ref)), ref);
    if (c.familiar !== hex64) assert.deepEqual(parseNormalizedNamed(familiarString(ref)), ref);
  });
}

const invalid: Array<{ input: string; message: string }> = [
  { input: '', message: 'invalid reference format' },
  // Upper case in the repository name is named in the message, after Hub defaults.
  { input: 'Foo', message: 'invalid reference format: repository name (library/Foo) must be lowercase' },
  { input: 'Uppercase:tag', message: 'invalid reference format: repository name (library/Uppercase) must be lowercase' },
  { input: 'docker/Docker', message: 'invalid reference format: repository name (docker/Docker) must be lowercase' },
  { input: 'docker.io/docker/Docker', message: 'invalid reference format: repository name (docker/Docker) must be lowercase' },
  { input: 'test:5000/Uppercase/lowercase:tag', message: 'invalid reference format: repository name (Uppercase/lowercase) must be lowercase' },
  { input: hex64, message: `invalid repository name (${hex64}), cannot specify 64-byte hexadecimal strings` },
  { input: 'a'.repeat(248), message: 'repository name must not be more than 255 characters' },
  { input: `example.com/${'a'.repeat(256)}`, message: 'repository name must not be more than 255 characters' },
  { input: `domain/${'a'.repeat(256)}:tag`, message: 'repository name must not be more than 255 characters' },
  // Malformed names.
  { input: 'a:b:c', message: 'invalid reference format' },
  { input: 'docker/', message: 'invalid reference format' },
  { input: 'docker///docker', message: 'invalid reference format' },
  { input: ':justtag', message: 'invalid reference format' },
  { input: `@${sha256}`, message: 'invalid reference format' },
  { input: 'aa/asdf$$^/aa', message: 'invalid reference format' },
  { input: 'https://github.com/docker/docker', message: 'invalid reference format' },
  { input: '-docker', message: 'invalid reference format' },
  { input: '-docker/docker', message: 'invalid reference format' },
  { input: 'docker-/docker', message: 'invalid reference format' },
  { input: '-docker.io/docker/docker', message: 'invalid reference format' },
  { input: '____/____', message: 'invalid reference format' },
  { input: '_docker/_docker', message: 'invalid reference format' },
  { input: 'dock..er/docker', message: 'invalid reference format' },
  { input: 'dock_.er/docker', message: 'invalid reference format' },
  { input: 'dock-.er/docker', message: 'invalid reference format' },
  { input: 'busybox latest', message: 'invalid reference format' },
  // IPv6 needs brackets and a path; zones and embedded IPv4 are excluded.
  { input: '[fc00::1]', message: 'invalid reference format' },
  { input: '[fc00::1]:5000', message: 'invalid reference format' },
  { input: '[2001:db8::1]:tag', message: 'invalid reference format' },
  { input: 'fc00::1:5000/debian', message: 'invalid reference format' },
  { input: '[fe80::1%eth0]:5000/debian', message: 'invalid reference format' },
  { input: '[fe80::1%@invalidzone]:5000/repo', message: 'invalid reference format' },
  { input: '[2001:db8:3:4::192.0.2.33]:5000/debian', message: 'invalid reference format' },
  // Bad tags fail the grammar as a whole.
  { input: 'busybox:-foo', message: 'invalid reference format' },
  { input: 'busybox:.foo', message: 'invalid reference format' },
  { input: 'busybox:tag!', message: 'invalid reference format' },
  { input: `busybox:${'a'.repeat(129)}`, message: 'invalid reference format' },
  { input: 'busybox:', message: 'invalid reference format' },
  // Digests: too short for the grammar, then go-digest's own checks.
  { input: 'busybox@sha256:abc', message: 'invalid reference format' },
  { input: 'busybox@', message: 'invalid reference format' },
  { input: `repo@sha256:${'f'.repeat(34)}`, message: 'invalid checksum digest length' },
  { input: `validname@invaliddigest:${'f'.repeat(64)}`, message: 'unsupported digest algorithm' },
  { input: `busybox@sha256:${'F'.repeat(64)}`, message: 'invalid checksum digest format' },
  { input: `busybox:v1@SHA256:${'f'.repeat(64)}`, message: 'invalid checksum digest format' },
  // distribution checks case up to the first ":", so without a tag the algorithm is "name".
  { input: `busybox@SHA256:${'f'.repeat(64)}`, message: 'invalid reference format: repository name (library/busybox@SHA256) must be lowercase' },
];

for (const c of invalid) {
  test(`parseNormalizedNamed rejects ${title(c.input)}`, () => {
    assertInvalid(() => parseNormalizedNamed(c.input), c.message);
  });
}

const defaultTagCases: Array<{ input: string; expected: string }> = [
  { input: 'busybox', expected: 'docker.io/library/busybox:latest' },
  { input: 'busybox:1.36', expected: 'docker.io/library/busybox:1.36' },
  { input: 'localhost:5000/app', expected: 'localhost:5000/app:latest' },
  // A digest already pins the image: no tag is invented beside it.
  { input: `busybox@${busyboxDigest}`, expected: `docker.io/library/busybox@${busyboxDigest}` },
  { input: `busybox:v1@${busyboxDigest}`, expected: `docker.io/library/busybox:v1@${busyboxDigest}` },
];

for (const c of defaultTagCases) {
  test(`withDefaultTag ${title(c.input)}`, () => {
    const ref = parseNormalizedNamed(c.input);
    const before = { ...ref };
    assert.equal(toString(withDefaultTag(ref)), c.expected);
    assert.deepEqual(ref, before, 'the input reference is left alone');
  });
}

test('familiarName and fullName drop only Docker Hub defaults', () => {
  const cases: Array<[string, string, string]> = [
    ['docker.io/library/busybox:latest', 'busybox', 'docker.io/library/busybox'],
    ['docker.io/user/app', 'user/app', 'docker.io/user/app'],
    ['docker.io/library/foo/bar', 'library/foo/bar', 'docker.io/library/foo/bar'],
    ['localhost:5000/x:1', 'localhost:5000/x', 'localhost:5000/x'],
    ['example.com/library/debian', 'example.com/library/debian', 'example.com/library/debian'],
  ];
  for (const [input, familiar, full] of cases) {
    const ref = parseNormalizedNamed(input);
    assert.equal(familiarName(ref), familiar, input);
    assert.equal(fullName(ref), full, input);
  }
});

for (const tag of ['latest', 'v1.0', '1.36.1-musl', '_x', 'UPPER', 'a'.repeat(128)]) {
  test(`parseTag accepts ${title(tag)}`, () => assert.equal(parseTag(tag), tag));
}
for (const tag of ['', '-foo', '.foo', 'a'.repeat(129), 'a b', 'tag!', 'a:b', 'a/b']) {
  test(`parseTag rejects ${title(tag)}`, () => assertInvalid(() => parseTag(tag), 'invalid tag format'));
}

for (const digest of [sha256, sha384, sha512, busyboxDigest]) {
  test(`parseDigest accepts ${title(digest)}`, () => {
    assert.equal(parseDigest(digest), digest);
    assert.equal(isDigest(digest), true);
  });
}

const badDigests: Array<[string, string]> = [
  ['', 'invalid checksum digest format'],
  ['sha256', 'invalid checksum digest format'],
  ['sha256:', 'invalid checksum digest format'],
  [`:${'f'.repeat(64)}`, 'invalid checksum digest format'],
  ['sha256:abc', 'invalid checksum digest length'],
  [`sha256:${'f'.repeat(65)}`, 'invalid checksum digest length'],
  [`sha384:${'f'.repeat(64)}`, 'invalid checksum digest length'],
  [`sha256:${'F'.repeat(64)}`, 'invalid checksum digest format'],
  [`sha256:${'g'.repeat(64)}`, 'invalid checksum digest format'],
  [`md5:${'f'.repeat(32)}`, 'unsupported digest algorithm'],
  [`constructor:${'f'.repeat(64)}`, 'unsupported digest algorithm'],
  [`SHA256:${'f'.repeat(64)}`, 'invalid checksum digest format'],
  [`sha256:${'f'.repeat(63)}!`, 'invalid checksum digest format'],
];

for (const [digest, message] of badDigests) {
  test(`parseDigest rejects ${title(digest)}`, () => {
    assertInvalid(() => parseDigest(digest), message);
    assert.equal(isDigest(digest), false);
  });
}

const repositoryTagCases: Array<{ repo: string; tag?: string; expected: string }> = [
  { repo: 'busybox', expected: 'docker.io/library/busybox:latest' },
  { repo: 'busybox', tag: '1.36', expected: 'docker.io/library/busybox:1.36' },
  { repo: 'busybox', tag: '', expected: 'docker.io/library/busybox:latest' },
  { repo: 'localhost:5000/app:v1', expected: 'localhost:5000/app:v1' },
  // The tag parameter wins over a tag inside repo, as reference.WithTag replaces it.
  { repo: 'user/app:v1', tag: 'v2', expected: 'docker.io/user/app:v2' },
  { repo: 'sha256/x', tag: 'v1', expected: 'docker.io/sha256/x:v1' },
];

for (const c of repositoryTagCases) {
  test(`parseRepositoryTag ${title(c.repo)} ${title(c.tag ?? '(no tag)')}`, () => {
    assert.equal(toString(parseRepositoryTag(c.repo, c.tag)), c.expected);
  });
}

const badRepositoryTags: Array<{ repo: string; tag?: string; message: string }> = [
  { repo: '', message: 'invalid reference format' },
  { repo: 'Foo', message: 'invalid reference format: repository name (library/Foo) must be lowercase' },
  { repo: 'busybox', tag: '-bad', message: 'invalid tag format' },
  { repo: 'busybox', tag: 'a:b', message: 'invalid tag format' },
  { repo: `busybox@${busyboxDigest}`, message: 'cannot import digest reference' },
  { repo: 'sha256', message: 'refusing to create an ambiguous tag using digest algorithm as name' },
  { repo: 'sha256', tag: 'v1', message: 'refusing to create an ambiguous tag using digest algorithm as name' },
];

for (const c of badRepositoryTags) {
  test(`parseRepositoryTag rejects ${title(c.repo)} ${title(c.tag ?? '(no tag)')}`, () => {
    assertInvalid(() => parseRepositoryTag(c.repo, c.tag), c.message);
  });
}

test('looksLikeIdPrefix accepts full IDs and short hex prefixes', () => {
  for (const s of [busyboxDigest, `sha256:${'0'.repeat(64)}`, hex64, 'a', 'abc123', 'sha256:86e0e09']) {
    assert.equal(looksLikeIdPrefix(s), true, s);
  }
});

test('looksLikeIdPrefix rejects names, other algorithms and over-long hex', () => {
  for (const s of ['', 'sha256:', 'busybox', 'ABC', 'abc:1', `${hex64}0`, `sha256:${hex64}0`, sha512, 'sha256:xyz']) {
    assert.equal(looksLikeIdPrefix(s), false, s);
  }
});
