// What the bench reads from /proc: a process's Rss and Pss, the processes naming a container
// in their argv (its monitor: conmon, or containerd's shim), and the daemon behind a socket.
import { readdir, readFile, readlink } from 'node:fs/promises';

const isMissing = (err) => err?.code === 'ENOENT' || err?.code === 'ESRCH';

/**
 * { rssKiB, pssKiB, anonKiB, pssAnonKiB } from smaps_rollup, or null when the process has gone.
 * Pss_Anon is the heap-and-stacks part of Pss: unlike the file-backed part (the node or dockerd
 * binary, shared libraries), its share does not move when unrelated processes map the same files.
 */
export async function memoryOf(pid) {
  let text;
  try {
    text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch (err) {
    // A monitor can exit between listing and reading: absence is an answer, not a failure.
    if (isMissing(err)) return null;
    throw err;
  }
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKiB: field('Rss'), pssKiB: field('Pss'), anonKiB: field('Anonymous'), pssAnonKiB: field('Pss_Anon') };
}

/** Sums memoryOf over pids; gone processes count as zero (and are counted in `gone`). */
export async function memoryOfAll(pids) {
  const sum = { rssKiB: 0, pssKiB: 0, anonKiB: 0, pssAnonKiB: 0, count: 0, gone: 0 };
  for (const pid of pids) {
    const m = await memoryOf(pid);
    if (!m) { sum.gone++; continue; }
    sum.rssKiB += m.rssKiB;
    sum.pssKiB += m.pssKiB;
    sum.anonKiB += m.anonKiB;
    sum.pssAnonKiB += m.pssAnonKiB;
    sum.count++;
  }
  return sum;
}

async function readOrNull(path) {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Every live process: { pid, ppid, argv }. */
export async function listProcesses() {
  const procs = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const [stat, cmdline] = await Promise.all([readOrNull(`/proc/${name}/stat`), readOrNull(`/proc/${name}/cmdline`)]);
    if (stat === null || cmdline === null) continue;
    // The comm field may hold spaces and parentheses: ppid is the second field after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    procs.push({ pid: Number(name), ppid, argv: cmdline.split('\0').filter(Boolean) });
  }
  return procs;
}

/** Pids of processes with an argument containing `needle` (a full container id). */
export function pidsNaming(procs, needle) {
  return procs.filter((p) => p.argv.some((a) => a.includes(needle))).map((p) => p.pid);
}

/** `root` and its descendants, not descending into `exclude` (monitors and their containers). */
export function treeOf(procs, root, exclude = new Set()) {
  const children = new Map();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    if (exclude.has(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * The pid listening on a UNIX socket path (the daemon behind DOCKER_HOST), or null: found by
 * the socket's inode in /proc/net/unix, then among every process's fds. Null as well when the
 * listener is PID 1 (systemd socket activation), which is no daemon to measure.
 */
export async function socketOwner(socketPath) {
  const table = await readFile('/proc/net/unix', 'utf8');
  const inodes = new Set();
  for (const line of table.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; St 01 = listening (unconnected).
    if (cols[7] === socketPath) inodes.add(cols[6]);
  }
  if (inodes.size === 0) return null;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || name === '1') continue;
    let fds;
    try {
      fds = await readdir(`/proc/${name}/fd`);
    } catch (err) {
      if (isMissing(err) || err?.code === 'EACCES') continue;
      throw err;
    }
    for (const fd of fds) {
      let target;
      try {
        target = await readlink(`/proc/${name}/fd/${fd}`);
      } catch (err) {
        if (isMissing(err)) continue;
        throw err;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1])) return Number(name);
    }
  }
  return null;
}
