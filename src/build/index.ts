export { parseDockerfile, splitWords, DockerfileParseError, type Dockerfile, type Instruction } from './parser.js';
export { expandWord } from './expand.js';
export { BuildService, BuildStepError, cacheKey, splitTag, type BuildOptions, type BuildMessage, type BuildServiceDeps } from './builder.js';
export { ignoreMatcher } from './context.js';
