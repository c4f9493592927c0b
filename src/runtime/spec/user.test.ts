// Cases modelled on moby/sys/user's user_test.go (TestGetExecUser, TestGetAdditionalGroups),
// with the daemon's getUser on top (primary gid first in additionalGids).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../errors/index.js';
import { resolveUser, type ResolvedUser } from './user.js';

const passwd = `root:x:0:0:root user:/root:/bin/bash
adm:x:42:43:adm:/var/adm:/bin/false
111:x:222:333::/var/garbage
odd:x:notanumber:7:odd:/odd:/bin/sh
this is just some garbage data
`;
const group = `# comment line
root:x:0:root
adm:x:43:
grp:x:1234:root,adm
444:x:555:111
odd:x:444:
  staff:x:50:adm  
`;

const table: Array<{ spec: string; groupAdd?: string[]; want: ResolvedUser }> = [
  { spec: '', want: { uid: 0, gid: 0, additionalGids: [0, 0, 1234], home: '/root' } },
  { spec: 'root', want: { uid: 0, gid: 0, additionalGids: [0, 0, 1234], home: '/root' } },
  { spec: 'adm', want: { uid: 42, gid: 43, additionalGids: [43, 1234, 50], home: '/var/adm' } },
  { spec: 'adm:adm', want: { uid: 42, gid: 43, additionalGids: [43], home: '/var/adm' } },
  { spec: 'adm:staff', want: { uid: 42, gid: 50, additionalGids: [50], home: '/var/adm' } },
  { spec: '42', want: { uid: 42, gid: 43, additionalGids: [43, 1234, 50], home: '/var/adm' } },
  { spec: '42:1234', want: { uid: 42, gid: 1234, additionalGids: [1234], home: '/var/adm' } },
  // A numeric id is always an id: "111" is uid 111, not the user named "111".
  { spec: '111', want: { uid: 111, gid: 0, additionalGids: [0], home: '' } },
  { spec: '1000:1000', want: { uid: 1000, gid: 1000, additionalGids: [1000], home: '' } },
  { spec: '1000:adm', want: { uid: 1000, gid: 43, additionalGids: [43], home: '' } },
  { spec: 'odd', want: { uid: 0, gid: 7, additionalGids: [7], home: '/odd' } },
  { spec: 'adm', groupAdd: ['grp', '50', '999', '50'], want: { uid: 42, gid: 43, additionalGids: [43, 1234, 50, 1234, 50, 999], home: '/var/adm' } },
];

for (const c of table) {
  test(`resolveUser ${JSON.stringify(c.spec)}${c.groupAdd ? ` --group-add ${c.groupAdd.join(',')}` : ''}`, () => {
    assert.deepEqual(resolveUser(c.spec, passwd, group, c.groupAdd), c.want);
  });
}

test('without /etc/passwd and /etc/group, numeric ids still work and root is the default', () => {
  assert.deepEqual(resolveUser('', undefined, undefined), { uid: 0, gid: 0, additionalGids: [0], home: '' });
  assert.deepEqual(resolveUser('1:2', undefined, undefined, ['3']), { uid: 1, gid: 2, additionalGids: [2, 3], home: '' });
});

const errors: Array<{ spec: string; groupAdd?: string[]; files?: 'none'; message: string }> = [
  { spec: 'nobody', message: 'unable to find user nobody: no matching entries in passwd file' },
  { spec: 'nobody', files: 'none', message: 'unable to find user nobody: no matching entries in passwd file' },
  { spec: 'root:nogroup', message: 'unable to find group nogroup: no matching entries in group file' },
  { spec: '0:nogroup', files: 'none', message: 'unable to find group nogroup: no matching entries in group file' },
  { spec: '-1', message: 'uids and gids must be in range 0-2147483647' },
  { spec: '0:2147483648', message: 'uids and gids must be in range 0-2147483647' },
  // moby/sys/user capitalises this one.
  { spec: 'root', groupAdd: ['nogroup'], message: 'Unable to find group nogroup: no matching entries in group file' },
  // A group named after one already added by gid is "not found": moby/sys/user's quirk, kept.
  { spec: 'root', groupAdd: ['50', 'staff'], message: 'Unable to find group staff: no matching entries in group file' },
  { spec: 'root', groupAdd: ['-5'], message: 'uids and gids must be in range 0-2147483647' },
];

for (const c of errors) {
  test(`resolveUser ${JSON.stringify(c.spec)} fails: ${c.message}`, () => {
    const [p, g] = c.files === 'none' ? [undefined, undefined] : [passwd, group];
    assert.throws(() => resolveUser(c.spec, p, g, c.groupAdd), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.equal(err.message, c.message);
      return true;
    });
  });
}
