import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { exec, waitFor, type ExecResult } from '../../src/util/index.js';
import { dockerBin, mountsUnder, type TestDaemon } from './daemon.js';
import { busyboxRootfsTar } from './fixtures.js';

/** The part of `docker inspect` of a container that the tests read. */
export interface ContainerJson {
  Id: string;
  Name: string;
  Created: string;
  Path: string;
  Args: string[];
  State: {
    Status: string; Running: boolean; Paused: boolean; Restarting: boolean; OOMKilled: boolean; Dead: boolean;
    Pid: number; ExitCode: number; Error: string; StartedAt: string; FinishedAt: string;
  };
  Image: string;
  LogPath: string;
  RestartCount: number;
  Config: { Cmd: string[] | null; Entrypoint: string[] | null; Env: string[] | null; Labels: Record<string, string> | null; WorkingDir: string; User: string; Hostname: string; Image: string };
  HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number }; NanoCpus: number; BlkioWeight: number; Memory: number; PidsLimit: number | null; LogConfig: { Type: string }; Runtime: string; AutoRemove: boolean };
}

/** stdout of a docker CLI call as text. */
export function out(r: ExecResult): string {
  return r.stdout.toString('utf8');
}

/** Imports the static busybox rootfs as `tag` (default `busybox:latest` with `CMD ["sh"]`). */
export async function importBusybox(d: TestDaemon, tag = 'busybox:latest', changes: string[] = ['CMD ["sh"]']): Promise<string> {
  const rootfs = await busyboxRootfsTar();
  const r = await d.docker(['import', ...changes.flatMap((c) => ['-c', c]), rootfs, tag]);
  return out(r).trim();
}

/** `GET /containers/{id}/json`, or the HTTP status when it is not 200. */
export async function inspectOrStatus(d: TestDaemon, id: string): Promise<ContainerJson | number> {
  const r = await d.request('GET', `/containers/${encodeURIComponent(id)}/json`);
  if (r.status !== 200) return r.status;
  return JSON.parse(r.body) as ContainerJson;
}

export async function inspectContainer(d: TestDaemon, id: string): Promise<ContainerJson> {
  const r = await inspectOrStatus(d, id);
  if (typeof r === 'number') throw new Error(`inspect ${id}: HTTP ${r}`);
  return r;
}

/** Waits until the container's State.Status is `status`; returns its inspect. */
export function waitForStatus(d: TestDaemon, id: string, status: string, timeoutMs = 15_000): Promise<ContainerJson> {
  return waitFor(`container ${id.slice(0, 12)} to be ${status}`, async () => {
    const c = await inspectContainer(d, id);
    if (c.State.Status !== status) throw new Error(`status ${c.State.Status} (exit ${c.State.ExitCode}, error ${JSON.stringify(c.State.Error)})`);
    return c;
  }, { timeoutMs });
}

/** Waits until inspect answers 404 (e.g. after `--rm`). */
export function waitForGone(d: TestDaemon, id: string, timeoutMs = 15_000): Promise<true> {
  return waitFor(`container ${id.slice(0, 12)} to be removed (inspect 404)`, async () => {
    const r = await inspectOrStatus(d, id);
    if (r !== 404) throw new Error(typeof r === 'number' ? `HTTP ${r}` : `still there: ${r.State.Status}`);
    return true as const;
  }, { timeoutMs });
}

/** Waits until `docker logs` (stdout and stderr together) matches `re`; returns the text. */
export function waitForLogs(d: TestDaemon, id: string, re: RegExp, timeoutMs = 15_000): Promise<string> {
  return waitFor(`logs of ${id.slice(0, 12)} to match ${re}`, async () => {
    const r = await d.docker(['logs', id], { allowFailure: true });
    const text = out(r) + r.stderr;
    if (!re.test(text)) throw new Error(`logs: ${JSON.stringify(text.slice(-300))}`);
    return text;
  }, { timeoutMs });
}

/** Force-removes containers, ignoring ones already gone: for `t.after`. */
export async function removeContainers(d: TestDaemon, ...ids: Array<string | undefined>): Promise<void> {
  for (const id of ids) {
    if (!id) continue;
    await d.request('DELETE', `/containers/${encodeURIComponent(id)}?force=1`).catch(() => undefined);
  }
}

