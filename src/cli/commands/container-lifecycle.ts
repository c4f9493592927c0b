/**
 * Container state changes (docker/cli container/start.go, stop.go, restart.go, kill.go,
 * rm.go, pause.go, unpause.go, wait.go, rename.go, update.go, prune.go): most act on
 * several containers at once, print each name that succeeded in argument order, and fail
 * with the daemon's messages joined by newlines (exit 1).
 */
import { ApiError, type ContainerInspect, type ContainerUpdateResponse } from '../../client/index.js';
import type { Command, Invocation } from '../framework/command.js';
import { StatusError } from '../framework/errors.js';
import type { FlagSpec } from '../framework/flags.js';
import { bytesFlag, cpusFlag, swapBytesFlag, uint16Flag } from '../opts/flag-values.js';
import { parseRestartPolicy } from '../opts/values.js';
import { DetachError } from '../stream/escape.js';
import type { Cli } from '../context.js';
import { CancelledError, confirm, pathName, withConfigPruneFilters } from './common.js';
import { pruneContainers, prunedText } from './prune.js';
import { ttySize } from '../stream/terminal.js';
import { attachContainer, detachKeysOf, monitorTtySize, proxySignals, resizeTty, waitContainer, waitExitOrRemoved, type AttachSession } from './container-session.js';

type Cmd = Command<Cli>;
type Inv = Invocation<Cli>;

/**
 * parallelOperation: runs `op` on each container, at most 50 at a time, and reports in
 * argument order: each success prints the name; errors are joined into one failure.
 */
