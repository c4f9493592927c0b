/**
 * up's core (compose's convergence.go): for each service, compare the containers the engine
 * has (by labels) with what the model asks: create the missing numbers, remove the surplus
 * (highest numbers first), recreate those whose config-hash or image changed (or all with
 * --force-recreate; none with --no-recreate), carrying anonymous volumes over; then start
 * in dependency order, each service after its dependencies met their condition.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerSummary } from '../../client/index.js';
import type { Project, ServiceConfig } from '../model/types.js';
import { createBody, endpointConfig, serviceNetworks, type CreateContext } from './create-body.js';
import { ComposeError, nameOf, type ComposeEngine } from './engine.js';
import type { DependsOn } from '../model/types.js';
import { configHash, containerName, LABEL, oneoffName } from './labels.js';

export type RecreatePolicy = 'diverged' | 'force' | 'never';

interface InspectMount { Type?: string; Name?: string; Destination?: string }
interface Inspect {
  Id: string;
  Name: string;
  State: { Status: string; Running: boolean; ExitCode: number; Health?: { Status: string } | null };
  Mounts?: InspectMount[] | null;
  Config: { Labels?: Record<string, string> | null; Tty?: boolean };
}

/** The anonymous volumes of a container (volume mounts whose name is a 64-hex ID), by target. */
function anonymousVolumes(c: Inspect, service: ServiceConfig): Record<string, string> {
  const named = new Set(service.volumes.filter((v) => v.type === 'volume' && v.source).map((v) => v.target));
  const out: Record<string, string> = {};
  for (const m of c.Mounts ?? []) {
    if (m.Type === 'volume' && m.Name && m.Destination && /^[0-9a-f]{64}$/.test(m.Name) && !named.has(m.Destination)) out[m.Destination] = m.Name;
  }
  return out;
}

export class Converger {
  /** Containers of `restart: true` dependents stopped because their dependency was recreated, by service. */
  readonly stoppedDependents = new Map<string, string[]>();

  constructor(private readonly engine: ComposeEngine, private readonly project: Project) {}

