// The real docker CLI pointed at one daemon. Every container the bench makes carries its run's
// label, so cleanup on a reference daemon removes exactly those and nothing else there.
import { runTool, pool } from './proc.mjs';

export const DOCKER = '/usr/local/bin/docker';

/** A daemon to measure: `key` is 'berthd' or 'reference'. */
export function dockerTarget(key, host) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: host };
  // The CLI's own config (contexts, proxies) stays where the user keeps it.
  if (process.env.DOCKER_CONFIG) env.DOCKER_CONFIG = process.env.DOCKER_CONFIG;
  return { key, host, env };
}

export function docker(target, args, opts = {}) {
  return runTool(DOCKER, args, { timeoutMs: 120_000, ...opts, env: target.env });
}

/**
 * Removes the bench run's containers (those with `label`, or every one when `label` is null:
 * only for the bench's own berthd) with `docker rm -f`, ten at a time.
 */
export async function removeLabelled(target, label, { timeoutMs = 120_000 } = {}) {
  const filter = label === null ? [] : ['--filter', `label=${label}`];
  const ps = await docker(target, ['ps', '-aq', '--no-trunc', ...filter], { timeoutMs: 30_000 });
  const ids = ps.stdout.split('\n').filter(Boolean);
  await pool(ids, 10, (id) => docker(target, ['rm', '-f', id], { timeoutMs, allowFailure: true }));
  return ids.length;
}

/** `docker version` server version, or the error's first line. */
export async function serverVersion(target, signal) {
  const r = await docker(target, ['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'], { signal, allowFailure: true, timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout.trim() : `unreachable: ${r.stderr.trim().split('\n')[0]}`;
}
