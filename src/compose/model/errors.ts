import { InvalidArgumentError } from '../../errors/index.js';

/**
 * A compose file that cannot be loaded: not found, not YAML, against the schema, an undefined
 * required variable, an unknown service... Raised before anything is created; the message is
 * Docker Compose's where it has one (the CLI prints it as is and exits 1, as Compose does).
 */
export class ComposeConfigError extends InvalidArgumentError {}