  /**
   * Before a service's container is recreated, the running containers of the services that
   * depend on it with `restart: true` are stopped (compose's stopDependentContainers), so
   * that they start again after it, in up's start phase.
   */
  private async stopDependents(s: ServiceConfig, timeoutS?: number): Promise<void> {
    const dependents = Object.values(this.project.services).filter((d) => d.depends_on[s.name]?.restart).map((d) => d.name);
    if (dependents.length === 0) return;
    const list = await this.engine.containers(this.project.name, { services: dependents, oneoff: false, all: false });
    for (const c of list) {
      if (c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting') continue;
      this.engine.output.progress('Container', nameOf(c), 'Stopping');
      await this.engine.client.call('POST', `/containers/${c.Id}/stop`, { query: { t: timeoutS }, signal: this.engine.signal });
      this.engine.output.progress('Container', nameOf(c), 'Stopped');
      const service = c.Labels?.[LABEL.service] ?? '';
      this.stoppedDependents.set(service, [...(this.stoppedDependents.get(service) ?? []), c.Id]);
    }
  }

  private async networkModeContainer(s: ServiceConfig): Promise<string | undefined> {
    const mode = s.network_mode;
    if (!mode?.startsWith('service:')) return undefined;
    const target = mode.slice('service:'.length);
    const list = await this.engine.containers(this.project.name, { services: [target], oneoff: false, all: true });
    if (list.length === 0) throw new ComposeError(`service "${s.name}" depends on service "${target}" for network_mode, which has no container`);
    return list[0]!.Id;
  }

  /** Creates one container (and connects its other networks); returns its ID. */
  async create(s: ServiceConfig, number: number, extra: Partial<CreateContext> = {}): Promise<string> {
    const ref = createBody({ project: this.project, service: s, number, name: '' }).Image as string;
    const name = extra.name ?? (extra.oneoff ? oneoffName(this.project.name, s.name, randomBytes(6).toString('hex')) : containerName(this.project.name, s, number));
    const ctx: CreateContext = {
      project: this.project, service: s, number, name, imageId: await this.engine.imageId(ref),
      networkModeContainer: await this.networkModeContainer(s), ...extra,
    };
    const body = createBody(ctx);
    this.engine.output.progress('Container', name, 'Creating');
    const created = await this.engine.client.json<{ Id: string }>('POST', '/containers/create', { query: { name }, json: body, signal: this.engine.signal });
    const nets = s.network_mode ? [] : serviceNetworks(s);
    for (const key of nets.slice(1)) {
      await this.engine.client.call('POST', `/networks/${encodeURIComponent(this.project.networks[key]?.name ?? key)}/connect`, {
        json: { Container: created.Id, EndpointConfig: endpointConfig(ctx, key) }, signal: this.engine.signal,
      });
    }
    this.engine.output.progress('Container', name, 'Created');
    return created.Id;
  }

  private async remove(c: ContainerSummary, timeoutS?: number): Promise<void> {
    const name = nameOf(c);
    if (c.State === 'running' || c.State === 'restarting' || c.State === 'paused') {
      this.engine.output.progress('Container', name, 'Stopping');
      await this.engine.client.call('POST', `/containers/${c.Id}/stop`, { query: { t: timeoutS }, signal: this.engine.signal });
      this.engine.output.progress('Container', name, 'Stopped');
    }
    this.engine.output.progress('Container', name, 'Removing');
    await this.engine.client.call('DELETE', `/containers/${c.Id}`, { query: { force: true }, signal: this.engine.signal });
    this.engine.output.progress('Container', name, 'Removed');
  }

  /** Recreate: stop and remove the old one, create the new one with its anonymous volumes. */
  private async recreate(s: ServiceConfig, c: ContainerSummary, timeoutS?: number): Promise<string> {
    const old = await this.engine.inspect<Inspect>(c.Id);
    const inherited = anonymousVolumes(old, s);
    const number = Number(c.Labels?.[LABEL.number] ?? 1);
    this.engine.output.progress('Container', nameOf(c), 'Recreate');
    if (old.State.Running) await this.engine.client.call('POST', `/containers/${c.Id}/stop`, { query: { t: timeoutS }, signal: this.engine.signal });
    await this.engine.client.call('DELETE', `/containers/${c.Id}`, { query: { force: true }, signal: this.engine.signal });
    const id = await this.create(s, number, { inherited });
    this.engine.output.progress('Container', nameOf(c), 'Recreated');
    return id;
  }

  /**
   * Brings a service's containers to `s.scale`: returns the IDs to start (in number order).
   */
  async converge(s: ServiceConfig, policy: RecreatePolicy, timeoutS?: number): Promise<string[]> {
    const existing = await this.engine.containers(this.project.name, { services: [s.name], oneoff: false, all: true });
    const hash = configHash(s);
    const ids: string[] = [];
    const imageId = await this.engine.imageId(createBody({ project: this.project, service: s, number: 1, name: '' }).Image as string);
    const byNumber = [...existing].sort((a, b) => Number(a.Labels?.[LABEL.number] ?? 0) - Number(b.Labels?.[LABEL.number] ?? 0));
    for (const c of byNumber.slice(s.scale).reverse()) await this.remove(c, timeoutS);
    const kept = byNumber.slice(0, s.scale);
    let dependentsStopped = false;
    for (const c of kept) {
      const diverged = c.Labels?.[LABEL.configHash] !== hash || (imageId !== undefined && c.Labels?.[LABEL.image] !== undefined && c.Labels[LABEL.image] !== imageId);
      if (policy === 'force' || (policy === 'diverged' && diverged)) {
        if (!dependentsStopped) await this.stopDependents(s, timeoutS);
        dependentsStopped = true;
        ids.push(await this.recreate(s, c, timeoutS));
      }
      else {
        if (c.State !== 'running') this.engine.output.progress('Container', nameOf(c), 'Created');
        else this.engine.output.progress('Container', nameOf(c), 'Running');
        ids.push(c.Id);
      }
    }
    const used = new Set(kept.map((c) => Number(c.Labels?.[LABEL.number] ?? 0)));
    let next = 1;
    while (ids.length < s.scale) {
      while (used.has(next)) next++;
      used.add(next);
      ids.push(await this.create(s, next));
    }
    return ids;
  }

  /**
   * Waits for a dependency's condition (compose's waitDependencies) before a service starts;
   * `only` limits it to some of the dependencies (restart waits on the restarted ones).
   */
  async waitDependencies(s: ServiceConfig, signal?: AbortSignal, only?: (dep: string, d: DependsOn) => boolean): Promise<void> {
    for (const [dep, d] of Object.entries(s.depends_on)) {
      if (only && !only(dep, d)) continue;
      if (!this.project.services[dep]) {
        if (d.required) throw new ComposeError(`service "${s.name}" depends on undefined service "${dep}": invalid compose project`);
        continue;
      }
      if (d.condition === 'service_started') continue;
      const list = await this.engine.containers(this.project.name, { services: [dep], oneoff: false, all: true });
      for (const c of list) await this.waitCondition(dep, c.Id, d.condition, signal);
    }
  }

  async waitCondition(service: string, id: string, condition: 'service_healthy' | 'service_completed_successfully' | 'running_or_healthy', signal?: AbortSignal): Promise<void> {
    const name = (await this.engine.inspect<Inspect>(id)).Name.replace(/^\//, '');
    this.engine.output.progress('Container', name, 'Waiting');
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 500)) {
      signal?.throwIfAborted();
      const c = await this.engine.inspect<Inspect>(id);
      const st = c.State;
      if (condition === 'service_completed_successfully') {
        if (st.Status === 'exited' || st.Status === 'dead') {
          if (st.ExitCode !== 0) throw new ComposeError(`service "${service}" didn't complete successfully: exit ${st.ExitCode}`);
          break;
        }
      } else {
        const health = st.Health?.Status;
        if (health === 'unhealthy') throw new ComposeError(`dependency failed to start: container ${name} is unhealthy`);
        if (condition === 'service_healthy' && !st.Health) throw new ComposeError(`container ${name} has no healthcheck configured`);
        if (st.Status === 'exited' || st.Status === 'dead') throw new ComposeError(`container ${name} exited (${st.ExitCode})`);
        if (health === 'healthy' || (condition === 'running_or_healthy' && !st.Health && st.Running)) break;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    this.engine.output.progress('Container', name, condition === 'service_completed_successfully' ? 'Exited' : 'Healthy');
  }

  async start(id: string): Promise<void> {
    const c = await this.engine.inspect<Inspect>(id);
    const name = c.Name.replace(/^\//, '');
    if (c.State.Running) return;
    this.engine.output.progress('Container', name, 'Starting');
    await this.engine.client.call('POST', `/containers/${id}/start`, { signal: this.engine.signal });
    this.engine.output.progress('Container', name, 'Started');
  }
}
