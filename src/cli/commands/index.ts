/**
 * Every command berth has, as docker groups them. A new group (container, network,
 * volume, …) is one more file here exporting its group command and any top-level
 * shortcuts, added to the lists below.
 */
import type { Command } from '../framework/command.js';
import type { Cli } from '../context.js';
import { containerGroup, containerShortcuts } from './container.js';
import { imageGroup, imageShortcuts } from './image.js';
import { inspectCommand } from './inspect.js';
import { registryShortcuts } from './registry.js';
import { systemGroup, systemShortcuts } from './system.js';
import { volumeGroup } from './volume.js';
import { networkGroup } from './network.js';
import { composeGroup, pluginMetadataCommand } from './compose.js';

export const groups: Array<Command<Cli>> = [composeGroup, containerGroup, imageGroup, networkGroup, systemGroup, volumeGroup];

export const topLevel: Array<Command<Cli>> = [...containerShortcuts, ...imageShortcuts, ...systemShortcuts, ...registryShortcuts, inspectCommand, pluginMetadataCommand];
