/**
 * `compose up`: networks, volumes, images, containers converged, started in dependency
 * order; then either detached (optionally --wait for running/healthy) or attached: every
 * container's output prefixed until all stop, Ctrl-C (the signal) stops the project,
 * --abort-on-container-exit stops it when the first container exits.
 */
import type { Project } from '../model/types.js';
import { Converger, type RecreatePolicy } from './converge.js';
import { dependencyOrder, nameOf, withDependencies, ComposeEngine, ComposeError } from './engine.js';
import { ensureImages } from './images.js';
import { LABEL } from './labels.js';
import { attachOutput, LogPrinter } from './log-printer.js';
import { ensureNetworks, ensureVolumes, usedNetworks, usedVolumes } from './resources.js';
import { removeContainers, stopContainers, stopOrder } from './ops.js';

export interface UpOptions {
  services: string[];
  detach: boolean;
  build?: boolean;
  noBuild?: boolean;
  pull?: string;
  recreate: RecreatePolicy;
  noDeps?: boolean;
  removeOrphans?: boolean;
  wait?: boolean;
  waitTimeoutS?: number;
  abortOnContainerExit?: boolean;
  exitCodeFrom?: string;
  timeoutS?: number;
  noStart?: boolean;
  noColor?: boolean;
  noLogPrefix?: boolean;
  /** Services whose output is shown (--attach); default all. */
  attach?: string[];
}

async function orphans(engine: ComposeEngine, project: Project, remove: boolean, timeoutS?: number): Promise<void> {
  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices)]);
  const list = (await engine.containers(project.name, { all: true, oneoff: false })).filter((c) => !known.has(c.Labels?.[LABEL.service] ?? ''));
  if (list.length === 0) return;
  if (remove) {
    await stopContainers(engine, list, timeoutS);
    await removeContainers(engine, list);
    return;
  }
  engine.output.err(`WARN[0000] Found orphan containers ([${list.map(nameOf).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`);
}

