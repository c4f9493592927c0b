import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError, isErrno } from '../errors/index.js';
import { mkdirAll, readJson, writeJsonAtomic } from '../store/index.js';
import type { EventBus } from '../events/index.js';
import { attach, readExitFile, waitExitFile, type AttachStreams, type RuntimeDriver } from '../runtime/driver/index.js';
import { isProcessAlive } from '../sys/index.js';
import { execProcess } from './exec-process.js';
import type { Logger } from '../util/index.js';
import type { ContainerRecord } from './record.js';
import { pump, type AttachOptions } from './stdio.js';
import type { ContainerStore } from './store.js';

/** An exec instance as `GET /exec/{id}/json` shows it. */
export interface ExecRecord {
  id: string;
  containerId: string;
  config: { AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean; Env: string[]; Cmd: string[]; Privileged: boolean; User: string; WorkingDir: string; DetachKeys: string };
  running: boolean;
  exitCode: number | null;
  pid: number;
  isStarted: boolean;
  /** The client's terminal [height, width] at create or start; the pty starts at this size. */
  consoleSize?: [number, number];
  /** conmon's pid for a running exec: re-adopting after a berthd restart checks it is still there. */
  conmonPid?: number;
}

/**
 * `docker exec`: each exec runs under its own conmon (`runtime exec`), with the container's
 * process settings (capabilities, rlimits, no-new-privileges) copied from its bundle, as
 * dockerd copies them from the container's spec.
 */
export class ExecService {
  private readonly execs = new Map<string, ExecRecord>();

  constructor(private readonly d: { store: ContainerStore; driver: RuntimeDriver; events: EventBus; logger: Logger; attributes: (rec: ContainerRecord) => Record<string, string> }) {}

