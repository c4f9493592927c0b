export { exec, ExecError, type ExecOptions, type ExecResult } from './exec.js';
export { waitFor } from './wait-for.js';
export { mapLimit } from './map-limit.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { parseFilters, checkFilterNames, matchLabels, boolFilter, globMatch, FilterError, type Filters } from './filters.js';
export { humanDuration } from './units.js';
export { diskUsage, duBytes } from './du.js';
export { handleUnexpectedErrors, type ProcessEvents } from './unexpected-errors.js';
export { goQuote, parseGoBool, parseGoInt } from './go-strconv.js';
export { formatGoDuration, parseGoDuration } from './go-duration.js';
export { parseUlimit } from './ulimit.js';
export {
  DEFAULT_DOMAIN, familiarName, familiarString, fullName, isDigest, parseDigest, parseNormalizedNamed, parseTag, toString,
  withDefaultTag, type Digest, type Reference,
} from './reference.js';
export { setSpawner, spawnChild, type Child, type ChildExit, type SpawnRequest, type Spawner, type StdioSpec } from './child.js';
export { ignoreMatcher } from './dockerignore.js';
