import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../events/index.js';
import { readLog, waitExitFile, type RuntimeDriver } from '../runtime/driver/index.js';
import type { HealthConfig } from '../types/container.js';
import type { Logger } from '../util/index.js';
import { execProcess } from './exec-process.js';
import type { ContainerRecord, HealthState } from './record.js';
import type { ContainerStore } from './store.js';

// moby daemon/health.go defaults and limits.
const DEFAULT_INTERVAL_NS = 30e9;
const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_START_INTERVAL_NS = 5e9;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT_BYTES = 4096;

/** The command a health check runs, or undefined when the container has none (or NONE). */
export function probeArgs(h: HealthConfig | undefined, shell: readonly string[] | null | undefined): string[] | undefined {
  const test = h?.Test ?? [];
  if (test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : undefined;
  if (test[0] === 'CMD-SHELL') return test.length > 1 ? [...(shell && shell.length > 0 ? shell : ['/bin/sh', '-c']), test[1]!] : undefined;
  return undefined;
}

/** Go's time.Duration String for whole milliseconds and up, as Docker's timeout message prints it. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) return ns % 1e6 === 0 ? `${ns / 1e6}ms` : `${ns / 1e3}µs`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const secs = Number.isInteger(s) ? `${s}s` : `${Number(s.toFixed(9))}s`;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${secs}`;
}

interface Monitor {
  timer?: NodeJS.Timeout;
  abort: AbortController;
  /** The probe's OCI process, made once per run of the container. */
  process?: Record<string, unknown>;
}

export interface HealthDeps {
  store: ContainerStore;
  driver: RuntimeDriver;
  events: EventBus;
  logger: Logger;
  attributes: (rec: ContainerRecord) => Record<string, string>;
}

/**
 * Health checks (moby daemon/health.go): each running container with a check gets a timer;
 * each probe is an exec under its own conmon, its output kept (up to 4 KiB) with its times and
 * exit code in the last five log entries; a timeout kills it. The status moves from starting
 * to healthy on a success and to unhealthy after `retries` failures in a row (failures in the
 * start period do not count while starting), with a `health_status` event on each change.
 * State changes are saved under the container's lock, so they never race a stop or a remove.
 */
export class HealthMonitor {
  private readonly monitors = new Map<string, Monitor>();

  constructor(private readonly d: HealthDeps) {}

  /**
   * The container (re)started: its health starts over as `starting`, or, when `resume` (a
   * container re-adopted after a daemon restart), keeps what it had. Returns the record to save.
   */
  initialState(rec: ContainerRecord, opts: { resume?: boolean } = {}): ContainerRecord {
    if (!probeArgs(rec.config.Healthcheck, rec.config.Shell)) return rec.state.health ? { ...rec, state: { ...rec.state, health: undefined } } : rec;
    if (opts.resume && rec.state.health) return rec;
    const prev = rec.state.health;
    return { ...rec, state: { ...rec.state, health: { Status: 'starting', FailingStreak: 0, Log: prev?.Log ?? [] } } };
  }

  /** Starts probing a running container. */
  start(rec: ContainerRecord): void {
    this.stop(rec.id);
    if (!probeArgs(rec.config.Healthcheck, rec.config.Shell)) return;
    const m: Monitor = { abort: new AbortController() };
    this.monitors.set(rec.id, m);
    this.schedule(rec.id, m);
  }

