// Docker's default profile resolved per container, as moby/profiles' seccomp_linux_test.go checks
// (TestLoadProfileWithListenerPath, TestLoadDefaultProfile, includes/excludes by caps, arch, kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import type { OciSeccomp } from '../../types/container.js';
import { defaultCapabilities } from './defaults.js';
import { defaultSeccompProfile, parseKernelRelease, parseSeccompProfile, translateSeccomp, type SeccompProfile } from './seccomp.js';

const CAPS = defaultCapabilities();

function allows(s: OciSeccomp, name: string): boolean {
  return (s.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_ALLOW' && r.names.includes(name) && !r.args);
}

function rulesFor(s: OciSeccomp, name: string) {
  return (s.syscalls ?? []).filter((r) => r.names.includes(name));
}

test('default profile, default capabilities, x86_64 on Linux 6.1', () => {
  const s = translateSeccomp(defaultSeccompProfile(), { capabilities: CAPS, kernelRelease: '6.1.0-18-amd64', arch: 'amd64' })!;
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.equal(s.syscalls!.length, 15);
  assert.ok(allows(s, 'read') && allows(s, 'chroot') && allows(s, 'arch_prctl') && allows(s, 'ptrace'));
  assert.ok(!allows(s, 'mount') && !allows(s, 'reboot') && !allows(s, 'bpf') && !allows(s, 'riscv_flush_icache'));
  // clone is allowed only without namespace flags; clone3 fails with ENOSYS so libc falls back.
  assert.deepEqual(rulesFor(s, 'clone'), [{
    names: ['clone'], action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
  }]);
  assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  // Only OCI fields survive: no comment, includes or excludes.
  for (const r of s.syscalls!) assert.deepEqual(Object.keys(r).filter((k) => !['names', 'action', 'args', 'errnoRet'].includes(k)), []);
});

test('a syscall gated by CAP_SYS_ADMIN is present only with that capability', () => {
  const s = translateSeccomp(defaultSeccompProfile(), { capabilities: [...CAPS, 'CAP_SYS_ADMIN'], kernelRelease: '6.1.0', arch: 'amd64' })!;
  assert.ok(allows(s, 'mount') && allows(s, 'unshare') && allows(s, 'setns') && allows(s, 'clone3'));
  // The excludes-CAP_SYS_ADMIN rules are gone: clone is unrestricted, clone3 no longer ENOSYS.
  assert.deepEqual(rulesFor(s, 'clone3').map((r) => r.action), ['SCMP_ACT_ALLOW']);
  assert.equal(rulesFor(s, 'clone').filter((r) => r.args).length, 0);
  const without = translateSeccomp(defaultSeccompProfile(), { capabilities: CAPS, kernelRelease: '6.1.0', arch: 'amd64' })!;
  assert.equal(s.syscalls!.length, without.syscalls!.length - 2 + 1);
});

test('minKernel: ptrace is allowed from Linux 4.8 on', () => {
  const old = translateSeccomp(defaultSeccompProfile(), { capabilities: CAPS, kernelRelease: '4.4.0-210-generic', arch: 'amd64' })!;
  assert.ok(!allows(old, 'ptrace') && !allows(old, 'process_vm_readv'));
  const exact = translateSeccomp(defaultSeccompProfile(), { capabilities: CAPS, kernelRelease: '4.8', arch: 'amd64' })!;
  assert.ok(allows(exact, 'ptrace'));
  // With CAP_SYS_PTRACE the capability rule allows it on any kernel.
  const traced = translateSeccomp(defaultSeccompProfile(), { capabilities: [...CAPS, 'CAP_SYS_PTRACE'], kernelRelease: '4.4.0', arch: 'amd64' })!;
  assert.ok(allows(traced, 'ptrace'));
});

test('arch: arm64 gets its sub-arch and its own rules', () => {
  const s = translateSeccomp(defaultSeccompProfile(), { capabilities: CAPS, kernelRelease: '6.1.0', arch: 'arm64' })!;
  assert.deepEqual(s.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(allows(s, 'set_tls') && !allows(s, 'arch_prctl') && !allows(s, 'modify_ldt'));
});

test('profile format: name, errnoRet, args, excludes by kernel, top-level fields', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { name: 'chmod', action: 'SCMP_ACT_ERRNO', errnoRet: 13, comment: 'kept' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
      { names: ['old_call'], action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '5.4' } },
      { names: ['mount'], action: 'SCMP_ACT_ERRNO', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_NET_ADMIN'] } },
    ],
  };
  assert.deepEqual(translateSeccomp(profile, { capabilities: [...CAPS, 'CAP_SYS_ADMIN'], kernelRelease: '6.1.0', arch: 'amd64' }), {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64'],
    flags: ['SECCOMP_FILTER_FLAG_LOG'],
    syscalls: [
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
    ],
  });
  const onOldKernel = translateSeccomp(profile, { capabilities: CAPS, kernelRelease: '5.3.1', arch: 'amd64' })!;
  assert.deepEqual(onOldKernel.syscalls!.map((r) => r.names[0]), ['chmod', 'personality', 'old_call']);
});

test('profiles that disable seccomp or contradict themselves', () => {
  assert.equal(translateSeccomp({}, { capabilities: CAPS, kernelRelease: '6.1' }), undefined);
  const invalid: Array<[SeccompProfile, string]> = [
    [{ defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] },
      "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'"],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
      "both 'name' and 'names' are specified in the seccomp profile, use either 'name' or 'names'"],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } }] },
      'invalid kernel version: "4", expected "<kernel>.<major>"'],
    [{ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '0.0' } }] },
      'invalid kernel version: "0.0", expected "<kernel>.<major>": version cannot be 0.0'],
  ];
  for (const [profile, message] of invalid) {
    assert.throws(() => translateSeccomp(profile, { capabilities: CAPS, kernelRelease: '6.1' }), { message });
  }
});

test('a profile sent as JSON text; broken JSON is a 400', () => {
  assert.deepEqual(parseSeccompProfile('{"defaultAction":"SCMP_ACT_LOG"}'), { defaultAction: 'SCMP_ACT_LOG' });
  assert.throws(() => parseSeccompProfile('{nope'), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.match(err.message, /^Decoding seccomp profile failed: /);
    return true;
  });
});

test('kernel releases parse as "<kernel>.<major>", suffixes ignored', () => {
  assert.deepEqual(parseKernelRelease('6.18.44-fc-v782'), { kernel: 6, major: 18 });
  assert.deepEqual(parseKernelRelease('3.12-1-amd64'), { kernel: 3, major: 12 });
  assert.throws(() => parseKernelRelease('bogus'), { message: 'failed to parse kernel version "bogus"' });
});
