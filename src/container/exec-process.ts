import { readFileSync } from 'node:fs';
import path from 'node:path';
import { replaceOrAppendEnv } from '../runtime/spec/env.js';
import { resolveUser } from '../runtime/spec/user.js';
import { heldCapabilities } from './held-caps.js';
import type { ContainerRecord } from './record.js';
import { readInRoot } from './rootfs.js';
import type { ContainerPaths } from './store.js';

/** What a process run inside a running container (an exec, a health probe) asks for. */
export interface ExecProcessRequest {
  args: string[];
  /** `user[:group]`; '' runs as the container's user. */
  user: string;
  env: string[];
  workingDir: string;
  hasTty: boolean;
  isPrivileged: boolean;
}

/**
 * The OCI process of an exec: the container's own process settings from its bundle
 * (capabilities, rlimits, no-new-privileges, env) with the request's args, env, user and cwd,
 * as dockerd derives an exec's process from the container's spec.
 */
export function execProcess(rec: ContainerRecord, paths: ContainerPaths, r: ExecProcessRequest): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(path.join(paths.run, 'config.json'), 'utf8')) as { process: Record<string, unknown> };
  const base = spec.process;
  const userSpec = r.user || rec.config.User || '';
  const user = resolveUser(userSpec, readInRoot(paths.rootfs, 'etc/passwd'), readInRoot(paths.rootfs, 'etc/group'), r.user ? [] : rec.hostConfig.GroupAdd ?? []);
  const env = replaceOrAppendEnv(base.env as string[] ?? [], r.env);
  const process: Record<string, unknown> = {
    ...base,
    terminal: r.hasTty,
    args: r.args,
    env: r.hasTty && !env.some((x) => x.startsWith('TERM=')) ? [...env, 'TERM=xterm'] : env,
    cwd: r.workingDir || (base.cwd as string) || '/',
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
  };
  delete process.consoleSize;
  if (r.isPrivileged) {
    const caps = (base.capabilities as Record<string, string[]> | undefined) ?? {};
    const all = [...new Set([...(caps.bounding ?? []), ...heldCapabilities()])];
    process.capabilities = { bounding: all, effective: all, permitted: all };
  }
  return process;
}