  /** Stops probing (the container stopped or is going away); a probe under way is abandoned. */
  stop(id: string): void {
    const m = this.monitors.get(id);
    if (!m) return;
    clearTimeout(m.timer);
    m.abort.abort();
    this.monitors.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.monitors.keys()]) this.stop(id);
  }

  private schedule(id: string, m: Monitor): void {
    const rec = this.d.store.get(id);
    if (!rec || this.monitors.get(id) !== m) return;
    const h = rec.config.Healthcheck ?? {};
    const interval = h.Interval || DEFAULT_INTERVAL_NS;
    const startPeriod = h.StartPeriod || 0;
    const inStartPeriod = Date.now() - Date.parse(rec.state.startedAt) < startPeriod / 1e6;
    const delayNs = inStartPeriod && rec.state.health?.Status === 'starting' ? (h.StartInterval || DEFAULT_START_INTERVAL_NS) : interval;
    m.timer = setTimeout(() => {
      void this.probe(id, m).catch((err: unknown) => this.d.logger.warn({ component: 'health', containerId: id, err }, 'health check failed to run')).finally(() => this.schedule(id, m));
    }, Math.min(delayNs / 1e6, 2 ** 31 - 1));
    m.timer.unref();
  }

  private async probe(id: string, m: Monitor): Promise<void> {
    const rec = this.d.store.get(id);
    if (!rec || rec.state.status !== 'running') return;
    const args = probeArgs(rec.config.Healthcheck, rec.config.Shell);
    if (!args) return;
    const timeoutNs = rec.config.Healthcheck?.Timeout || DEFAULT_TIMEOUT_NS;
    const start = new Date();
    m.process ??= execProcess(rec, this.d.store.paths(rec.id), { args, user: '', env: [], workingDir: '', hasTty: false, isPrivileged: false });
    const result = await this.runProbe(rec, args, m.process, timeoutNs, m.abort.signal);
    if (m.abort.signal.aborted) return;
    await this.d.store.withLock(id, async () => {
      const cur = this.d.store.get(id);
      if (!cur || cur.state.status !== 'running' || this.monitors.get(id) !== m) return;
      const prev = cur.state.health ?? { Status: 'starting' as const, FailingStreak: 0, Log: [] };
      const next = nextHealth(prev, cur, start, result);
      // Written when the status or the streak changes; a new log entry alone stays in memory
      // (a probe a second must not cost an fsync a second).
      const changed = next.Status !== prev.Status || next.FailingStreak !== prev.FailingStreak;
      const saved = await this.d.store.update(id, (c) => ({ ...c, state: { ...c.state, health: next } }), { memoryOnly: !changed });
      if (next.Status !== prev.Status) this.d.events.publish('container', `health_status: ${next.Status}`, id, this.d.attributes(saved));
    });
  }

  /** One probe: an exec of `args` with its output in a k8s-file log; -1 and Docker's words on a timeout or a failure to run. */
  private async runProbe(rec: ContainerRecord, args: string[], processSpec: Record<string, unknown>, timeoutNs: number, signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    const paths = this.d.store.paths(rec.id);
    const execId = randomBytes(32).toString('hex');
    const execDir = path.join(paths.run, 'exec', execId.slice(0, 16));
    const logPath = path.join(execDir, 'probe.log');
    const attrs = { ...this.d.attributes(rec), execID: execId };
    this.d.events.publish('container', `exec_create: ${args.join(' ')}`, rec.id, attrs);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, timeoutNs / 1e6))]);
    try {
      let started;
      try {
        started = await this.d.driver.exec({
          id: rec.id, execId, runtime: rec.runtime, execDir, logPath, hasTty: false, hasStdin: false, signal: deadline,
          process: processSpec,
        });
      } catch (err) {
        if (deadline.aborted && !signal.aborted) return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutNs)})` };
        return { exitCode: -1, output: err instanceof Error ? err.message : String(err) };
      }
      this.d.events.publish('container', `exec_start: ${args.join(' ')}`, rec.id, attrs);
      let exitCode: number;
      try {
        exitCode = (await waitExitFile(started.exitPath, { signal: deadline })).exitCode;
      } catch {
        // Timed out (or the container is going away): the probe is killed, as dockerd kills it.
        try { process.kill(started.pid, 'SIGKILL'); } catch { /* already gone */ }
        await waitExitFile(started.exitPath, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
        this.d.events.publish('container', 'exec_die', rec.id, { ...attrs, exitCode: '-1' });
        return { exitCode: -1, output: `Health check exceeded timeout (${goDuration(timeoutNs)})` };
      }
      this.d.events.publish('container', 'exec_die', rec.id, { ...attrs, exitCode: String(exitCode) });
      return { exitCode, output: await readOutput(logPath) };
    } finally {
      await fsp.rm(execDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** The health state after one probe (moby's handleProbeResult). */
function nextHealth(prev: HealthState, rec: ContainerRecord, start: Date, result: { exitCode: number; output: string }): HealthState {
  const h = rec.config.Healthcheck ?? {};
  const next: HealthState = { ...prev, Log: [...prev.Log, { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: result.exitCode, Output: result.output }].slice(-MAX_LOG_ENTRIES) };
  if (result.exitCode === 0) {
    next.FailingStreak = 0;
    next.Status = 'healthy';
  } else {
    const inStartPeriod = start.getTime() - Date.parse(rec.state.startedAt) < (h.StartPeriod || 0) / 1e6;
    if (!(prev.Status === 'starting' && inStartPeriod)) {
      next.FailingStreak = prev.FailingStreak + 1;
      if (next.FailingStreak >= (h.Retries || DEFAULT_RETRIES)) next.Status = 'unhealthy';
    }
  }
  return next;
}

/** The probe's stdout and stderr in order, cut at 4 KiB as Docker cuts it. */
async function readOutput(logPath: string): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const e of readLog(logPath)) {
    parts.push(e.line);
    size += e.line.length;
    if (size >= MAX_OUTPUT_BYTES) break;
  }
  return Buffer.concat(parts).subarray(0, MAX_OUTPUT_BYTES).toString('utf8');
}
