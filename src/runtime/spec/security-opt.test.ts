// moby daemon/daemon_unix_test.go TestParseSecurityOpt, plus the options berth cannot honour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecurityOpts } from './security-opt.js';

test('no-new-privileges in every spelling, the daemon default underneath', () => {
  assert.equal(parseSecurityOpts(['no-new-privileges']).hasNoNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges=true']).hasNoNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges:1']).hasNoNewPrivileges, true);
  assert.equal(parseSecurityOpts(['no-new-privileges=false'], { hasNoNewPrivileges: true }).hasNoNewPrivileges, false);
  assert.equal(parseSecurityOpts([], { hasNoNewPrivileges: true }).hasNoNewPrivileges, true);
});

test('seccomp: the value after the first "=" is kept whole (the CLI sends the JSON)', () => {
  assert.equal(parseSecurityOpts(['seccomp=unconfined']).seccompProfile, 'unconfined');
  assert.equal(parseSecurityOpts(['seccomp={"defaultAction":"SCMP_ACT_ALLOW","a":"b=c"}']).seccompProfile, '{"defaultAction":"SCMP_ACT_ALLOW","a":"b=c"}');
  assert.equal(parseSecurityOpts([]).seccompProfile, undefined);
});

test('writable-cgroups and the LSM options', () => {
  assert.equal(parseSecurityOpts(['writable-cgroups']).hasWritableCgroups, true);
  assert.equal(parseSecurityOpts(['writable-cgroups=false']).hasWritableCgroups, false);
  assert.deepEqual(parseSecurityOpts(['label=disable', 'apparmor=unconfined']).warnings, [
    'SELinux is not supported on this host: --security-opt label is ignored',
    'AppArmor is not supported on this host: --security-opt apparmor is ignored',
  ]);
});

test('invalid options fail with dockerd\'s messages', () => {
  assert.throws(() => parseSecurityOpts(['seccomp']), { message: 'invalid --security-opt 1: "seccomp"' });
  assert.throws(() => parseSecurityOpts(['foo=bar']), { message: 'invalid --security-opt 2: "foo=bar"' });
  assert.throws(() => parseSecurityOpts(['no-new-privileges=maybe']), { message: 'invalid --security-opt 2: "no-new-privileges=maybe"' });
});
