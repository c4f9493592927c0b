/**
 * The client's errors, with docker's wording because scripts and users match on it:
 * an ApiError is any non-2xx answer ("Error response from daemon: No such image: x"),
 * a ConnectionError means the daemon could not be reached at all, a StreamError is an
 * `error` message inside a JSON-lines progress stream (load, import, pull).
 */

export class ApiError extends Error {
  constructor(readonly status: number, readonly daemonMessage: string, message = `Error response from daemon: ${daemonMessage}`) {
    super(message);
    this.name = 'ApiError';
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

export class ConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConnectionError';
  }
}

export class StreamError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = 'StreamError';
  }
}

/** docker's text, naming berth. */
export function cannotConnect(host: string): ConnectionError {
  return new ConnectionError(`Cannot connect to the berth daemon at ${host}. Is the daemon running?`);
}
