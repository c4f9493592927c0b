import { DEFAULT_PATH_ENV } from './defaults.js';

/**
 * `overrides` applied onto `defaults` by key (moby container/env.go `ReplaceOrAppendEnvValues`):
 * a `KEY=value` replaces the default of that key or is appended; a bare `KEY` removes the
 * default (and is otherwise dropped). Keys not among the defaults are appended as given, so
 * a repeated key appears twice, as in Docker.
 */
export function replaceOrAppendEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const out: (string | null)[] = [...defaults];
  const index = new Map<string, number>();
  defaults.forEach((e, i) => index.set(e.slice(0, e.indexOf('=')), i));
  for (const value of overrides) {
    const eq = value.indexOf('=');
    if (eq < 0) {
      const i = index.get(value);
      if (i !== undefined) out[i] = null;
      continue;
    }
    const i = index.get(value.slice(0, eq));
    if (i !== undefined) out[i] = value;
    else out.push(value);
  }
  return out.filter((e): e is string => e !== null && e !== '');
}

/**
 * The container's environment (moby `Container.CreateDaemonEnvironment`): PATH, HOSTNAME and,
 * with a TTY, TERM=xterm, then legacy `--link` variables, then the merged config's Env on top.
 */
export function containerEnv(opts: { hostname: string; hasTty: boolean; env: readonly string[]; linkedEnv?: readonly string[] }): string[] {
  const defaults = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${opts.hostname}`];
  if (opts.hasTty) defaults.push('TERM=xterm');
  defaults.push(...(opts.linkedEnv ?? []));
  return replaceOrAppendEnv(defaults, opts.env);
}
