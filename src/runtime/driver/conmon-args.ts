import { InvalidArgumentError } from '../../errors/index.js';
import type { RuntimeOptions } from './types.js';

/** Everything conmon's command line says, for a container or for an exec session. */
export interface ConmonArgsInput {
  /** The container id: the runtime's name for it, and the exit file's name. */
  id: string;
  /** The session id: equal to `id` for a container, the exec id for an exec. */
  cuuid: string;
  runtime: RuntimeOptions;
  bundleDir: string;
  containerPidFile: string;
  conmonPidFile: string;
  runtimeLogPath: string;
  /** k8s-file log; none when undefined. */
  logPath?: string;
  logSizeMax?: number;
  exitDir?: string;
  persistDir?: string;
  hasTty: boolean;
  hasStdin: boolean;
  leaveStdinOpen: boolean;
  exec?: { processSpecPath: string; hasAttach: boolean };
}

/**
 * conmon's argv, as Podman's `sharedConmonArgs` builds it, minus what berth does itself
 * (no `--exit-command`: berthd watches the exit dir; no `--syslog`: conmon's own messages
 * reach berthd through the sync pipe).
 */
export function conmonArgs(o: ConmonArgsInput): string[] {
  const args = [
    // A flag in conmon 2.1 (GOptionEntry of type NONE): it switches the sync pipe to
    // `{"data": …}` messages and makes exec report the pid before the exit code.
    '--api-version',
    '--cid', o.id,
    '--cuuid', o.cuuid,
    '--runtime', o.runtime.path,
    '--bundle', o.bundleDir,
    '--container-pidfile', o.containerPidFile,
    '--conmon-pidfile', o.conmonPidFile,
    '--log-path', logSpec(o.logPath),
    // The attach socket and ctl FIFO stay in the bundle dir, found from it alone (live
    // restore needs no other record); attach() copes with paths over 108 bytes.
    '--full-attach',
  ];
  if (o.logSizeMax !== undefined && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.exitDir !== undefined) args.push('--exit-dir', o.exitDir);
  if (o.persistDir !== undefined) args.push('--persist-dir', o.persistDir);
  if (o.hasTty) args.push('--terminal');
  if (o.hasStdin) args.push('--stdin');
  if (o.hasStdin && o.leaveStdinOpen) args.push('--leave-stdin-open');
  for (const arg of runtimeGlobalArgs(o.runtime, o.runtimeLogPath)) args.push('--runtime-arg', arg);
  if (o.exec) {
    args.push('--exec', '--exec-process-spec', o.exec.processSpecPath);
    if (o.exec.hasAttach) args.push('--exec-attach');
  }
  return args;
}

/**
 * The runtime's global flags for the create/exec conmon runs: berth's `--root`, and a JSON
 * log whose last error is the message users see (conmon's sync message carries only the
 * first 8 KiB of the runtime's stderr).
 */
function runtimeGlobalArgs(rt: RuntimeOptions, runtimeLogPath: string): string[] {
  return [...rt.runtimeArgs, `--root=${rt.root}`, '--log-format=json', `--log=${runtimeLogPath}`];
}

function logSpec(logPath: string | undefined): string {
  if (logPath === undefined) return 'none';
  // conmon splits `driver:path` with strtok(':'): a colon in the path would cut it short.
  if (logPath.includes(':')) throw new InvalidArgumentError(`log path must not contain ':': ${logPath}`);
  return `k8s-file:${logPath}`;
}