/** A live (not zombie) process's state letter, or undefined when it is gone or a zombie. */
export function liveState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' ? undefined : state;
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose command line contains `needle`, other than this one. */
export async function processesMatching(needle: string): Promise<Array<{ pid: number; cmdline: string }>> {
  const found: Array<{ pid: number; cmdline: string }> = [];
  for (const name of await fsp.readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await fsp.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(needle)) continue;
    if (liveState(Number(name)) === undefined) continue;
    found.push({ pid: Number(name), cmdline: cmdline.replace(/\0/g, ' ').trim() });
  }
  return found;
}

/**
 * What a removed container must not leave behind: a mount under the data-root or exec-root
 * naming it, a live process (conmon) naming it, a cgroup directory `*\/berth/<id>`, its
 * `containers/<id>` directory, its runtime state or run directory. Returns one line per leak.
 */
export async function leaksOf(d: TestDaemon, id: string): Promise<string[]> {
  const leaks: string[] = [];
  for (const m of mountsUnder(d.dir)) if (m.includes(id) || m.includes(id.slice(0, 16))) leaks.push(`mount ${m}`);
  for (const p of await processesMatching(id)) leaks.push(`process ${p.pid}: ${p.cmdline}`);
  for (const ctl of await fsp.readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const cg = path.join('/sys/fs/cgroup', ctl, 'berth', id);
    if (existsSync(cg)) leaks.push(`cgroup ${cg}`);
  }
  for (const p of [
    path.join(d.dataRoot, 'containers', id),
    path.join(d.dir, 'exec', 'c', id.slice(0, 16)),
    path.join(d.dir, 'exec', 'runtime', 'runc', id),
    path.join(d.dir, 'exec', 'exits', id),
  ]) if (existsSync(p)) leaks.push(`path ${p}`);
  return leaks;
}

/** Seconds since the epoch with fractions, as `docker events --since/--until` take them. */
export function unixSeconds(ms = Date.now()): string {
  return (ms / 1000).toFixed(3);
}

/** A docker CLI call whose stdout is readable while it runs (`logs -f`, `events`, attach). */
export interface StreamingDocker {
  /** stdout so far. */
  text(): string;
  /** Resolves with the result once the CLI exits (never rejects on a non-zero exit). */
  done: Promise<ExecResult>;
  /** Waits until stdout matches `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Ends a call that would run on (`events` without `--until`); `done` then resolves. */
  stop(): Promise<void>;
}

export function streamDocker(d: TestDaemon, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): StreamingDocker {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) { text += chunk.toString('utf8'); cb(); },
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: d.dir, DOCKER_CONFIG: path.join(d.dir, 'docker-config'), DOCKER_HOST: d.host, ...opts.env };
  const abort = new AbortController();
  const done = exec(dockerBin, args, { env, stdout: sink, allowFailure: true, timeoutMs: opts.timeoutMs ?? 30_000, signal: abort.signal })
    .catch((err: unknown) => {
      if (!abort.signal.aborted) throw err;
      return { code: null, signal: 'SIGTERM' as const, stdout: Buffer.alloc(0), stderr: '' };
    });
  return {
    text: () => text,
    done,
    stop: async () => { abort.abort(); await done; },
    waitFor: (re, timeoutMs = 15_000) => waitFor(`docker ${args.join(' ')} to print ${re}`, () => {
      if (re.test(text)) return text;
      throw new Error(`printed ${JSON.stringify(text.slice(-300))}`);
    }, { timeoutMs }),
  };
}

/** A raw API request whose body is kept as bytes (the multiplexed logs and attach streams). */
export function requestBytes(d: TestDaemon, method: string, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: d.socket, method, path: urlPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Splits a multiplexed (non-TTY) logs or attach body into [stream, text] frames: 1 stdout, 2 stderr. */
export function demux(body: Buffer): Array<[number, string]> {
  const frames: Array<[number, string]> = [];
  for (let i = 0; i + 8 <= body.length;) {
    const size = body.readUInt32BE(i + 4);
    frames.push([body[i]!, body.subarray(i + 8, i + 8 + size).toString('utf8')]);
    i += 8 + size;
  }
  return frames;
}

/** Runs a detached container to its exit; returns its id, removed after the test. */
export async function runToExit(d: TestDaemon, t: { after: (fn: () => Promise<void>) => void }, args: string[]): Promise<string> {
  const id = out(await d.docker(['run', '-d', ...args])).trim();
  t.after(() => removeContainers(d, id));
  await d.docker(['wait', id]);
  return id;
}
