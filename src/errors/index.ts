/**
 * The engine's error classes. Each fixes its HTTP status; `api/` turns any error into
 * `{"message": ...}` with that status in one place. Messages are Docker's where clients
 * read them (the docker CLI and docker-py match on some of them).
 */
export class EngineError extends Error {
  constructor(readonly status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(400, message, options); }
}
export class UnauthorizedError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(401, message, options); }
}
export class ForbiddenError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(403, message, options); }
}
export class NotFoundError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(404, message, options); }
}
export class ConflictError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(409, message, options); }
}
export class NotModifiedError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(304, message, options); }
}
export class NotImplementedError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(501, message, options); }
}
export class UnavailableError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(503, message, options); }
}
export class InternalError extends EngineError {
  constructor(message: string, options?: ErrorOptions) { super(500, message, options); }
}

/** The status an error stands for: its own when it is an EngineError, else 500. */
export function statusOf(err: unknown): number {
  return err instanceof EngineError ? err.status : 500;
}

/** The errno code of a Node system error (`ENOENT`, ...), or undefined. */
export function errnoOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}

/** True when `err` is the system error `code` (for absence that is normal, e.g. ENOENT). */
export function isErrno(err: unknown, code: string): boolean {
  return errnoOf(err) === code;
}