  async create(containerIdOrName: string, body: unknown): Promise<string> {
    const rec = this.d.store.resolve(containerIdOrName);
    // moby's getActiveContainer, word for word (daemon/errors.go).
    if (rec.state.status === 'paused') throw new ConflictError(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status === 'restarting') throw new ConflictError(`Container ${rec.id} is restarting, wait until the container is running`);
    if (rec.state.status !== 'running') throw new ConflictError(`container ${rec.id} is not running`);
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b !== 'object' || Array.isArray(b)) throw new InvalidArgumentError('invalid exec config: expected a JSON object');
    const cmd = typeof b.Cmd === 'string' ? [b.Cmd] : b.Cmd;
    if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((s) => typeof s === 'string')) throw new InvalidArgumentError('No exec command specified');
    const env = b.Env ?? [];
    if (!Array.isArray(env) || !env.every((s) => typeof s === 'string')) throw new InvalidArgumentError('invalid exec config: Env must be a list of strings');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      id,
      containerId: rec.id,
      config: {
        AttachStdin: b.AttachStdin === true, AttachStdout: b.AttachStdout === true, AttachStderr: b.AttachStderr === true, Tty: b.Tty === true,
        Env: env as string[], Cmd: cmd as string[], Privileged: b.Privileged === true, User: typeof b.User === 'string' ? b.User : '',
        WorkingDir: typeof b.WorkingDir === 'string' ? b.WorkingDir : '', DetachKeys: typeof b.DetachKeys === 'string' ? b.DetachKeys : '',
      },
      running: false, exitCode: null, pid: 0, isStarted: false,
      ...(consoleSizeOf(b.ConsoleSize) ? { consoleSize: consoleSizeOf(b.ConsoleSize)! } : {}),
    });
    // Not written yet: an exec that never starts is not worth a file (dockerd keeps none at
    // all); the start writes the record live restore needs.
    this.d.events.publish('container', `exec_create: ${(cmd as string[]).join(' ')}`, rec.id, { ...this.d.attributes(rec), execID: id });
    return id;
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    // A removed container takes its execs along (their records went with its directory).
    if (e && !this.d.store.get(e.containerId)) this.execs.delete(id);
    if (!e || !this.execs.has(id)) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode, ProcessConfig: { tty: e.config.Tty, entrypoint: e.config.Cmd[0], arguments: e.config.Cmd.slice(1), privileged: e.config.Privileged, user: e.config.User },
      OpenStdin: e.config.AttachStdin, OpenStderr: e.config.AttachStderr, OpenStdout: e.config.AttachStdout, CanRemove: false, ContainerID: e.containerId,
      DetachKeys: e.config.DetachKeys, Pid: e.pid,
    };
  }

  /**
   * Starts the exec. With `io`, its output is attached (all of it: the attach happens before
   * the process runs) and the promise resolves when the process has exited; without, it
   * resolves once the process runs and its exit is recorded in the background.
   */
  async start(id: string, o: { detach: boolean; consoleSize?: unknown; tty?: boolean }, io?: { input: Readable | undefined; output: Writable; options: AttachOptions; signal: AbortSignal }): Promise<void> {
    const e = this.get(id);
    if (e.isStarted) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const rec = this.d.store.get(e.containerId);
    if (rec?.state.status === 'paused') throw new ConflictError(`Container ${e.containerId} is paused, unpause the container before exec`);
    if (!rec || rec.state.status !== 'running') throw new ConflictError(`container ${e.containerId} is not running`);
    e.isStarted = true;
    const size = consoleSizeOf(o.consoleSize);
    if (size) e.consoleSize = size;
    const paths = this.d.store.paths(rec.id);
    const execDir = path.join(paths.run, 'exec', id.slice(0, 16));
    // The terminal is the create's choice: the start body's Tty does not give or take one
    // (it decides the framing of the output, below).
    const hasTty = e.config.Tty;
    let streams: AttachStreams | undefined;
    const started = await this.d.driver.exec({
      id: rec.id, execId: id, runtime: rec.runtime, execDir, process: this.processFor(rec, e, hasTty), hasTty,
      hasStdin: e.config.AttachStdin && !o.detach,
      ...(io && !o.detach ? { beforeStart: async (p: { attachPath: string }) => { streams = await attach(p.attachPath, { signal: io.signal }); } } : {}),
    }).catch((err: unknown) => {
      // As dockerd 20.10: an exec that could not start is 126, a missing binary included
      // (127 is only `run`'s, which the CLI picks from the start error's words).
      e.exitCode = 126;
      e.running = false;
      void this.save(e).catch((saveErr: unknown) => this.d.logger.warn({ component: 'exec', containerId: rec.id, err: saveErr }, 'saving an exec record failed'));
      throw err;
    });
    e.running = true;
    e.pid = started.pid;
    e.conmonPid = started.conmonPid;
    await this.save(e);
    this.d.events.publish('container', `exec_start: ${e.config.Cmd.join(' ')}`, rec.id, { ...this.d.attributes(rec), execID: id });
    const finished = this.watch(rec, e, execDir);
    if (!io || o.detach || !streams) return;
    // The framing is the start body's choice, as dockerd's: raw when it asks for a TTY (and
    // then, from a process without one, stdout only: dockerd has no stderr writer for it),
    // framed otherwise, also around a terminal's output.
    const isRaw = o.tty === true;
    const options = isRaw && !hasTty ? { ...io.options, stderr: false } : io.options;
    const end = await pump(streams, options, hasTty, true, io.input, io.output, io.signal, isRaw);
    if (end === 'detached') {
      // The session ends and the process goes on, as dockerd's exec_detach.
      this.d.events.publish('container', 'exec_detach', rec.id, { ...this.d.attributes(rec), execID: id });
      return;
    }
    await finished;
  }

  /** Waits for the exec's exit file and records the exit (exec_die); the session's directory goes after. */
  private watch(rec: ContainerRecord, e: ExecRecord, execDir: string): Promise<void> {
    return waitExitFile(path.join(execDir, 'exit')).then((info) => {
      e.running = false;
      e.exitCode = info.exitCode;
      e.pid = 0;
      delete e.conmonPid;
      this.d.events.publish('container', 'exec_die', rec.id, { ...this.d.attributes(rec), execID: e.id, exitCode: String(info.exitCode) });
      // The exit is known in memory (inspect shows it from here on); the session's end does
      // not wait for the file. Not synced: a record that says "running" after a power loss is
      // settled at restore from the exit file, and conmon's absence, as a crash's would be.
      void this.save(e, { sync: false })
        .then(() => fsp.rm(execDir, { recursive: true, force: true }))
        .catch((err: unknown) => this.d.logger.warn({ component: 'exec', containerId: rec.id, execId: e.id, err }, 'recording an exec\'s end failed'));
    }, (err: unknown) => this.d.logger.warn({ component: 'exec', containerId: rec.id, err }, 'waiting for an exec failed'));
  }

  /** Exec records live with their container (`<container dir>/execs/<id>.json`), so they go when it goes. */
  private recordPath(containerId: string, id: string): string {
    return path.join(this.d.store.paths(containerId).dir, 'execs', `${id}.json`);
  }

  /**
   * Under the container's lock, and only while the container exists: a save racing its removal
   * must not make its directory again.
   */
  private async save(e: ExecRecord, o: { sync?: boolean } = {}): Promise<void> {
    await this.d.store.withLock(e.containerId, async () => {
      if (!this.d.store.get(e.containerId)) return;
      const file = this.recordPath(e.containerId, e.id);
      await mkdirAll(path.dirname(file), 0o700);
      await writeJsonAtomic(file, e, o);
    });
  }

  /**
   * Live restore of a container's execs at daemon start: a record of a running exec is
   * re-adopted when its conmon still runs (its exit is then recorded as usual), takes the
   * code from its exit file when it ended while berthd was down, and is recorded as ended
   * (-1, as conmon does when it cannot tell) when neither is there.
   */
  async restore(rec: ContainerRecord): Promise<void> {
    const dir = path.join(this.d.store.paths(rec.id).dir, 'execs');
    let names: string[];
    try { names = await fsp.readdir(dir); } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      const e = await readJson<ExecRecord>(path.join(dir, name));
      if (!e || e.containerId !== rec.id) continue;
      this.execs.set(e.id, e);
      if (!e.running) continue;
      const execDir = path.join(this.d.store.paths(rec.id).run, 'exec', e.id.slice(0, 16));
      const exit = await readExitFile(path.join(execDir, 'exit'));
      if (exit || !e.conmonPid || !(await isProcessAlive(e.conmonPid))) {
        e.running = false;
        e.exitCode = exit?.exitCode ?? -1;
        e.pid = 0;
        delete e.conmonPid;
        await this.save(e);
        this.d.events.publish('container', 'exec_die', rec.id, { ...this.d.attributes(rec), execID: e.id, exitCode: String(e.exitCode) });
        await fsp.rm(execDir, { recursive: true, force: true });
        continue;
      }
      void this.watch(rec, e, execDir);
      this.d.logger.info({ component: 'exec', containerId: rec.id, execId: e.id }, 're-adopted a running exec');
    }
  }

  /** The exec's OCI process: the container's process settings with the exec's own args, env, user and cwd. */
  private processFor(rec: ContainerRecord, e: ExecRecord, hasTty: boolean): Record<string, unknown> {
    const process = execProcess(rec, this.d.store.paths(rec.id), {
      args: e.config.Cmd, user: e.config.User, env: e.config.Env, workingDir: e.config.WorkingDir, hasTty, isPrivileged: e.config.Privileged,
    });
    if (hasTty && e.consoleSize) process.consoleSize = { height: e.consoleSize[0], width: e.consoleSize[1] };
    return process;
  }

  async exitCodeOf(id: string): Promise<number | undefined> {
    const e = this.get(id);
    if (e.exitCode !== null) return e.exitCode;
    const rec = this.d.store.get(e.containerId);
    if (!rec) return undefined;
    return (await readExitFile(path.join(this.d.store.paths(rec.id).run, 'exec', id.slice(0, 16), 'exit')))?.exitCode;
  }
}

/** `ConsoleSize: [height, width]` of an exec body; absent, malformed or 0x0 is none. */
function consoleSizeOf(v: unknown): [number, number] | undefined {
  if (!Array.isArray(v) || v.length !== 2 || !v.every((n) => Number.isInteger(n) && n >= 0 && n <= 0xffff)) return undefined;
  return v[0] === 0 && v[1] === 0 ? undefined : [v[0] as number, v[1] as number];
}