export async function forEachContainer(cli: Cli, names: string[], op: (name: string) => Promise<void>, onError?: (name: string, e: unknown) => boolean): Promise<void> {
  const limit = 50;
  const results: Array<Promise<unknown>> = [];
  let running = 0;
  const queue: Array<() => void> = [];
  for (const name of names) {
    results.push((async () => {
      if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
      running++;
      try {
        await op(name);
        return undefined;
      } catch (e) {
        return e ?? new Error('unknown error');
      } finally {
        running--;
        queue.shift()?.();
      }
    })());
  }
  const errors: string[] = [];
  for (let i = 0; i < names.length; i++) {
    const err = await results[i];
    if (err === undefined) {
      await cli.out(`${names[i]}\n`);
      continue;
    }
    if (onError?.(names[i]!, err)) continue;
    errors.push((err as Error).message);
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

const containerPath = (name: string, rest = ''): string => `/containers/${pathName(name)}${rest}`;

// --- start ---------------------------------------------------------------------------------

async function inspectContainer(cli: Cli, name: string): Promise<ContainerInspect> {
  return cli.client.json<ContainerInspect>('GET', containerPath(name, '/json'), { signal: cli.signal });
}

async function runStart({ ctx, args, flags }: Inv): Promise<void> {
  const attach = flags.bool('attach');
  const interactive = flags.bool('interactive');
  if (flags.string('checkpoint')) {
    if (args.length > 1) throw new Error('you cannot restore multiple containers at once');
    await ctx.client.call('POST', containerPath(args[0]!, '/start'), {
      query: { checkpoint: flags.string('checkpoint'), 'checkpoint-dir': flags.string('checkpoint-dir') || undefined }, signal: ctx.signal,
    });
    return;
  }
  if (!attach && !interactive) {
    const failed: string[] = [];
    for (const name of args) {
      try {
        await ctx.client.call('POST', containerPath(name, '/start'), { signal: ctx.signal });
        await ctx.out(`${name}\n`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        ctx.err(`${e.message}\n`);
        failed.push(name);
      }
    }
    if (failed.length) throw new Error(`Error: failed to start containers: ${failed.join(', ')}`);
    return;
  }
  if (args.length > 1) throw new Error('you cannot start and attach multiple containers at once');
  const c = await inspectContainer(ctx, args[0]!);
  const tty = c.Config?.Tty === true;
  const stopProxy = tty ? () => {} : proxySignals(ctx, c.Id);
  const session = await attachContainer(ctx, c.Id, {
    stdin: interactive && c.Config?.OpenStdin === true, stdout: true, stderr: true, tty, detachKeys: detachKeysOf(ctx, flags.string('detach-keys')),
  });
  let stopResize = (): void => {};
  try {
    const wait = await waitExitOrRemoved(ctx, c.Id, c.HostConfig?.AutoRemove === true);
    try {
      await ctx.client.call('POST', containerPath(c.Id, '/start'), { signal: ctx.signal });
    } catch (e) {
      session.cancel();
      await session.done.catch(() => {});
      if (c.HostConfig?.AutoRemove) await wait.status;
      else wait.cancel();
      throw e;
    }
    if (tty && ctx.io.stdoutIsTerminal) stopResize = monitorTtySize(ctx, c.Id);
    try {
      await session.done;
    } catch (e) {
      wait.cancel();
      if (e instanceof DetachError) return;
      throw e;
    }
    const status = await wait.status;
    if (status !== 0) throw new StatusError(status, '');
  } finally {
    stopResize();
    stopProxy();
    session.close();
  }
}

const startCommand: Cmd = {
  use: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  aliasesText: 'berth container start, berth start',
  args: { kind: 'min', n: 1 },
  flags: [
    { name: 'attach', short: 'a', type: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'interactive', short: 'i', type: 'bool', usage: "Attach container's STDIN" },
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'checkpoint', type: 'string', usage: 'Restore from this checkpoint', hidden: true },
    { name: 'checkpoint-dir', type: 'string', usage: 'Use a custom checkpoint storage directory', hidden: true },
  ],
  run: runStart,
};

// --- attach --------------------------------------------------------------------------------

async function inspectRunning(cli: Cli, name: string): Promise<ContainerInspect> {
  const c = await inspectContainer(cli, name);
  if (!c.State?.Running) throw new Error('You cannot attach to a stopped container, start it first');
  if (c.State.Paused) throw new Error('You cannot attach to a paused container, unpause it first');
  if (c.State.Restarting) throw new Error('You cannot attach to a restarting container, wait until it is running');
  return c;
}

async function runAttach({ ctx, args, flags }: Inv): Promise<void> {
  const name = args[0]!;
  const waitRes = waitContainer(ctx, name);
  waitRes.catch(() => {});
  const c = await inspectRunning(ctx, name);
  const tty = c.Config?.Tty === true;
  const noStdin = flags.bool('no-stdin');
  if (tty && !noStdin && !ctx.io.stdinIsTerminal) throw new Error('the input device is not a TTY');
  const stopProxy = flags.bool('sig-proxy') && !tty ? proxySignals(ctx, name) : () => {};
  let stopResize = (): void => {};
  let session: AttachSession | undefined;
  try {
    session = await attachContainer(ctx, name, {
      stdin: !noStdin && c.Config?.OpenStdin === true, stdout: true, stderr: true, tty, detachKeys: detachKeysOf(ctx, flags.string('detach-keys')),
    });
    await inspectRunning(ctx, name);
    if (tty && ctx.io.stdoutIsTerminal) {
      // docker sends a size one larger first, so the process sees a SIGWINCH and redraws.
      const [h, w] = ttySize(ctx.io);
      await resizeTty(ctx, name, h + 1, w + 1).catch(() => false);
      stopResize = monitorTtySize(ctx, name);
    }
    try {
      await session.done;
    } catch (e) {
      if (e instanceof DetachError) throw new StatusError(1, e.message);
      throw e;
    }
  } finally {
    stopResize();
    stopProxy();
    session?.close();
  }
  const result = await waitRes;
  if (result.Error?.Message) throw new Error(result.Error.Message);
  if (result.StatusCode !== 0) throw new StatusError(result.StatusCode, '');
}

const attachCommand: Cmd = {
  use: 'attach [OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  aliasesText: 'berth container attach, berth attach',
  args: { kind: 'exact', n: 1 },
  flags: [
    { name: 'detach-keys', type: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', type: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', type: 'bool', usage: 'Proxy all received signals to the process', default: true },
  ],
  run: runAttach,
};

// --- stop, restart, kill -------------------------------------------------------------------

const timeoutFlags: FlagSpec[] = [
  { name: 'signal', short: 's', type: 'string', usage: 'Signal to send to the container' },
  { name: 'timeout', short: 't', type: 'int', usage: 'Seconds to wait before killing the container' },
  { name: 'time', type: 'int', usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', deprecated: 'use --timeout instead', storeAs: 'timeout' },
];

function stopQuery(flags: Inv['flags']): Record<string, string | number | undefined> {
  if (flags.changed('time') && flags.changed('timeout')) throw new Error('conflicting options: cannot specify both --timeout and --time');
  const timeout = flags.changed('timeout') || flags.changed('time') ? flags.int('timeout') : undefined;
  return { signal: flags.string('signal') || undefined, t: timeout };
}

const stopCommand: Cmd = {
  use: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  aliasesText: 'berth container stop, berth stop',
  args: { kind: 'min', n: 1 },
  flags: timeoutFlags,
  run: async ({ ctx, args, flags }) => {
    const query = stopQuery(flags);
    await forEachContainer(ctx, args, (name) => ctx.client.call('POST', containerPath(name, '/stop'), { query, signal: ctx.signal }));
  },
};

const restartCommand: Cmd = {
  use: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  aliasesText: 'berth container restart, berth restart',
  args: { kind: 'min', n: 1 },
  flags: timeoutFlags,
  run: async ({ ctx, args, flags }) => {
    const query = stopQuery(flags);
    const errors: string[] = [];
    for (const name of args) {
      try {
        await ctx.client.call('POST', containerPath(name, '/restart'), { query, signal: ctx.signal });
        await ctx.out(`${name}\n`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        errors.push(e.message);
      }
    }
    if (errors.length) throw new Error(errors.join('\n'));
  },
};

const killCommand: Cmd = {
  use: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  aliasesText: 'berth container kill, berth kill',
  args: { kind: 'min', n: 1 },
  flags: [{ name: 'signal', short: 's', type: 'string', usage: 'Signal to send to the container' }],
  run: async ({ ctx, args, flags }) => {
    const signal = flags.string('signal') || undefined;
    await forEachContainer(ctx, args, (name) => ctx.client.call('POST', containerPath(name, '/kill'), { query: { signal }, signal: ctx.signal }));
  },
};

// --- rm, pause, unpause, wait, rename --------------------------------------------------------

const removeCommand = (use: string, aliases?: string[]): Cmd => ({
  use,
  short: 'Remove one or more containers',
  aliases,
  aliasesText: 'berth container rm, berth container remove, berth rm',
  args: { kind: 'min', n: 1 },
  flags: [
    { name: 'force', short: 'f', type: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', type: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', type: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  run: async ({ ctx, args, flags }) => {
    const force = flags.bool('force');
    const query = { force: force || undefined, link: flags.bool('link') || undefined, v: flags.bool('volumes') || undefined };
    await forEachContainer(ctx, args, async (name) => {
      const id = name.replace(/^\/+|\/+$/g, '');
      if (id === '') throw new Error('container name cannot be empty');
      await ctx.client.call('DELETE', containerPath(id), { query, signal: ctx.signal });
    }, (_name, e) => {
      // With --force, a container that is already gone is reported but is no failure.
      if (!(force && e instanceof ApiError && e.isNotFound)) return false;
      ctx.err(`${e.message}\n`);
      return true;
    });
  },
});

const simpleAction = (verb: 'pause' | 'unpause', short: string): Cmd => ({
  use: `${verb} CONTAINER [CONTAINER...]`,
  short,
  aliasesText: `berth container ${verb}, berth ${verb}`,
  args: { kind: 'min', n: 1 },
  run: async ({ ctx, args }) => {
    await forEachContainer(ctx, args, (name) => ctx.client.call('POST', containerPath(name, `/${verb}`), { signal: ctx.signal }));
  },
});

const waitCommand: Cmd = {
  use: 'wait CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  aliasesText: 'berth container wait, berth wait',
  args: { kind: 'min', n: 1 },
  run: async ({ ctx, args }) => {
    const errors: string[] = [];
    for (const name of args) {
      try {
        const r = await waitContainer(ctx, name);
        await ctx.out(`${r.StatusCode}\n`);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        errors.push(e.message);
      }
    }
    if (errors.length) throw new Error(errors.join('\n'));
  },
};

const renameCommand: Cmd = {
  use: 'rename CONTAINER NEW_NAME',
  short: 'Rename a container',
  aliasesText: 'berth container rename, berth rename',
  args: { kind: 'exact', n: 2 },
  run: async ({ ctx, args }) => {
    const oldName = args[0]!.trim();
    const newName = args[1]!.trim();
    if (oldName === '' || newName === '') throw new Error('Error: Neither old nor new names may be empty');
    try {
      await ctx.client.call('POST', containerPath(oldName, '/rename'), { query: { name: newName }, signal: ctx.signal });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.err(`${e.message}\n`);
      throw new Error(`Error: failed to rename container named ${oldName}`);
    }
  },
};

// --- update --------------------------------------------------------------------------------

const UPDATE_FLAGS: FlagSpec[] = [
  uint16Flag({ name: 'blkio-weight', usage: 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)' }),
  { name: 'cpu-period', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) period' },
  { name: 'cpu-quota', type: 'int', usage: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
  { name: 'cpu-rt-period', type: 'int', usage: 'Limit the CPU real-time period in microseconds' },
  { name: 'cpu-rt-runtime', type: 'int', usage: 'Limit the CPU real-time runtime in microseconds' },
  { name: 'cpuset-cpus', type: 'string', usage: 'CPUs in which to allow execution (0-3, 0,1)' },
  { name: 'cpuset-mems', type: 'string', usage: 'MEMs in which to allow execution (0-3, 0,1)' },
  { name: 'cpu-shares', short: 'c', type: 'int', usage: 'CPU shares (relative weight)' },
  bytesFlag({ name: 'memory', short: 'm', usage: 'Memory limit' }),
  bytesFlag({ name: 'memory-reservation', usage: 'Memory soft limit' }),
  swapBytesFlag({ name: 'memory-swap', usage: 'Swap limit equal to memory plus swap: -1 to enable unlimited swap' }),
  bytesFlag({ name: 'kernel-memory', usage: 'Kernel memory limit (deprecated)', hidden: true }),
  { name: 'restart', type: 'string', usage: 'Restart policy to apply when a container exits' },
  { name: 'pids-limit', type: 'int', usage: 'Tune container pids limit (set -1 for unlimited)' },
  cpusFlag({ name: 'cpus', usage: 'Number of CPUs' }),
];

async function runUpdate({ ctx, args, flags }: Inv): Promise<void> {
  if (flags.count === 0) throw new Error('you must provide one or more flags when using this command');
  const restart = flags.string('restart') ? parseRestartPolicy(flags.string('restart')) : {};
  const pids = flags.int('pids-limit');
  // docker's UpdateConfig: Resources (all fields, zero meaning "unchanged") and RestartPolicy.
  const body = {
    CpuShares: flags.int('cpu-shares'), Memory: flags.value<number>('memory'), NanoCpus: flags.value<number>('cpus'), CgroupParent: '',
    BlkioWeight: flags.value<number>('blkio-weight'), BlkioWeightDevice: null, BlkioDeviceReadBps: null, BlkioDeviceWriteBps: null,
    BlkioDeviceReadIOps: null, BlkioDeviceWriteIOps: null, CpuPeriod: flags.int('cpu-period'), CpuQuota: flags.int('cpu-quota'),
    CpuRealtimePeriod: flags.int('cpu-rt-period'), CpuRealtimeRuntime: flags.int('cpu-rt-runtime'), CpusetCpus: flags.string('cpuset-cpus'),
    CpusetMems: flags.string('cpuset-mems'), Devices: null, DeviceCgroupRules: null, DeviceRequests: null,
    KernelMemory: flags.value<number>('kernel-memory') || undefined, MemoryReservation: flags.value<number>('memory-reservation'),
    MemorySwap: flags.value<number>('memory-swap'), MemorySwappiness: null, OomKillDisable: null, PidsLimit: pids !== 0 ? pids : null,
    Ulimits: null, CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0,
    RestartPolicy: { Name: restart.Name ?? '', MaximumRetryCount: restart.MaximumRetryCount ?? 0 },
  };
  const warnings: string[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      const r = await ctx.client.json<ContainerUpdateResponse>('POST', containerPath(name, '/update'), { json: body, signal: ctx.signal });
      await ctx.out(`${name}\n`);
      warnings.push(...(r?.Warnings ?? []));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      errors.push(e.message);
    }
  }
  if (warnings.length) await ctx.out(`${warnings.join('\n')}\n`);
  if (errors.length) throw new Error(errors.join('\n'));
}

const updateCommand: Cmd = {
  use: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  aliasesText: 'berth container update, berth update',
  args: { kind: 'min', n: 1 },
  flags: UPDATE_FLAGS,
  run: runUpdate,
};

// --- prune ---------------------------------------------------------------------------------

const PRUNE_WARNING = 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue?';

const pruneCommand: Cmd = {
  use: 'prune [OPTIONS]',
  short: 'Remove all stopped containers',
  args: { kind: 'none' },
  flags: [
    { name: 'filter', type: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', type: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  run: async ({ ctx, flags }) => {
    const filters = withConfigPruneFilters(ctx, flags.filters('filter').clone());
    if (!flags.bool('force') && !(await confirm(ctx, PRUNE_WARNING))) throw new CancelledError('container prune has been cancelled');
    await ctx.out(prunedText(await pruneContainers(ctx, filters)));
  },
};

export const lifecycleCommands = {
  attachCommand, killCommand, pauseCommand: simpleAction('pause', 'Pause all processes within one or more containers'),
  pruneCommand, removeCommand, renameCommand, restartCommand, startCommand, stopCommand,
  unpauseCommand: simpleAction('unpause', 'Unpause all processes within one or more containers'), updateCommand, waitCommand,
};
