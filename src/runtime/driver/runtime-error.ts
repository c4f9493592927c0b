import { ConflictError, InternalError, NotFoundError, type EngineError } from '../../errors/index.js';

/**
 * A failure the OCI runtime reported, with its own message word for word (e.g. `runc create
 * failed: unable to start container process: exec: "nosuch": executable file not found in
 * $PATH`). Callers read the text to choose Docker's exit codes 127/126, as dockerd does.
 */
export class OciRuntimeError extends InternalError {
  constructor(readonly runtime: string, readonly runtimeMessage: string, options?: ErrorOptions) {
    super(runtimeMessage, options);
  }
}

/**
 * The message of the last `error` entry in the runtime's JSON log text (`--log-format json`:
 * one object a line, `{"level":"error","msg":…}`); undefined when there is none.
 */
export function lastJsonError(text: string): string | undefined {
  let found: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if (entry.level === 'error' && typeof entry.msg === 'string') found = entry.msg;
    } catch {
      // A line cut short (the runtime was killed mid-write) says nothing usable; the lines
      // around it may, so reading goes on.
    }
  }
  return found;
}

/**
 * Classifies a runtime CLI failure by runc's and crun's wording, the only signal they give:
 * no such container → NotFound; wrong state for the command → Conflict; anything else is the
 * runtime's own error.
 */
export function classifyRuntimeFailure(runtime: string, message: string, cause?: unknown): EngineError {
  const text = message.toLowerCase();
  if (text.includes('does not exist') || text.includes('container not found')) {
    return new NotFoundError(message, { cause });
  }
  if (/not running|not paused|is paused|already (exists|paused|stopped)|process already finished|cannot (start|pause|resume)/.test(text)) {
    return new ConflictError(message, { cause });
  }
  return new OciRuntimeError(runtime, message, { cause });
}
