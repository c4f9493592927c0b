/**
 * Exit codes in one place, as docker's main does: a StatusError carries its own code
 * (125 for flag errors, 64 for a bad --format of inspect/version, 125 later for `run`'s
 * daemon errors), an interrupted command exits 128+signal, anything else exits 1 after
 * its message is printed.
 */

export class StatusError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = 'StatusError';
  }
}

/** The command was interrupted by a signal; nothing is printed. */
export class SignalExit extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super('');
    this.name = 'SignalExit';
  }
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGTERM: 15 };

export function exitCodeOf(err: unknown): number {
  if (err instanceof StatusError && err.code !== 0) return err.code;
  if (err instanceof SignalExit) return 128 + (SIGNAL_NUMBERS[err.signal] ?? 0);
  return 1;
}

/** What docker prints for an error: its message, or nothing when the message is empty. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** run/create's withHelp: "berth: <message>" and a pointer to the command's help. */
export function withHelp(message: string, command: string): string {
  return `berth: ${message}\n\nRun 'berth ${command} --help' for more information`;
}

/**
 * run's toStatusError: a failure that may come from the container's process gets the exit
 * code a shell would give it — 127 when the executable was not found, 126 when it could not
 * be run — and any other daemon failure 125.
 */
export function runStatusError(err: unknown, command = 'run'): StatusError {
  const message = errorText(err);
  let code = 125;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message)) code = 127;
  else if (/permission denied|is a directory/.test(message)) code = 126;
  return new StatusError(code, withHelp(message, command));
}
