export { writeFileAtomic, writeJsonAtomic, readJson, sweepTemps, fsyncDir, tempNameFor } from './atomic.js';
export { storePaths, type StorePaths } from './paths.js';
export { KeyedLock } from './keyed-lock.js';
export { resolveParts, resolveWithin } from './resolve-within.js';
export { mkdirAll } from './mkdir-all.js';
