import { InvalidArgumentError } from '../../errors/index.js';

export interface CommandConfig {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
}

export interface ResolvedCommand {
  /** The merged Entrypoint and Cmd, as `docker inspect` shows them in Config. */
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** The process: `path` is argv[0] (inspect's Path), `args` the rest (inspect's Args). */
  path: string;
  args: string[];
}

/**
 * The command a container runs, from its image's config and the create request, by Docker's
 * rules (moby daemon/commit.go `merge`, create.go `mergeAndVerifyConfig`, container.go
 * `getEntrypointAndArgs`):
 * - no Entrypoint in the request: an empty request Cmd takes the image's Cmd, and the image's
 *   Entrypoint applies (`docker run img args` replaces only CMD);
 * - an Entrypoint in the request (`--entrypoint x`) drops the image's Cmd: only the request's
 *   Cmd follows it; `[""]` (`--entrypoint ""`) clears the entrypoint the same way;
 * - nothing left to run is an error.
 * Shell-form instructions were already expanded into arrays when the image was built.
 */
export function resolveCommand(image: CommandConfig | null | undefined, request: CommandConfig): ResolvedCommand {
  let entrypoint = request.Entrypoint ?? null;
  let cmd = request.Cmd ?? null;
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) cmd = image?.Cmd ?? null;
    // An explicit empty list is "given" too: only a missing Entrypoint inherits the image's.
    if (request.Entrypoint === undefined || request.Entrypoint === null) entrypoint = image?.Entrypoint ?? null;
  }
  if (entrypoint?.length === 1 && entrypoint[0] === '') entrypoint = null;
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if ((entrypoint?.length ?? 0) === 0 && (cmd?.length ?? 0) === 0) {
    // Docker 28's text (older daemons said "No command specified").
    throw new InvalidArgumentError('no command specified');
  }
  return { entrypoint, cmd, path: argv[0]!, args: argv.slice(1) };
}
