/**
 * Running a resolved Compose project against any Engine API (berthd or dockerd): the engine
 * half of `berth compose`. Everything it knows about a running project it reads back from
 * the engine by Compose's labels.
 */
export { ComposeEngine, ComposeError, dependencyOrder, nameOf, withDependencies, type ComposeOutput, type ListOptions } from './engine.js';
export { Converger, type RecreatePolicy } from './converge.js';
export { createBody, imageName, type CreateBody, type CreateContext } from './create-body.js';
export { buildService, ensureImages, pullService, pushService, type BuildOptions } from './images.js';
export { COMPOSE_VERSION, configHash, containerName, LABEL } from './labels.js';
export { LogPrinter, streamLogs } from './log-printer.js';
export { down, rm, simpleOp, stopContainers, stopOrder, type DownOptions, type SimpleOp } from './ops.js';
export { ensureNetworks, ensureVolumes, usedNetworks, usedVolumes } from './resources.js';
export { up, type UpOptions } from './up.js';