/** Returns the exit code `up` ends with. */
export async function up(engine: ComposeEngine, project: Project, o: UpOptions): Promise<number> {
  if (o.exitCodeFrom && !project.services[o.exitCodeFrom]) throw new ComposeError(`no such service: ${o.exitCodeFrom}`);
  const names = withDependencies(project, o.services, o.noDeps === true);
  const order = dependencyOrder(project, names).filter((s) => names.includes(s.name));
  await ensureNetworks(engine, project, usedNetworks(project, names));
  await ensureVolumes(engine, project, usedVolumes(project, names));
  await ensureImages(engine, project, order, { build: o.build, noBuild: o.noBuild, pull: o.pull });
  await orphans(engine, project, o.removeOrphans === true, o.timeoutS);
  const converger = new Converger(engine, project);
  const ids = new Map<string, string[]>();
  for (const s of order) ids.set(s.name, await converger.converge(s, o.recreate, o.timeoutS));
  if (o.noStart) return 0;

  const attached = !o.detach;
  const printer = new LogPrinter((t) => engine.output.out(t), engine.output.isTerminal && !o.noColor);
  const streams: Array<{ name: string; id: string; service: string; done: () => Promise<void> }> = [];
  if (attached) {
    const shown = o.attach && o.attach.length > 0 ? new Set(o.attach) : undefined;
    const targets: Array<{ id: string; service: string; name: string; tty: boolean }> = [];
    for (const s of order) {
      if (shown && !shown.has(s.name)) continue;
      for (const id of ids.get(s.name) ?? []) {
        const c = await engine.inspect<{ Name: string; Config: { Tty?: boolean } }>(id);
        const full = c.Name.replace(/^\//, '');
        const short = full.startsWith(`${project.name}-`) ? full.slice(project.name.length + 1) : full;
        targets.push({ id, service: s.name, name: short, tty: c.Config.Tty === true });
        printer.add(short);
      }
    }
    await engine.output.out(`Attaching to ${targets.map((t) => t.name).join(', ')}\n`);
    for (const t of targets) {
      const sink = o.noLogPrefix ? undefined : printer.sink(t.name);
      const done = await attachOutput(engine.client, t.id, t.tty, sink ?? printer.sink(t.name));
      streams.push({ name: t.name, id: t.id, service: t.service, done });
    }
  }
  try {
    for (const s of order) {
      await converger.waitDependencies(s, engine.signal);
      for (const id of ids.get(s.name) ?? []) await converger.start(id);
    }
    // restart: true dependents stopped for a recreated dependency but not part of this up.
    const others = [...converger.stoppedDependents.keys()].filter((n) => !names.includes(n));
    for (const s of dependencyOrder(project, others).filter((x) => others.includes(x.name))) {
      await converger.waitDependencies(s, engine.signal);
      for (const id of converger.stoppedDependents.get(s.name) ?? []) await converger.start(id);
    }
  } catch (e) {
    // Ctrl-C while attached stops what was started, even before everything was.
    if (!attached || !engine.signal?.aborted) throw e;
    engine.output.err('Gracefully stopping... (press Ctrl+C again to force)\n');
    await stopProject(engine, project, o.timeoutS);
    return 130;
  }
  if (!attached) {
    if (o.wait) {
      const deadline = o.waitTimeoutS ? AbortSignal.timeout(o.waitTimeoutS * 1000) : undefined;
      const signal = deadline && engine.signal ? AbortSignal.any([deadline, engine.signal]) : deadline ?? engine.signal;
      for (const s of order) {
        for (const id of ids.get(s.name) ?? []) {
          try {
            await converger.waitCondition(s.name, id, 'running_or_healthy', signal);
          } catch (e) {
            if (deadline?.aborted) throw new ComposeError(`timeout waiting for ${s.name} to be running or healthy`);
            throw e;
          }
        }
      }
    }
    return 0;
  }
  return watch(engine, project, streams, printer, o);
}

async function watch(engine: ComposeEngine, project: Project, streams: Array<{ name: string; id: string; service: string; done: () => Promise<void> }>, printer: LogPrinter, o: UpOptions): Promise<number> {
  let exitCode = 0;
  let aborted: { name: string; code: number } | undefined;
  let abort = (): void => {};
  const firstExit = new Promise<void>((resolve) => { abort = resolve; });
  // A dependency run to completion (service_completed_successfully) exiting 0 is expected, not a reason to abort.
  const completers = new Set(Object.values(project.services).flatMap((s) => Object.entries(s.depends_on).filter(([, d]) => d.condition === 'service_completed_successfully').map(([n]) => n)));
  const ended = streams.map(async (st) => {
    await st.done();
    // The stream ends as the process does; wait answers once the engine has recorded the exit code.
    const code = await exitCodeOf(engine, st.id);
    await printer.event(st.name, `${st.name} exited with code ${code}`);
    if (o.exitCodeFrom === st.service) exitCode = code;
    const expected = completers.has(st.service) && code === 0;
    if (o.abortOnContainerExit && !aborted && !expected) {
      aborted = { name: st.name, code };
      abort();
    }
  });
  const stopAll = (): Promise<void> => stopProject(engine, project, o.timeoutS);
  const interrupted = new Promise<'signal'>((resolve) => {
    if (engine.signal?.aborted) resolve('signal');
    engine.signal?.addEventListener('abort', () => resolve('signal'), { once: true });
  });
  const all = Promise.all(ended);
  const outcome = await Promise.race([all.then(() => 'all' as const), interrupted, firstExit.then(() => 'first' as const)]);
  if (outcome === 'signal') {
    engine.output.err('Gracefully stopping... (press Ctrl+C again to force)\n');
    await stopAll();
    await all.catch(() => undefined);
    return 130;
  }
  if (outcome === 'first') {
    engine.output.err('Aborting on container exit...\n');
    await stopAll();
    await all;
    if (o.exitCodeFrom) {
      const from = streams.find((st) => st.service === o.exitCodeFrom);
      return from ? exitCodeOf(engine, from.id) : exitCode;
    }
    return aborted?.code ?? 0;
  }
  return o.exitCodeFrom ? exitCode : 0;
}

/** Stops the project's running containers, dependants first, on a client not tied to the interrupted signal. */
async function stopProject(engine: ComposeEngine, project: Project, timeoutS?: number): Promise<void> {
  const calm = new ComposeEngine(engine.client, engine.output);
  const list = await calm.containers(project.name, { all: false, oneoff: false });
  await stopContainers(calm, stopOrder(project, list), timeoutS);
}

/** POST /containers/{id}/wait (not-running): the exit code once the engine has it. */
async function exitCodeOf(engine: ComposeEngine, id: string): Promise<number> {
  const r = await engine.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, { query: { condition: 'not-running' } }).catch(() => undefined);
  return r?.StatusCode ?? 0;
}
