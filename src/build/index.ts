export { parseDockerfile, splitWords, DockerfileParseError, type Dockerfile, type Instruction } from './parser.js';
export { expandWord } from './expand.js';
export { BuildService, BuildStepError, cacheKey, splitTag, type BuildOptions, type BuildHostConfig, type BuildMessage, type BuildServiceDeps } from './builder.js';
export { BuildCache, BUILD_PRUNE_FILTERS, type BuildCacheEntry, type BuildCacheDeps } from './cache.js';
export { ignoreMatcher } from './context.js';
