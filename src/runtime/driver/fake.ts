import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../errors/index.js';
import { monitorPaths } from './driver.js';
import type { Created, CreateOptions, ExecOptions, ExecStarted, RuntimeDriver, RuntimeState } from './types.js';

type Op = 'create' | 'start' | 'kill' | 'pause' | 'resume' | 'delete' | 'update' | 'exec';

/**
 * A RuntimeDriver that runs nothing, for unit tests of the state machine without root. It keeps
 * each container's runtime status, records every call, fails an operation on request
 * (`failNext`), and reports exits as conmon does: an exit file in `exitDir`, then `onExit`
 * (what ExitWatcher does for the daemon), on a later turn of the event loop.
 */
export class FakeDriver implements RuntimeDriver {
  readonly calls: string[] = [];
  readonly failNext = new Map<Op, Error>();
  /** Wired by the test to the service's exit handling, as the daemon wires ExitWatcher. */
  onExit: (id: string, exitCode: number, finishedAt: Date) => void = () => undefined;
  /** Signals the fake's processes ignore (their code then comes from `exit`). */
  readonly ignored = new Set<number>();
  private readonly procs = new Map<string, { status: RuntimeState['status']; pid: number }>();
  private nextPid = 1000;

  constructor(private readonly exitDir: string) {}

  private op(name: Op, detail: string): void {
    this.calls.push(`${name} ${detail}`);
    const err = this.failNext.get(name);
    if (err) { this.failNext.delete(name); throw err; }
  }

  private known(id: string) {
    const p = this.procs.get(id);
    if (!p) throw new NotFoundError(`container "${id}" does not exist`);
    return p;
  }

  async create(o: CreateOptions): Promise<Created> {
    this.op('create', o.id);
    const pid = this.nextPid++;
    this.procs.set(o.id, { status: 'created', pid });
    return { pid, conmonPid: pid + 100_000, ...monitorPaths(o.bundleDir) };
  }

  async start(id: string): Promise<void> {
    this.op('start', id);
    const p = this.known(id);
    if (p.status !== 'created') throw new ConflictError(`cannot start a container that is ${p.status}`);
    p.status = 'running';
  }

  async kill(id: string, _runtime: string, signal: string | number): Promise<void> {
    this.op('kill', `${id} ${signal}`);
    const p = this.known(id);
    if (p.status === 'stopped') throw new NotFoundError(`container "${id}" is not running`);
    const num = Number(signal);
    if (num === 9 || (!this.ignored.has(num) && Number.isInteger(num))) this.exit(id, 128 + num);
  }

  async pause(id: string): Promise<void> { this.op('pause', id); this.known(id).status = 'paused'; }
  async resume(id: string): Promise<void> { this.op('resume', id); this.known(id).status = 'running'; }

  async delete(id: string): Promise<void> {
    this.op('delete', id);
    this.procs.delete(id);
  }

  async state(id: string): Promise<RuntimeState | undefined> {
    const p = this.procs.get(id);
    return p ? { status: p.status, pid: p.status === 'stopped' ? 0 : p.pid } : undefined;
  }

  async ps(id: string): Promise<number[]> { return [this.known(id).pid]; }
  async update(id: string): Promise<void> { this.op('update', id); this.known(id); }

  async exec(o: ExecOptions): Promise<ExecStarted> {
    this.op('exec', `${o.id} ${o.execId}`);
    if (this.known(o.id).status !== 'running') throw new ConflictError(`cannot exec in a stopped container`);
    await mkdir(o.execDir, { recursive: true });
    const pid = this.nextPid++;
    return { pid, conmonPid: pid + 100_000, exitPath: join(o.execDir, 'exit'), ...monitorPaths(o.execDir) };
  }

  /** The container's process ends with `code`: conmon's exit file now, the exit report a turn later. */
  exit(id: string, code: number): void {
    const p = this.procs.get(id);
    if (!p || p.status === 'stopped') return;
    p.status = 'stopped';
    const at = new Date();
    void mkdir(this.exitDir, { recursive: true })
      .then(() => writeFile(join(this.exitDir, id), String(code)))
      .then(() => setImmediate(() => this.onExit(id, code, at)));
  }

  /** Whether the runtime holds the container (created, running, paused or stopped). */
  has(id: string): boolean { return this.procs.has(id); }
}
