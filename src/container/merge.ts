import type { ContainerConfigJson } from '../image/index.js';
import type { ContainerConfig } from '../types/container.js';

/**
 * Docker's merge of an image's config into a create request (moby daemon/commit.go `merge`):
 * the request wins; Env is merged by key; Labels, ExposedPorts and Volumes are unions.
 * Entrypoint and Cmd are runtime/spec's `resolveCommand`.
 */
export function mergeImageConfig(user: ContainerConfig, image: ContainerConfigJson): ContainerConfig {
  const c: ContainerConfig = { ...user };
  if (!c.User) c.User = image.User ?? '';
  if (image.ExposedPorts) c.ExposedPorts = { ...image.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  if (!c.Env || c.Env.length === 0) c.Env = [...(image.Env ?? [])];
  else {
    const keys = new Set(c.Env.map((e) => e.split('=')[0]));
    c.Env = [...c.Env, ...(image.Env ?? []).filter((e) => !keys.has(e.split('=')[0]))];
  }
  if (image.Labels) c.Labels = { ...image.Labels, ...(c.Labels ?? {}) };
  if (!c.WorkingDir) c.WorkingDir = image.WorkingDir ?? '';
  if (image.Volumes) c.Volumes = { ...image.Volumes, ...(c.Volumes ?? {}) };
  if (!c.StopSignal && image.StopSignal) c.StopSignal = image.StopSignal;
  if (!c.Healthcheck && image.Healthcheck) c.Healthcheck = image.Healthcheck;
  else if (c.Healthcheck && image.Healthcheck) {
    const h = { ...c.Healthcheck };
    if (!h.Test || h.Test.length === 0) h.Test = image.Healthcheck.Test;
    for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) {
      if (!h[k] && image.Healthcheck[k]) h[k] = image.Healthcheck[k];
    }
    c.Healthcheck = h;
  }
  if (!c.OnBuild && image.OnBuild) c.OnBuild = image.OnBuild;
  if (!c.Shell && image.Shell) c.Shell = image.Shell;
  return c;
}
