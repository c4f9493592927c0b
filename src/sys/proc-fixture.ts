import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { waitFor } from '../util/index.js';
import { readProcStat } from './proc.js';

/**
 * For tests: a zombie. A child (`head -c1` on fd 3) waits until its parent, sh, has exec'd
 * into sleep, which never waits for children; the byte written then ends it, and it stays a
 * zombie until `t.after` kills the parent and PID 1 reaps both. Resolves with its pid once
 * /proc shows it as one.
 */
export async function makeZombie(t: { after: (fn: () => void) => void }): Promise<number> {
  const parent = spawn('sh', ['-c', 'head -c1 <&3 >/dev/null & echo $!; exec sleep 1000 3<&-'], { stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
  t.after(() => { parent.kill('SIGKILL'); });
  const [line] = await once(parent.stdout!, 'data') as [Buffer];
  parent.stdout!.destroy();
  const pid = Number(line.toString().trim());
  await waitFor(`process ${parent.pid} to be sleep`, async () => {
    const comm = (await readFile(`/proc/${parent.pid}/comm`, 'utf8')).trim();
    if (comm === 'sleep') return true;
    throw new Error(`comm ${comm}`);
  });
  const release = parent.stdio[3] as Writable & Readable;
  release.end('x');
  await waitFor(`process ${pid} to be a zombie`, async () => {
    const stat = await readProcStat(pid);
    if (stat?.state === 'Z') return true;
    throw new Error(`state ${stat?.state ?? 'gone'}`);
  });
  return pid;
}
