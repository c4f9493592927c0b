// Cases from moby daemon/pkg/oci/caps/utils_test.go (TweakCapabilities) and the docker CLI's
// --cap-add/--cap-drop documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import { normalizeCapabilities, tweakCapabilities } from './capabilities.js';
import { defaultCapabilities, knownCapabilities } from './defaults.js';

const DEFAULTS = defaultCapabilities();

test('the default set is Docker\'s 14 capabilities, in its order', () => {
  assert.deepEqual(DEFAULTS, [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
    'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ]);
  assert.equal(knownCapabilities().length, 41);
});

const cases: Array<{ title: string; add?: string[]; drop?: string[]; isPrivileged?: boolean; want: string[] }> = [
  { title: 'nothing to tweak', want: DEFAULTS },
  { title: 'add with and without prefix, any case', add: ['NET_ADMIN', 'cap_sys_time', 'sys_ptrace'], want: [...DEFAULTS, 'CAP_NET_ADMIN', 'CAP_SYS_TIME', 'CAP_SYS_PTRACE'] },
  { title: 'drop keeps the order of the rest', drop: ['CAP_CHOWN', 'net_raw'], want: DEFAULTS.filter((c) => c !== 'CAP_CHOWN' && c !== 'CAP_NET_RAW') },
  { title: 'drop ALL then add', drop: ['ALL'], add: ['chown', 'KILL'], want: ['CAP_CHOWN', 'CAP_KILL'] },
  { title: 'drop all (lower case) alone', drop: ['all'], want: [] },
  { title: 'add ALL minus drops', add: ['ALL'], drop: ['SYS_ADMIN', 'CAP_NET_ADMIN'], want: knownCapabilities().filter((c) => c !== 'CAP_SYS_ADMIN' && c !== 'CAP_NET_ADMIN') },
  // With ALL on both sides the add wins: no capability is named "ALL" in the drop list.
  { title: 'add ALL wins over drop ALL', add: ['ALL'], drop: ['ALL'], want: knownCapabilities() },
  // moby appends an added capability even when the defaults hold it already.
  { title: 'adding a default capability duplicates it, as moby does', add: ['CHOWN'], want: [...DEFAULTS, 'CAP_CHOWN'] },
  { title: 'privileged gets everything, ignoring add/drop', isPrivileged: true, drop: ['ALL'], want: knownCapabilities() },
];

for (const c of cases) {
  test(`tweakCapabilities: ${c.title}`, () => {
    assert.deepEqual(tweakCapabilities(DEFAULTS, { add: c.add, drop: c.drop, isPrivileged: c.isPrivileged }), c.want);
  });
}

test('an unknown capability is refused with Docker\'s message (400)', () => {
  for (const [list, where] of [[['FOO'], 'add'], [['cap_foo'], 'drop']] as const) {
    assert.throws(() => tweakCapabilities(DEFAULTS, { [where]: list }), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.status, 400);
      assert.equal(err.message, 'unknown capability: "CAP_FOO"');
      return true;
    });
  }
});

test('a known capability the daemon does not hold cannot be granted', () => {
  const available = DEFAULTS;
  assert.throws(() => normalizeCapabilities(['SYS_ADMIN'], available), {
    message: 'capability not supported by your kernel or not available in the current environment: "CAP_SYS_ADMIN"',
  });
  assert.deepEqual(tweakCapabilities(DEFAULTS, { add: ['ALL'], available }), DEFAULTS);
  assert.deepEqual(tweakCapabilities(DEFAULTS, { isPrivileged: true, available }), DEFAULTS);
});
