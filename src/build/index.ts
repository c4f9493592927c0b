export { parseDockerfile, splitWords, DockerfileParseError, type Dockerfile, type Instruction } from './parser.js';
export { expandWord } from './expand.js';
