/**
 * Errors a registry answers with (distribution's errcode JSON) and how Docker words them.
 * `RegistryResponseError` keeps the HTTP status and the codes so callers can decide between
 * "retry", "try the next endpoint" and "tell the user" the way moby's distribution code does.
 */
import { errnoOf, ForbiddenError, InvalidArgumentError, NotFoundError, UnauthorizedError, UnavailableError } from '../errors/index.js';

export interface RegistryErrorDetail { code: string; message: string; detail?: unknown }

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  408: 'Request Timeout', 409: 'Conflict', 416: 'Requested Range Not Satisfiable', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'status code ' + status}`;
}

/** errcode.ErrorCode.Error(): "MANIFEST_UNKNOWN" → "manifest unknown". */
function codeText(code: string): string {
  return code.replace(/_/g, ' ').toLowerCase();
}

export class RegistryResponseError extends Error {
  readonly code = 'REGISTRY_RESPONSE';
  constructor(readonly status: number, readonly errors: RegistryErrorDetail[], options?: ErrorOptions) {
    super(RegistryResponseError.describe(status, errors), options);
    this.name = 'RegistryResponseError';
  }

  /** distribution's client.HandleErrorResponse and errcode.Errors.Error(). */
  static describe(status: number, errors: RegistryErrorDetail[]): string {
    if (errors.length === 0) {
      if (status === 401) return 'unauthorized: authentication required';
      if (status === 429) return 'toomanyrequests: too many requests';
      return `received unexpected HTTP status: ${statusLine(status)}`;
    }
    const one = (e: RegistryErrorDetail) => `${codeText(e.code)}: ${e.message || codeText(e.code)}`;
    if (errors.length === 1) return one(errors[0]!);
    return `errors:\n${errors.map(one).join('\n')}\n`;
  }

  has(...codes: string[]): boolean {
    return this.errors.some((e) => codes.includes(e.code));
  }

  get isRetryable(): boolean {
    return this.status === 429 || this.status >= 500 || this.has('TOOMANYREQUESTS', 'UNAVAILABLE');
  }
}

/** Builds the error for a non-2xx response from its (small) body. */
export function responseError(status: number, body: Buffer): RegistryResponseError {
  let errors: RegistryErrorDetail[] = [];
  try {
    const json = JSON.parse(body.toString('utf8')) as { errors?: unknown; details?: unknown };
    if (Array.isArray(json.errors)) {
      errors = json.errors.filter((e): e is RegistryErrorDetail => typeof e === 'object' && e !== null && typeof (e as RegistryErrorDetail).code === 'string')
        .map((e) => ({ code: e.code, message: typeof e.message === 'string' ? e.message : '', ...(e.detail !== undefined ? { detail: e.detail } : {}) }));
    } else if (status === 401 && typeof json.details === 'string') {
      errors = [{ code: 'UNAUTHORIZED', message: json.details }];
    }
  } catch {
    // Not JSON: the status alone describes it.
  }
  return new RegistryResponseError(status, errors);
}

/**
 * Credentials missing or refused while talking to a registry. Deliberately not an
 * EngineError with status 401: the docker CLI answers a 401 from pull or push by prompting
 * for a login, so dockerd reports these as 500 and only POST /auth says 401.
 */
export class RegistryAuthError extends Error {
  readonly code = 'REGISTRY_AUTH';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistryAuthError';
  }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** A connection that failed or broke: worth another try (and, before any data, another endpoint). */
export function isNetworkError(err: unknown): boolean {
  const code = errnoOf(err);
  if (code && NETWORK_CODES.has(code)) return true;
  if (code && code.startsWith('ERR_TLS') ) return false;
  return err instanceof Error && /socket hang up|premature close|aborted/i.test(err.message) && !(err.name === 'AbortError');
}

/** A TLS handshake problem (wrong CA, plain HTTP on the port): the next endpoint may work. */
export function isTlsError(err: unknown): boolean {
  const code = errnoOf(err) ?? '';
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code)
    || (err instanceof Error && /wrong version number|certificate|ssl/i.test(err.message));
}

/** The status dockerd gives an error code (errcode's descriptors' HTTPStatusCode). */
const CODE_CLASS: Record<string, new (message: string, options?: ErrorOptions) => Error> = {
  UNAUTHORIZED: UnauthorizedError, DENIED: ForbiddenError,
  MANIFEST_UNKNOWN: NotFoundError, NAME_UNKNOWN: NotFoundError, BLOB_UNKNOWN: NotFoundError, MANIFEST_BLOB_UNKNOWN: NotFoundError,
  NAME_INVALID: InvalidArgumentError, TAG_INVALID: InvalidArgumentError, MANIFEST_INVALID: InvalidArgumentError, DIGEST_INVALID: InvalidArgumentError,
  UNAVAILABLE: UnavailableError,
};

/**
 * A registry's refusal as dockerd answers it where it passes the registry's error on (the
 * distribution route): the status of the first error code, errcode's words as the message.
 * A 401 without a code is distribution's ErrorCodeUnauthorized. Anything else is unchanged.
 */
export function engineErrorOf(err: unknown): unknown {
  if (!(err instanceof RegistryResponseError)) return err;
  const code = err.errors[0]?.code ?? (err.status === 401 ? 'UNAUTHORIZED' : undefined);
  const cls = code ? CODE_CLASS[code] : undefined;
  return cls ? new cls(err.message, { cause: err }) : err;
}
