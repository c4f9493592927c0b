/**
 * The container group: `berth container run|create|start|stop|ps|logs|…` and the top-level
 * shortcuts docker keeps for each (run, ps, start, stop, rm, logs, …). The commands live in
 * container-run.ts, container-lifecycle.ts, container-info.ts, container-ps.ts and container-stats.ts.
 */
import type { Command } from '../framework/command.js';
import type { Cli } from '../context.js';
import { infoCommands } from './container-info.js';
import { psShortcut } from './container-ps.js';
import { lifecycleCommands } from './container-lifecycle.js';
import { createCommand, runCommand } from './container-run.js';
import { statsCommand } from './container-stats.js';
import { cpCommand } from './container-cp.js';
import { execCommand } from './container-exec.js';

type Cmd = Command<Cli>;

const l = lifecycleCommands;
const i = infoCommands;

export const containerGroup: Cmd = {
  use: 'container',
  short: 'Manage containers',
  subcommands: [
    l.attachCommand,
    i.commitCommand,
    cpCommand,
    createCommand,
    i.diffCommand,
    execCommand,
    i.exportCommand,
    i.inspectCommand,
    l.killCommand,
    i.logsCommand,
    i.psCommand('ls [OPTIONS]', ['ps', 'list']),
    l.pauseCommand,
    l.pruneCommand,
    l.renameCommand,
    l.restartCommand,
    l.removeCommand('rm [OPTIONS] CONTAINER [CONTAINER...]', ['remove']),
    runCommand,
    l.startCommand,
    statsCommand,
    l.stopCommand,
    i.topCommand,
    l.unpauseCommand,
    l.updateCommand,
    l.waitCommand,
  ],
};

/** docker's top-level shortcuts for container commands. */
export const containerShortcuts: Cmd[] = [
  { ...runCommand, categoryTop: 1 },
  { ...execCommand, categoryTop: 2 },
  psShortcut,
  l.attachCommand,
  i.commitCommand,
  cpCommand,
  createCommand,
  i.diffCommand,
  i.exportCommand,
  l.killCommand,
  i.logsCommand,
  l.pauseCommand,
  l.renameCommand,
  l.restartCommand,
  l.removeCommand('rm [OPTIONS] CONTAINER [CONTAINER...]'),
  l.startCommand,
  statsCommand,
  l.stopCommand,
  i.topCommand,
  l.unpauseCommand,
  l.updateCommand,
  l.waitCommand,
];
