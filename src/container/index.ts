export { ContainerService, type ContainerServiceDeps } from './service.js';
export { ContainerStore } from './store.js';
export { parseDetachKeys, frame, readsFramesAsBytes } from './stdio.js';
export type { ContainerRecord } from './record.js';
export { validateLogConfig } from './log-config.js';
export type { PathStat, CopyMount } from './archive.js';
