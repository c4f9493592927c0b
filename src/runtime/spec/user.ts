import { InvalidArgumentError } from '../../errors/index.js';
import { atoi } from './go-format.js';

/**
 * The container's user from `--user` and the image's /etc/passwd and /etc/group, ported from
 * moby/sys/user (`GetExecUser`, `GetAdditionalGroups`) and moby daemon/oci_linux.go `getUser`.
 */

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Docker lists the primary gid first, then /etc/group memberships, then --group-add. */
  additionalGids: number[];
  /** From passwd; '' when the user has no entry. */
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1;
const RANGE_MESSAGE = `uids and gids must be in range 0-${MAX_ID}`;

/** A field as moby/sys/user reads numbers: conversion errors become 0. */
function numberField(s: string | undefined): number {
  return atoi(s ?? '') ?? 0;
}

/** passwd lines; unlike group files, '#' is not a comment here (moby/sys/user parity). */
export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '').map((line) => {
    const f = line.split(':');
    return { name: f[0] ?? '', uid: numberField(f[2]), gid: numberField(f[3]), home: f[5] ?? '' };
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
    const f = line.split(':');
    const list = f[3] ?? '';
    return { name: f[0] ?? '', gid: numberField(f[2]), members: list === '' ? [] : list.split(',') };
  });
}

function checkRange(id: number): number {
  if (id < 0 || id > MAX_ID) throw new InvalidArgumentError(RANGE_MESSAGE);
  return id;
}

/** `--user`: "", "name", "uid", "name:group", "uid:gid", ... (`GetExecUser` with root defaults). */
function execUser(spec: string, passwd: string | undefined, group: string | undefined): { uid: number; gid: number; sgids: number[]; home: string } {
  const [userArg = '', groupArg = ''] = spec.split(':');
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const user = { uid: 0, gid: 0, sgids: [] as number[], home: '' };

  const users = parsePasswd(passwd ?? '').filter((u) => {
    if (userArg === '') return u.uid === user.uid;
    return uidArg !== null ? u.uid === uidArg : u.name === userArg;
  });
  let matchedName = '';
  if (users.length > 0) {
    const u = users[0]!;
    matchedName = u.name;
    Object.assign(user, { uid: u.uid, gid: u.gid, home: u.home });
  } else if (userArg !== '') {
    if (uidArg === null) throw new InvalidArgumentError(`unable to find user ${userArg}: no matching entries in passwd file`);
    user.uid = checkRange(uidArg);
  }

  if (groupArg === '' && matchedName === '') return user;
  const groups = parseGroup(group ?? '').filter((g) => {
    if (groupArg === '') return g.members.includes(matchedName);
    return gidArg !== null ? g.gid === gidArg : g.name === groupArg;
  });
  if (groupArg !== '') {
    if (groups.length > 0) user.gid = groups[0]!.gid;
    else if (gidArg === null) throw new InvalidArgumentError(`unable to find group ${groupArg}: no matching entries in group file`);
    else user.gid = checkRange(gidArg);
  } else if (groups.length > 0) {
    // Supplementary groups only in the implicit form: "user:group" means exactly that group.
    user.sgids = groups.map((g) => g.gid);
  }
  return user;
}

/**
 * `--group-add` names or ids (`GetAdditionalGroups`). Go returns them from a map in random
 * order; berth keeps the order given, without duplicates.
 */
function additionalGroups(names: readonly string[], group: string | undefined): number[] {
  const groups = parseGroup(group ?? '');
  const gids: number[] = [];
  for (const name of names) {
    const match = groups.find((g) => (g.name === name || String(g.gid) === name) && !gids.includes(g.gid));
    let gid: number;
    if (match) gid = match.gid;
    else {
      const n = atoi(name);
      // Capitalised in moby/sys/user, unlike the --user messages.
      if (n === null) throw new InvalidArgumentError(`Unable to find group ${name}: no matching entries in group file`);
      gid = checkRange(n);
    }
    if (!gids.includes(gid)) gids.push(gid);
  }
  return gids;
}

/**
 * Resolves `--user` against the image's /etc/passwd and /etc/group contents (undefined when the
 * file does not exist: numeric ids still work, names do not).
 */
export function resolveUser(spec: string, passwd: string | undefined, group: string | undefined, groupAdd: readonly string[] = []): ResolvedUser {
  const u = execUser(spec, passwd, group);
  const extra = groupAdd.length > 0 ? additionalGroups(groupAdd, group) : [];
  return { uid: u.uid, gid: u.gid, additionalGids: [u.gid, ...u.sgids, ...extra], home: u.home };
}
